package impact_test

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/donkeyls/donkeyls/analysis/impact"
	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/internal/fixture"
	"golang.org/x/tools/txtar"
)

// Every staleness fixture says what its edit requires of a running dev
// setup ("impact: ..."); the verdict comes from the incremental path the
// language server and the supervisor use (WithFile on a loaded snapshot).
func TestClassifyStalenessRows(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("..", "analyzers", "testdata", "staleness", "*.txtar"))
	if len(paths) == 0 {
		t.Fatal("no staleness fixtures found")
	}
	ran := 0
	for _, path := range paths {
		fx := fixture.Load(t, path)
		want, ok := fx.Meta["impact"]
		if !ok {
			continue
		}
		ran++
		t.Run(strings.TrimSuffix(fx.Name, ".txtar"), func(t *testing.T) {
			v := classifyFixture(t, fx)
			if got := v.Action.String(); got != want {
				t.Errorf("verdict %q, want %q; reasons:", got, want)
				for _, r := range v.Reasons {
					t.Logf("  %s: %s (%s)", filepath.Base(r.Path), r.What, r.Action)
				}
			}
			for _, r := range v.Reasons {
				if r.What == "" {
					t.Errorf("reason without words: %+v", r)
				}
			}
		})
	}
	if ran < 20 {
		t.Errorf("only %d fixtures carry an impact line", ran)
	}
}

func classifyFixture(t *testing.T, fx fixture.Fixture) impact.Verdict {
	t.Helper()
	ctx := context.Background()
	src := fixture.MemoryBase(t, fx)
	dir := src.Root()
	before, err := project.Load(ctx, dir, src)
	if err != nil {
		t.Fatal(err)
	}
	fixture.ApplyMemory(t, src, fx.Arch)
	after := before
	var changed []string
	for _, rel := range fx.Touched {
		abs := filepath.Join(dir, filepath.FromSlash(rel))
		changed = append(changed, expand(src, before, abs)...)
	}
	for _, abs := range changed {
		b, err := src.ReadFile(abs)
		switch {
		case err == nil:
			after = after.WithFile(abs, b)
		case errors.Is(err, fs.ErrNotExist):
			after = after.WithoutFile(abs)
		default:
			t.Fatal(err)
		}
	}
	if after.NeedsReload() {
		if after, err = project.Load(ctx, dir, src); err != nil {
			t.Fatal(err)
		}
	}
	return impact.Classify(before, after, changed)
}

// expand turns a deleted directory into the files the snapshot had below it,
// as a watcher reports them.
func expand(src project.Source, p *project.Project, abs string) []string {
	if _, err := src.Stat(abs); err == nil || p.File(abs) != nil {
		return []string{abs}
	}
	var out []string
	for _, f := range p.Files() {
		if strings.HasPrefix(f, abs+string(filepath.Separator)) {
			out = append(out, f)
		}
	}
	return out
}

func TestClassifyIgnoresGeneratedOutputs(t *testing.T) {
	ctx := context.Background()
	src := fixture.Memory(t, fixture.Fixture{Name: "shop", Base: "shop", Arch: &txtar.Archive{}})
	dir := src.Root()
	before, err := project.Load(ctx, dir, src)
	if err != nil {
		t.Fatal(err)
	}
	reg := filepath.Join(dir, ".@donkeylabs", "server", "registry.d.ts")
	b, _ := src.ReadFile(reg)
	after := before.WithFile(reg, append(b, []byte("\n// rewritten by the generator\n")...))
	if v := impact.Classify(before, after, []string{reg}); v.Action != 0 {
		t.Errorf("a rewritten output must need nothing (or typegen would loop), got %s: %+v", v.Action, v.Reasons)
	}
}
