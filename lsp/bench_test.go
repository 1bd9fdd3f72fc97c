package lsp_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/donkeyls/donkeyls/internal/gctune"
	"github.com/donkeyls/donkeyls/internal/synth"
	"github.com/donkeyls/donkeyls/lsp"
	"github.com/donkeyls/donkeyls/lsp/lsptest"
	"github.com/donkeyls/donkeyls/lsp/text"
)

// BenchmarkDidChangeToDiagnostics measures, on synthetic projects, the time
// from a didChange in one plugin file to the publishDiagnostics for that
// version, without the debounce: each iteration adds a handler key (the
// registry becomes stale) or removes it again (the finding clears). It
// reports the median and 90th percentile, and the heap after indexing.
func BenchmarkDidChangeToDiagnostics(b *testing.B) {
	for _, size := range []struct {
		name string
		opts synth.Options
	}{
		{"10plugins", synth.Options{Plugins: 10, Routes: 100, MigrationsPerPlugin: 2, Adapter: true, Seed: 1}},
		{"1000plugins10000routes", synth.Options{Plugins: 1000, Routes: 10000, MigrationsPerPlugin: 2, Adapter: true, Seed: 1}},
	} {
		b.Run(size.name, func(b *testing.B) { benchEdit(b, size.opts) })
	}
}

func benchEdit(b *testing.B, opts synth.Options) {
	// Each size starts from the pacing the process started with, not the
	// one the previous size's load set.
	gcPercent := debug.SetGCPercent(-1)
	debug.SetGCPercent(gcPercent)
	defer debug.SetGCPercent(gcPercent)
	root := b.TempDir()
	if err := synth.Write(root, opts); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cr, sw := io.Pipe()
	sr, cw := io.Pipe()
	done := make(chan struct{})
	go func() {
		lsp.Serve(ctx, sr, sw, lsp.Options{Debounce: -1, Log: benchLog(b), AfterLoad: benchAfterLoad()})
		sw.Close()
		close(done)
	}()
	defer func() {
		cancel()
		cw.Close()
		<-done
	}()
	c := lsptest.New(b, cr, cw)
	indexStart := time.Now()
	// As our editors do: the status is computed after every analysis too.
	caps := lsptest.Capabilities(true)
	caps["experimental"] = map[string]any{"donkeylsStatus": true}
	c.Initialize(root, caps, map[string]any{"typegen": map[string]any{"onSave": "off"}})
	c.Wait("indexing to finish", func() bool {
		for _, p := range c.ProgressEventsLocked() {
			if p.Value.Kind == "end" {
				return true
			}
		}
		return false
	})
	indexTime := time.Since(indexStart)
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)

	plugins, _ := filepath.Glob(filepath.Join(root, "src/server/plugins/*/index.ts"))
	slices.Sort(plugins)
	plugin := plugins[len(plugins)/2]
	src := c.Open(plugin)
	c.WaitDiagnostics(plugin, "the first publish after open", func(d lsptest.Diagnostics) bool { return d.Version != nil && *d.Version == 1 })
	line := -1
	for i, l := range strings.Split(src, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), `name: "`) {
			line = i + 1
			break
		}
	}
	if line < 0 {
		b.Fatalf("no name: line in %s", plugin)
	}
	key := "    handlers: { benchXml: createHandler(async () => new Response(\"\")) },\n"
	uri := text.FileURI(plugin)
	latencies := make([]time.Duration, 0, b.N)
	cpus := make([]time.Duration, 0, b.N)
	cyclesBefore := gcCycles()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		added := i%2 == 0
		edit := lsptest.Edit{StartLine: line, EndLine: line, Text: key}
		if !added {
			edit = lsptest.Edit{StartLine: line, EndLine: line + 1}
		}
		start, startCPU := time.Now(), processCPU(b)
		v := c.Change(plugin, edit)
		c.Wait("diagnostics of the edit", func() bool {
			d, ok := c.LatestLocked(uri)
			return ok && d.Version != nil && *d.Version == v && lsptest.Has(d, "stale-registry") == added
		})
		latencies = append(latencies, time.Since(start))
		cpus = append(cpus, processCPU(b)-startCPU)
	}
	b.StopTimer()
	b.ReportMetric(float64(gcCycles()-cyclesBefore)/float64(b.N), "gc/edit")
	// ResetTimer drops metrics reported before it.
	b.ReportMetric(float64(indexTime.Milliseconds()), "index-ms")
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MB")
	if os.Getenv("DONKEYLS_BENCH_LOG") != "" {
		b.Logf("latencies in edit order: %v", latencies)
	}
	reportQuantiles(b, latencies, "")
	// Under a loaded host the wall times measure the scheduler; the CPU the
	// process spent per edit (both cores, GC included) does not.
	reportQuantiles(b, cpus, "cpu-")
}

func reportQuantiles(b *testing.B, ds []time.Duration, prefix string) {
	slices.Sort(ds)
	b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, prefix+"median-ms")
	b.ReportMetric(float64(ds[len(ds)*9/10].Microseconds())/1000, prefix+"p90-ms")
}

// benchAfterLoad paces the collector as `donkeyls serve` does, unless
// DONKEYLS_BENCH_GC=default asks for the runtime's own pacing (to compare).
func benchAfterLoad() func() {
	if os.Getenv("DONKEYLS_BENCH_GC") == "default" {
		return nil
	}
	return func() { gctune.DefaultPolicy().Steady() }
}

// processCPU is the user and system time of the whole process so far.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func gcCycles() uint64 {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// benchLog returns the server log for DONKEYLS_BENCH_SERVER_LOG, so a slow
// edit can be matched with what the server did.
func benchLog(b *testing.B) io.Writer {
	path := os.Getenv("DONKEYLS_BENCH_SERVER_LOG")
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	return f
}
