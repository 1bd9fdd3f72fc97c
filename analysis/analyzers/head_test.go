package analyzers_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/analyzers"
	"github.com/donkeyls/donkeyls/analysis/names"
	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/internal/fixture"
)

// headDir prefixes the archive members that hold git's HEAD (the format of
// the in-memory Source's fixtures).
const headDir = ".git-head/"

// headRepo is a repository whose HEAD holds exactly files (paths relative
// to root), so the fixtures need no git.
type headRepo struct {
	root  string
	files map[string][]byte
}

func (r headRepo) abs(rel string) string { return filepath.Join(r.root, filepath.FromSlash(rel)) }

func (r headRepo) HeadBlobs(_ context.Context, _ string, paths []string) (map[string]string, bool) {
	dirs := map[string]bool{}
	for _, p := range paths {
		dirs[filepath.Dir(p)] = true
	}
	out := map[string]string{}
	for rel, b := range r.files {
		if dirs[filepath.Dir(r.abs(rel))] {
			out[r.abs(rel)] = project.GitBlobID(b)
		}
	}
	return out, true
}

func (r headRepo) HeadTree(_ context.Context, _, dir string) (map[string]string, bool) {
	out := map[string]string{}
	for rel, b := range r.files {
		if p := r.abs(rel); strings.HasPrefix(p, dir+string(filepath.Separator)) {
			out[p] = project.GitBlobID(b)
		}
	}
	return out, true
}

func (r headRepo) HeadFiles(_ context.Context, _ string, paths []string) map[string][]byte {
	out := map[string][]byte{}
	for rel, b := range r.files {
		for _, p := range paths {
			if r.abs(rel) == p {
				out[p] = b
			}
		}
	}
	return out
}

// loadWithHead materializes a fixture and loads it with the HEAD its
// .git-head members describe.
func loadWithHead(t *testing.T, fx fixture.Fixture) (string, *project.Project, project.Repository) {
	t.Helper()
	dir := fixture.Materialize(t, fx)
	repo := headRepo{root: dir, files: map[string][]byte{}}
	for _, f := range fx.Arch.Files {
		if strings.HasPrefix(f.Name, headDir) {
			repo.files[strings.TrimPrefix(f.Name, headDir)] = f.Data
		}
	}
	if err := os.RemoveAll(filepath.Join(dir, strings.TrimSuffix(headDir, "/"))); err != nil {
		t.Fatal(err)
	}
	p, err := project.LoadWith(context.Background(), dir, project.LoadOptions{Repository: repo})
	if err != nil {
		t.Fatal(err)
	}
	return dir, p, repo
}

// The fixtures whose verdict depends on what git's HEAD holds.
func TestRequestTrapsAgainstHead(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "request-head", "*.txtar"))
	if len(paths) == 0 {
		t.Fatal("no fixtures in testdata/request-head")
	}
	for _, path := range paths {
		fx := fixture.Load(t, path)
		t.Run(strings.TrimSuffix(fx.Name, ".txtar"), func(t *testing.T) {
			dir, p, _ := loadWithHead(t, fx)
			var got []string
			for _, f := range analyzers.Run(context.Background(), p) {
				if !fx.Codes[f.Code] {
					continue
				}
				rel, _ := filepath.Rel(dir, f.Location.Path)
				got = append(got, fmt.Sprintf("%s:%d %s", filepath.ToSlash(rel), f.Location.Range.Start.Line+1, f.Code))
				t.Logf("%s: %s", f.Code, f.Message)
			}
			sort.Strings(got)
			if strings.Join(got, "\n") != strings.Join(fx.Marks, "\n") {
				t.Errorf("findings differ\n got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(fx.Marks, "\n  "))
			}
		})
	}
}

// What each finding says: the old name, the files that run again, where
// the folder was; and the fix that keeps the old name renames it back
// everywhere, so the migrations are found and recorded as before.
func TestPluginRenameMessagesAndFix(t *testing.T) {
	fx := fixture.Load(t, filepath.Join("testdata", "request-head", "plugin-rename.txtar"))
	dir, p, repo := loadWithHead(t, fx)
	var rerun, unreachable analysis.Finding
	for _, f := range analyzers.Run(context.Background(), p) {
		switch f.Code {
		case analyzers.CodePluginRenameRerunsMigrations:
			rerun = f
		case analyzers.CodeMigrationsUnreachable:
			unreachable = f
		}
	}
	for _, w := range []string{`"catalog" was named "books" at HEAD (in src/server/plugins/books)`, "001_create_books.ts", "move the folder back to src/server/plugins/books"} {
		if !strings.Contains(rerun.Message, w) {
			t.Errorf("rerun finding lacks %q: %s", w, rerun.Message)
		}
	}
	if len(rerun.Fixes) != 0 {
		t.Errorf("a renamed folder cannot be moved back by a text edit, yet a fix is offered: %v", rerun.Fixes[0].Title)
	}
	if !strings.Contains(unreachable.Message, `it was named "notes" at HEAD`) {
		t.Errorf("migrations-unreachable does not name the old name: %s", unreachable.Message)
	}
	if len(unreachable.Fixes) != 1 {
		t.Fatalf("migrations-unreachable offers %d fixes, want the one that keeps the name", len(unreachable.Fixes))
	}
	applyEdits(t, unreachable.Fixes[0].Edit.Edits)
	for file, want := range map[string]string{
		"src/server/plugins/notes/index.ts": `name: "notes"`,
		"src/server/routes/api.ts":          "ctx.plugins.notes.count()",
	} {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(file)))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), want) {
			t.Errorf("after %q, %s lacks %s:\n%s", unreachable.Fixes[0].Title, file, want, b)
		}
	}
	after, err := project.LoadWith(context.Background(), dir, project.LoadOptions{Repository: repo})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range analyzers.Run(context.Background(), after) {
		if f.Location.Path == filepath.Join(dir, "src", "server", "plugins", "notes", "index.ts") &&
			(f.Code == analyzers.CodeMigrationsUnreachable || f.Code == analyzers.CodePluginRenameRerunsMigrations) {
			t.Errorf("after the fix: %s: %s", f.Code, f.Message)
		}
	}
}

// The editor's rename warning reads the same model: it promises reruns for
// committed migrations only.
func TestRenameWarningReadsTheRecordedMigrations(t *testing.T) {
	fx := fixture.Load(t, filepath.Join("testdata", "request-head", "plugin-rename-none.txtar"))
	_, p, _ := loadWithHead(t, fx)
	ix := names.For(p)
	warn := func(plugin string) string {
		defs := ix.Defs(names.Name{Kind: names.Plugin, Key: plugin})
		if len(defs) != 1 {
			t.Fatalf("%d definitions of %s", len(defs), plugin)
		}
		return names.RenameWarning(p, ix, names.Target{Occurrence: defs[0], Placeholder: plugin}, "renamed")
	}
	if w := warn("authors"); !strings.Contains(w, `1 of them is committed`) || !strings.Contains(w, `run them again as "renamed"'s`) {
		t.Errorf("committed migrations, yet the warning does not say they run again: %s", w)
	}
	if w := warn("drafts"); !strings.Contains(w, "move the folder") || strings.Contains(w, "run them again") {
		t.Errorf("migrations never committed, yet the warning says they run again (or forgets the folder): %s", w)
	}
}
