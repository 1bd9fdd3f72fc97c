package factcache

import (
	"context"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/donkeyls/donkeyls/analysis/facts"
	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/internal/ossource"
	"github.com/donkeyls/donkeyls/internal/synth"
)

// benchFiles are the facts of a 100-plugin / 1,000-route project, 511 files.
func benchFiles(b *testing.B) []*facts.File {
	dir := b.TempDir()
	if err := synth.Write(dir, synth.Options{Plugins: 100, Routes: 1000, MigrationsPerPlugin: 2, Adapter: true, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	p, err := project.Load(context.Background(), dir, ossource.Source{})
	if err != nil {
		b.Fatal(err)
	}
	var files []*facts.File
	for _, path := range p.Files() {
		if f := p.File(path); f != nil && !f.Missing {
			files = append(files, f)
		}
	}
	return files
}

// BenchmarkDecode decodes every entry of benchFiles with one load's
// interner, as a warm start does (per-op is the whole project).
func BenchmarkDecode(b *testing.B) {
	var entries [][]byte
	size := 0
	for _, f := range benchFiles(b) {
		e, err := encodeFile(nil, f)
		if err != nil {
			b.Fatal(err)
		}
		entries = append(entries, e)
		size += len(e)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		in := newInterner(0)
		for _, e := range entries {
			if _, err := decodeFile(e, in); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkEncode encodes benchFiles with one encoder, as each parsing
// worker's pooled encoder does in Put.
func BenchmarkEncode(b *testing.B) {
	files := benchFiles(b)
	b.ReportAllocs()
	b.ResetTimer()
	var buf []byte
	for i := 0; i < b.N; i++ {
		var enc encoder
		for _, f := range files {
			var err error
			if buf, err = enc.file(buf[:0], f); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkWarmLoad is a warm `serve` start's load in one process, 1,000
// plugins: discovery and the load share one Listings, as the server's
// first load does, and every entry comes from a pack a first load wrote.
// It is the load alone (no analyzers), so a CPU profile or an execution
// trace of it shows where a warm start's indexing goes.
func BenchmarkWarmLoad(b *testing.B) {
	dir := b.TempDir()
	if err := synth.Write(dir, synth.Options{Plugins: 1000, Routes: 10000, MigrationsPerPlugin: 2, Adapter: true, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	cacheDir := b.TempDir()
	load := func() project.LoadStats {
		c, err := Open(Options{Dir: cacheDir, FlushWait: time.Minute})
		if err != nil {
			b.Fatal(err)
		}
		dirs := project.NewListings(ossource.Source{})
		ctx := context.Background()
		var wg sync.WaitGroup
		wg.Go(func() {
			if _, err := project.Discover(ctx, dirs, dir); err != nil {
				b.Error(err)
			}
		})
		p, err := project.LoadWith(ctx, dir, project.LoadOptions{Source: dirs, Cache: c})
		if err != nil {
			b.Fatal(err)
		}
		wg.Wait()
		if err := c.Close(); err != nil {
			b.Fatal(err)
		}
		return p.LoadStats()
	}
	load()
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU(b)
	for range b.N {
		if s := load(); s.Parsed > 0 {
			b.Fatalf("a warm load parsed %d files", s.Parsed)
		}
	}
	// The process's CPU (user + system, both cores, the collector's
	// included): on a shared host the wall time measures the scheduler.
	b.ReportMetric(float64((processCPU(b)-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
