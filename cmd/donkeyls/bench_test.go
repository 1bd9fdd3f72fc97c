package main

import (
	"context"
	"testing"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/internal/synth"
)

// benchmarkCheck measures a cold `donkeyls check`: discovery, reading and
// parsing every file, the generator model and every analyzer.
func benchmarkCheck(b *testing.B, opts synth.Options) {
	dir := b.TempDir()
	if err := synth.Write(dir, opts); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	// A fresh synthetic project must be quiet, or the benchmark measures
	// the wrong thing.
	findings, err := checkDir(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range findings {
		if f.Severity <= analysis.SeverityWarning {
			b.Fatalf("synthetic project not fresh: %s %s: %s", f.Code, f.Location.Path, f.Message)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := checkDir(ctx, dir); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckCold10Plugins(b *testing.B) {
	benchmarkCheck(b, synth.Options{Plugins: 10, Routes: 100, MigrationsPerPlugin: 2, Adapter: true, Seed: 1})
}

func BenchmarkCheckCold1000Plugins10000Routes(b *testing.B) {
	benchmarkCheck(b, synth.Options{Plugins: 1000, Routes: 10000, MigrationsPerPlugin: 2, Adapter: true, Seed: 1})
}
