package analyzers_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/analyzers"
	"github.com/donkeyls/donkeyls/internal/fixture"
)

// TestIncrementalMatchesCold: the language server and the supervisor never
// reload for an ordinary edit; they derive a snapshot from the previous one
// (WithFile) and reuse results whose input facts did not change. For every
// staleness and framework fixture, that path must report exactly what a cold
// load of the same files reports.
func TestIncrementalMatchesCold(t *testing.T) {
	var paths []string
	for _, group := range []string{"staleness", "framework", "traps"} {
		ps, _ := filepath.Glob(filepath.Join("testdata", group, "*.txtar"))
		paths = append(paths, ps...)
	}
	if len(paths) < 40 {
		t.Fatalf("only %d fixtures found", len(paths))
	}
	ctx := context.Background()
	for _, path := range paths {
		fx := fixture.Load(t, path)
		if fx.Base != "shop" {
			continue
		}
		t.Run(filepath.Base(filepath.Dir(path))+"/"+strings.TrimSuffix(fx.Name, ".txtar"), func(t *testing.T) {
			src := fixture.MemoryBase(t, fx)
			dir := src.Root()
			p := reload(t, src)
			_ = analyzers.Run(ctx, p) // fill the caches the next snapshot may reuse
			fixture.ApplyMemory(t, src, fx.Arch)
			for _, rel := range fx.Touched {
				abs := filepath.Join(dir, filepath.FromSlash(rel))
				var under []string
				if _, err := src.Stat(abs); err != nil {
					for _, f := range p.Files() {
						if f == abs || strings.HasPrefix(f, abs+string(filepath.Separator)) {
							under = append(under, f)
						}
					}
				} else {
					under = []string{abs}
				}
				for _, f := range under {
					b, err := src.ReadFile(f)
					switch {
					case err == nil:
						p = p.WithFile(f, b)
					case errors.Is(err, fs.ErrNotExist):
						p = p.WithoutFile(f)
					default:
						t.Fatal(err)
					}
				}
			}
			if p.NeedsReload() {
				t.Skip("the edit changes discovery: editors reload the project for it")
			}
			incremental := render(dir, analyzers.Run(ctx, p))
			cold := reload(t, src)
			if want := render(dir, analyzers.Run(ctx, cold)); incremental != want {
				t.Errorf("incremental findings differ from a cold load\nincremental:\n%s\ncold:\n%s", incremental, want)
			}
		})
	}
}

func render(dir string, fs []analysis.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		rel, _ := filepath.Rel(dir, f.Location.Path)
		fmt.Fprintf(&b, "%s:%s %s %s\n", filepath.ToSlash(rel), f.Location.Range, f.Code, f.Message)
	}
	return b.String()
}
