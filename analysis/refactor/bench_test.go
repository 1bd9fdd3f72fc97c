package refactor_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/analysis/refactor"
	"github.com/donkeyls/donkeyls/internal/fixture"
)

// The language server computes the edit for every refactor.extract code
// action request, so this is the latency a cursor move on a route costs.
func BenchmarkExtract(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	fixture.Base(b, fixture.Fixture{Base: "shop"}, dir)
	p, err := project.Load(ctx, dir, fixture.FromDir(b, dir))
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, "src", "server", "routes", "admin.ts")
	src, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	off := bytes.Index(src, []byte("ctx.db"))
	for _, tc := range []struct {
		name string
		opts refactor.Options
	}{
		{"new-plugin", refactor.Options{}},
		{"existing-plugin", refactor.Options{PluginName: "orders"}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := refactor.Extract(ctx, p, nil, path, off, tc.opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("candidates", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if len(refactor.Candidates(p, path, off)) == 0 {
				b.Fatal("no candidates")
			}
		}
	})
}
