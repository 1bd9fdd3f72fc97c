package analyzers_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/donkeyls/donkeyls/analysis/analyzers"
	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/internal/fixture"
	"github.com/donkeyls/donkeyls/internal/memsource"
	"github.com/donkeyls/donkeyls/internal/synth"
)

// TestNoReuseMatchesReuse: donkeyls check loads with NoReuse, which keeps
// only the last reuse entry of each type of key. Every fixture, and a
// synthetic project with many plugins (many keys of each type, evicting
// each other), must report the same findings as a load that keeps every
// entry, on the first run and on a second run over the same snapshot
// (which meets the entries the first one left).
func TestNoReuseMatchesReuse(t *testing.T) {
	ctx := context.Background()
	check := func(t *testing.T, src *memsource.Source) {
		t.Helper()
		dir := src.Root()
		kept, err := project.LoadWith(ctx, dir, project.LoadOptions{Source: src})
		if err != nil {
			t.Fatal(err)
		}
		want := render(dir, analyzers.Run(ctx, kept))
		lean, err := project.LoadWith(ctx, dir, project.LoadOptions{Source: src, NoReuse: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, run := range []string{"first", "second"} {
			if got := render(dir, analyzers.Run(ctx, lean)); got != want {
				t.Errorf("%s run: NoReuse findings differ\nNoReuse:\n%s\nreuse:\n%s", run, got, want)
			}
		}
	}
	t.Run("synth", func(t *testing.T) {
		check(t, fixture.Synth(t, synth.Options{Plugins: 12, Routes: 40, MigrationsPerPlugin: 2, Adapter: true, Seed: 3}))
	})
	var paths []string
	for _, group := range []string{"staleness", "framework", "traps"} {
		ps, _ := filepath.Glob(filepath.Join("testdata", group, "*.txtar"))
		paths = append(paths, ps...)
	}
	if len(paths) < 40 {
		t.Fatalf("only %d fixtures found", len(paths))
	}
	for _, path := range paths {
		fx := fixture.Load(t, path)
		if fx.Base != "shop" {
			continue
		}
		t.Run(filepath.Base(filepath.Dir(path))+"/"+strings.TrimSuffix(fx.Name, ".txtar"), func(t *testing.T) {
			src := fixture.MemoryBase(t, fx)
			fixture.ApplyMemory(t, src, fx.Arch)
			check(t, src)
		})
	}
}
