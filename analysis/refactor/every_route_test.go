package refactor_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/donkeyls/donkeyls/analysis/facts"
	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/analysis/refactor"
	"github.com/donkeyls/donkeyls/analysis/syntax"
	"github.com/donkeyls/donkeyls/internal/fixture"
)

// TestEveryRoute offers every candidate of every route of every golden
// project, from a cursor at the route name, in the handler and at its
// end: each either is refused with a reason or yields an edit that applies
// cleanly and leaves every file free of syntax errors. Nothing else (an
// internal error, overlapping edits, a broken file) is acceptable.
func TestEveryRoute(t *testing.T) {
	ctx := context.Background()
	for _, g := range goldens(t) {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			dir := g.project(t)
			p, err := project.Load(ctx, dir, fixture.FromDir(t, dir))
			if err != nil {
				t.Fatal(err)
			}
			parser := syntax.NewParser()
			defer parser.Close()
			p.EachFile(func(f *facts.File) {
				for _, r := range f.Routes {
					offsets := []int{int(r.NameRange.Start.Offset), int(r.CallRange.End.Offset)}
					if r.Handle != nil {
						offsets = append(offsets, int(r.Handle.BodyRange.Start.Offset+r.Handle.BodyRange.End.Offset)/2)
					}
					for _, off := range offsets {
						for _, c := range refactor.Candidates(p, f.Path, off) {
							edit, err := refactor.Extract(ctx, p, nil, f.Path, off, c.Options())
							if err != nil {
								if !refactor.IsRefusal(err) {
									t.Errorf("%s %s: %v", r.FullName, c.Title(), err)
								}
								continue
							}
							files := map[string][]byte{}
							for _, e := range edit.Edits {
								if files[e.Path] == nil {
									b, err := os.ReadFile(e.Path)
									if err != nil {
										t.Fatal(err)
									}
									files[e.Path] = b
								}
							}
							out, err := refactor.ApplyEdit(files, edit)
							if err != nil {
								t.Errorf("%s %s: the edit does not apply: %v", r.FullName, c.Title(), err)
								continue
							}
							for path, b := range out {
								tree, err := parser.Parse(ctx, b, syntax.TypeScript)
								if err != nil || tree.HasErrors() {
									rel, _ := filepath.Rel(dir, path)
									t.Errorf("%s %s: %s does not parse afterwards:\n%s", r.FullName, c.Title(), rel, b)
								}
							}
						}
					}
				}
			})
		})
	}
}

// TestNotOnARoute: a cursor outside any route has no candidates, and an
// explicit extraction there is refused.
func TestNotOnARoute(t *testing.T) {
	ctx := context.Background()
	g := loadGolden(t, filepath.Join("testdata", "db-query-input.txtar"))
	dir := g.project(t)
	src := fixture.FromDir(t, dir)
	p, err := project.Load(ctx, dir, src)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "src", "server", "routes", "admin.ts")
	if c := refactor.Candidates(p, path, 0); len(c) != 0 {
		t.Errorf("candidates at the top of the file: %+v", c)
	}
	if _, err := refactor.Extract(ctx, p, nil, path, 0, refactor.Options{}); !refactor.IsRefusal(err) {
		t.Errorf("extract at the top of the file: %v, want a refusal", err)
	}
	// A file with a syntax error in the route is refused, not guessed at.
	b, err := src.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	broken := []byte(string(b) + "\nadminRouter.route(\"x\").typed({ handle: async (input, ctx) => { ctx.db.selectFrom(\"orders\" } });\n")
	p = p.WithFile(path, broken)
	if err := src.WriteFile(path, broken); err != nil {
		t.Fatal(err)
	}
	for _, off := range []int{len(b) + 60, strings.Index(string(b), "ctx.db")} {
		_, err := refactor.Extract(ctx, p, nil, path, off, refactor.Options{})
		if !refactor.IsRefusal(err) || !strings.Contains(err.Error(), "syntax errors") {
			t.Errorf("extract at %d from a file with a syntax error: %v, want a refusal naming the syntax errors", off, err)
		}
	}
}
