package facts_test

import (
	"context"
	"strings"
	"testing"

	"github.com/donkeyls/donkeyls/analysis/facts"
	"github.com/donkeyls/donkeyls/analysis/syntax"
	"github.com/donkeyls/donkeyls/internal/synth"
)

// BenchmarkExtractSynth extracts the facts of every source file of a
// 100-plugin / 1,000-route synthetic project: the per-file share of a cold
// check, without the disk and the analyzers, so a change to extraction can
// be compared on a busy machine.
func BenchmarkExtractSynth(b *testing.B) {
	generated, err := synth.Generate(synth.Options{Plugins: 100, Routes: 1000, MigrationsPerPlugin: 2, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	type file struct {
		path string
		src  []byte
		kind facts.Kind
	}
	var files []file
	size := 0
	for _, g := range generated {
		path, src := g.Path, g.Content
		if !strings.HasPrefix(path, "src/") || !strings.HasSuffix(path, ".ts") {
			continue
		}
		kind := facts.KindSource
		if strings.Contains(path, "/migrations/") {
			kind = facts.KindMigration
		}
		files = append(files, file{path, src, kind})
		size += len(src)
	}
	p := syntax.NewParser()
	ctx := context.Background()
	b.SetBytes(int64(size))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, f := range files {
			facts.Extract(ctx, p, f.path, f.src, f.kind)
		}
	}
}
