package analyzers_test

import (
	"bytes"
	"context"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/donkeyls/donkeyls/analysis/analyzers"
	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/internal/fixture"
	"github.com/donkeyls/donkeyls/internal/synth"
)

// BenchmarkEditOnePlugin measures the keystroke path of the language
// server on a large project: re-extract one plugin file and rerun every
// analyzer over the new snapshot.
func BenchmarkEditOnePlugin(b *testing.B) {
	msrc := fixture.Synth(b, synth.Options{Plugins: 1000, Routes: 10000, MigrationsPerPlugin: 2, Adapter: true, Seed: 1})
	dir := msrc.Root()
	ctx := context.Background()
	p, err := project.Load(ctx, dir, msrc)
	if err != nil {
		b.Fatal(err)
	}
	var matches []string
	for _, f := range p.Files() {
		if filepath.Base(f) == "index.ts" && filepath.Base(filepath.Dir(filepath.Dir(f))) == "plugins" {
			matches = append(matches, f)
		}
	}
	path := matches[len(matches)/2]
	src, _ := msrc.ReadFile(path)
	edits := [][]byte{
		bytes.Replace(src, []byte("service: async (ctx) => {"), []byte("service: async (ctx) => { // edited"), 1),
		src,
	}
	b.ResetTimer()
	start := processCPU(b)
	for i := 0; i < b.N; i++ {
		// Each edit applies to the snapshot before it, as the server
		// applies them, so what a snapshot reuses of its parent's models
		// is measured too.
		p = p.WithFile(path, edits[i%2])
		_ = analyzers.Run(ctx, p)
	}
	// The wall time on a shared two-core host measures the scheduler; the
	// CPU the process spent per edit (both cores, GC included) does not.
	b.ReportMetric(float64(processCPU(b)-start)/1e6/float64(b.N), "cpu-ms/op")
}

// processCPU is the user and system time of the whole process so far, in
// nanoseconds.
func processCPU(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
