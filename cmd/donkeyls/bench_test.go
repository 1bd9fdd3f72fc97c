package main

import (
	"context"
	"io/fs"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/internal/factcache"
	"github.com/donkeyls/donkeyls/internal/srcfile"
	"github.com/donkeyls/donkeyls/internal/synth"
	"github.com/donkeyls/donkeyls/internal/testenv"
)

var (
	opts10   = synth.Options{Plugins: 10, Routes: 100, MigrationsPerPlugin: 2, Adapter: true, Seed: 1}
	opts1000 = synth.Options{Plugins: 1000, Routes: 10000, MigrationsPerPlugin: 2, Adapter: true, Seed: 1}
	opts5000 = synth.Options{Plugins: 5000, Routes: 50000, MigrationsPerPlugin: 2, Adapter: true, Seed: 1}
)

// writeFresh writes a synthetic project and makes sure it is quiet, or the
// benchmark would measure the wrong thing.
func writeFresh(b *testing.B, opts synth.Options) string {
	dir := b.TempDir()
	if err := synth.Write(dir, opts); err != nil {
		b.Fatal(err)
	}
	findings, _, err := checkDir(context.Background(), dir, nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range findings {
		if f.Severity <= analysis.SeverityWarning {
			b.Fatalf("synthetic project not fresh: %s %s: %s", f.Code, f.Location.Path, f.Message)
		}
	}
	return dir
}

// readFloor does the least any check must do: walk the project and read
// every TypeScript file, with the same reader and on as many cores.
func readFloor(b *testing.B, dir string) {
	var paths []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "node_modules" {
			return filepath.SkipDir
		}
		if !d.IsDir() && filepath.Ext(path) == ".ts" {
			paths = append(paths, path)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 2)
	for w := range 2 {
		go func(w int) {
			for i := w; i < len(paths); i += 2 {
				if _, err := srcfile.Read(paths[i]); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}(w)
	}
	for range 2 {
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
}

// benchmarkCheck times `check` and the read floor alternately in the same
// run, so the ratio holds even on a busy machine, and reports medians.
// Cold runs start from an empty cache directory each time and include
// writing it; warm runs read a cache a first run filled.
func benchmarkCheck(b *testing.B, opts synth.Options, warm bool) {
	dir := writeFresh(b, opts)
	ctx := context.Background()
	cacheDir := b.TempDir()
	if warm {
		checkOnce(b, ctx, dir, cacheDir)
	}
	var checks, floors []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		readFloor(b, dir)
		floors = append(floors, time.Since(start))
		if !warm {
			b.StopTimer()
			cacheDir = b.TempDir()
			b.StartTimer()
		}
		start = time.Now()
		checkOnce(b, ctx, dir, cacheDir)
		checks = append(checks, time.Since(start))
	}
	b.StopTimer()
	c, f := median(checks), median(floors)
	b.ReportMetric(float64(c.Microseconds())/1000, "check-ms")
	b.ReportMetric(float64(f.Microseconds())/1000, "floor-ms")
	b.ReportMetric(float64(c)/float64(f), "x-floor")
}

// checkOnce is runCheck's work: open the cache, check, flush the cache.
// The flush may take all it needs, so a cold run counts every write.
func checkOnce(b *testing.B, ctx context.Context, dir, cacheDir string) {
	cache, err := factcache.Open(factcache.Options{Dir: cacheDir, FlushWait: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := checkDir(ctx, dir, cache); err != nil {
		b.Fatal(err)
	}
	if err := cache.Close(); err != nil {
		b.Fatal(err)
	}
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	slices.Sort(s)
	return s[len(s)/2]
}

func BenchmarkCheckCold10Plugins(b *testing.B) { benchmarkCheck(b, opts10, false) }
func BenchmarkCheckWarm10Plugins(b *testing.B) { benchmarkCheck(b, opts10, true) }

func BenchmarkCheckCold1000Plugins10000Routes(b *testing.B) { benchmarkCheck(b, opts1000, false) }
func BenchmarkCheckWarm1000Plugins10000Routes(b *testing.B) { benchmarkCheck(b, opts1000, true) }

// BenchmarkCheckNoCache1000Plugins10000Routes is `check --no-cache`: what
// a cold run costs without writing the cache.
func BenchmarkCheckNoCache1000Plugins10000Routes(b *testing.B) {
	dir := writeFresh(b, opts1000)
	var checks, floors []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		readFloor(b, dir)
		floors = append(floors, time.Since(start))
		start = time.Now()
		if _, _, err := checkDir(context.Background(), dir, nil); err != nil {
			b.Fatal(err)
		}
		checks = append(checks, time.Since(start))
	}
	b.StopTimer()
	c, f := median(checks), median(floors)
	b.ReportMetric(float64(c.Microseconds())/1000, "check-ms")
	b.ReportMetric(float64(f.Microseconds())/1000, "floor-ms")
	b.ReportMetric(float64(c)/float64(f), "x-floor")
}

// BenchmarkCheck5000Plugins runs the binary, so its peak RSS is the
// process's own: cold with an empty cache directory each time, warm with
// one a first run filled. One iteration takes seconds, so Go's default
// benchtime runs it once.
func BenchmarkCheck5000Plugins(b *testing.B) {
	dir := ""
	for _, warm := range []bool{false, true} {
		name := "cold"
		if warm {
			name = "warm"
		}
		b.Run(name, func(sub *testing.B) {
			if dir == "" {
				dir = writeFresh(b, opts5000)
			}
			bin := testenv.Binary(sub)
			cacheDir := sub.TempDir()
			if warm {
				runBinaryCheck(sub, bin, dir, cacheDir)
			}
			var peak int64
			var times []time.Duration
			sub.ResetTimer()
			for i := 0; i < sub.N; i++ {
				if !warm {
					cacheDir = sub.TempDir()
				}
				start := time.Now()
				peak = max(peak, runBinaryCheck(sub, bin, dir, cacheDir))
				times = append(times, time.Since(start))
			}
			sub.ReportMetric(float64(median(times).Microseconds())/1000, "check-ms")
			sub.ReportMetric(float64(peak)/1024, "peak-rss-MB")
		})
	}
}

// runBinaryCheck runs `donkeyls check` and returns its peak RSS in KiB.
func runBinaryCheck(b *testing.B, bin, dir, cacheDir string) int64 {
	cmd := exec.Command(bin, "check", "--cache-dir", cacheDir, dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("check: %v\n%s", err, out)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss
	}
	return 0
}
