package facts_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
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
	root := b.TempDir()
	if err := synth.Write(root, synth.Options{Plugins: 100, Routes: 1000, MigrationsPerPlugin: 2, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	type file struct {
		path string
		src  []byte
		kind facts.Kind
	}
	var files []file
	size := 0
	err := filepath.WalkDir(filepath.Join(root, "src"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".ts") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		kind := facts.KindSource
		if strings.Contains(path, "/migrations/") {
			kind = facts.KindMigration
		}
		files = append(files, file{path, src, kind})
		size += len(src)
		return nil
	})
	if err != nil {
		b.Fatal(err)
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
