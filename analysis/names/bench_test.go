package names_test

import (
	"context"
	"testing"
	"time"

	"github.com/donkeyls/donkeyls/analysis/names"
	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/internal/fixture"
	"github.com/donkeyls/donkeyls/internal/ossource"
	"github.com/donkeyls/donkeyls/internal/synth"
)

// BenchmarkBuild1000Plugins10000Routes is what the first navigation request
// after an edit pays: the index is built once per snapshot, and every file's
// occurrences but the edited one's are reused (the first iteration builds
// them all; it is the cold cost, reported apart as cold-ms).
func BenchmarkBuild1000Plugins10000Routes(b *testing.B) {
	src := fixture.Synth(b, synth.Options{Plugins: 1000, Routes: 10000, MigrationsPerPlugin: 2, Adapter: true, Seed: 1})
	p, err := project.Load(context.Background(), src.Root(), src)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	names.Build(p)
	cold := time.Since(start)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ix := names.Build(p)
		if len(ix.Plugins) != 1000 {
			b.Fatalf("%d plugins indexed, want 1000", len(ix.Plugins))
		}
	}
	b.ReportMetric(float64(cold.Microseconds())/1000, "cold-ms")
}

// BenchmarkOccurrences1000Plugins is the lookup inside a references
// request, without the protocol: every occurrence of one plugin name on
// the 1,000-plugin / 10,000-route project.
func BenchmarkOccurrences1000Plugins(b *testing.B) {
	root := b.TempDir()
	if err := synth.Write(root, synth.Options{Plugins: 1000, Routes: 10000, MigrationsPerPlugin: 2, Adapter: true, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	p, err := project.LoadWith(context.Background(), root, project.LoadOptions{Source: ossource.Source{}})
	if err != nil {
		b.Fatal(err)
	}
	ix := names.Build(p)
	var plugin string
	for name := range ix.Plugins {
		if plugin == "" || name < plugin {
			plugin = name
		}
	}
	n := names.Name{Kind: names.Plugin, Key: plugin}
	if len(ix.Occurrences(n)) == 0 {
		b.Fatalf("plugin %s has no occurrences", plugin)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ix.Occurrences(n)
	}
}
