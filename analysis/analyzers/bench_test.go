package analyzers_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/donkeyls/donkeyls/analysis/analyzers"
	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/internal/synth"
)

// BenchmarkEditOnePlugin measures the keystroke path of the language
// server on a large project: re-extract one plugin file and rerun every
// analyzer over the new snapshot.
func BenchmarkEditOnePlugin(b *testing.B) {
	dir := b.TempDir()
	if err := synth.Write(dir, synth.Options{Plugins: 1000, Routes: 10000, MigrationsPerPlugin: 2, Adapter: true, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	p, err := project.Load(ctx, dir, nil)
	if err != nil {
		b.Fatal(err)
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "src", "server", "plugins", "*", "index.ts"))
	path := matches[len(matches)/2]
	src, _ := os.ReadFile(path)
	edits := [][]byte{
		bytes.Replace(src, []byte("service: async (ctx) => {"), []byte("service: async (ctx) => { // edited"), 1),
		src,
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := p.WithFile(path, edits[i%2])
		_ = analyzers.Run(ctx, q)
	}
}
