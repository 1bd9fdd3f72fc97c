package refactor_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/analyzers"
	"github.com/donkeyls/donkeyls/analysis/facts"
	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/analysis/refactor"
	"github.com/donkeyls/donkeyls/analysis/syntax"
	"github.com/donkeyls/donkeyls/analysis/textpos"
	"github.com/donkeyls/donkeyls/internal/fixture"
)

var update = flag.Bool("update", false, "rewrite the want/ files of the golden archives")

// A golden archive (testdata/*.txtar) is a fixture overlay on the fresh
// bookshop (see internal/fixture) plus the expected result. Its comment:
//
//	cursor: <path> <text>   the cursor sits at the first occurrence of text
//	plugin: <name>          optional target plugin name
//	method: <name>          optional method name
//	refusal: <text>         the move must be refused with a message containing text
//
// Members named want/<path> are the files the edit changes or creates, as
// they must read afterwards; every other file must stay as it was.
type golden struct {
	name    string
	path    string
	arch    *txtar.Archive
	input   *txtar.Archive
	want    map[string]string
	cursor  string
	needle  string
	opts    refactor.Options
	refusal string
}

func loadGolden(t *testing.T, path string) golden {
	t.Helper()
	arch, err := txtar.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	g := golden{name: strings.TrimSuffix(filepath.Base(path), ".txtar"), path: path, arch: arch, input: &txtar.Archive{}, want: map[string]string{}}
	for line := range strings.SplitSeq(string(arch.Comment), "\n") {
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		switch strings.TrimSpace(key) {
		case "cursor":
			g.cursor, g.needle, _ = strings.Cut(val, " ")
		case "plugin":
			g.opts.PluginName = val
		case "method":
			g.opts.MethodName = val
		case "refusal":
			g.refusal = val
		}
	}
	if g.cursor == "" || g.needle == "" {
		t.Fatalf("%s: no cursor line", path)
	}
	for _, f := range arch.Files {
		if rest, ok := strings.CutPrefix(f.Name, "want/"); ok {
			g.want[rest] = string(f.Data)
			continue
		}
		g.input.Files = append(g.input.Files, f)
	}
	return g
}

// project materializes the golden's input project.
func (g golden) project(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	fixture.Base(t, fixture.Fixture{Base: "shop"}, dir)
	fixture.Apply(t, dir, g.input)
	return dir
}

func (g golden) offset(t *testing.T, dir string) (string, int) {
	t.Helper()
	path := filepath.Join(dir, filepath.FromSlash(g.cursor))
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("cursor file: %v", err)
	}
	i := bytes.Index(b, []byte(g.needle))
	if i < 0 {
		t.Fatalf("cursor text %q not in %s", g.needle, g.cursor)
	}
	return path, i
}

// result is a golden's edit applied to its project.
type result struct {
	dir     string
	edit    analysis.WorkspaceEdit
	changed map[string]string // rel path -> new content
	route   string            // the full name of the route extracted
}

func runGolden(t *testing.T, g golden) (result, error) {
	t.Helper()
	ctx := context.Background()
	dir := g.project(t)
	p, err := project.Load(ctx, dir, fixture.FromDir(t, dir))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	path, off := g.offset(t, dir)
	routeName := ""
	if r, ok := refactor.RouteAt(p.File(path), off); ok {
		routeName = r.FullName
	}
	edit, err := refactor.Extract(ctx, p, nil, path, off, g.opts)
	if err != nil {
		return result{dir: dir, edit: edit, route: routeName}, err
	}
	files := map[string][]byte{}
	for _, e := range edit.Edits {
		if _, ok := files[e.Path]; !ok {
			b, err := os.ReadFile(e.Path)
			if err != nil {
				t.Fatalf("edit of a file that cannot be read: %v", err)
			}
			files[e.Path] = b
		}
	}
	for _, c := range edit.Creates {
		if _, err := os.Stat(c.Path); err == nil {
			t.Fatalf("the edit creates %s, which exists", c.Path)
		}
	}
	// Every range's line and UTF-16 column agree with its byte offset.
	for _, e := range edit.Edits {
		lt := textpos.New(files[e.Path])
		if got := lt.Range(int(e.Range.Start.Offset), int(e.Range.End.Offset)); got != e.Range {
			t.Errorf("edit of %s: range %+v, but its offsets are at %+v", e.Path, e.Range, got)
		}
	}
	out, err := refactor.ApplyEdit(files, edit)
	if err != nil {
		t.Fatalf("applying the edit: %v", err)
	}
	res := result{dir: dir, edit: edit, changed: map[string]string{}, route: routeName}
	for path, b := range out {
		if orig, ok := files[path]; ok && bytes.Equal(orig, b) {
			continue
		}
		rel, _ := filepath.Rel(dir, path)
		res.changed[filepath.ToSlash(rel)] = string(b)
	}
	return res, nil
}

// write puts the result on disk.
func (r result) write(t *testing.T) {
	t.Helper()
	for rel, content := range r.changed {
		path := filepath.Join(r.dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func goldens(t *testing.T) []golden {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "*.txtar"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no golden archives in testdata: %v", err)
	}
	var out []golden
	for _, p := range paths {
		out = append(out, loadGolden(t, p))
	}
	return out
}

func TestGolden(t *testing.T) {
	for _, g := range goldens(t) {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			res, err := runGolden(t, g)
			if g.refusal != "" {
				if !refactor.IsRefusal(err) {
					t.Fatalf("want a refusal containing %q, got error %v and %d edits, %d creations", g.refusal, err, len(res.edit.Edits), len(res.edit.Creates))
				}
				if !strings.Contains(err.Error(), g.refusal) {
					t.Errorf("refusal %q does not say %q", err, g.refusal)
				}
				if len(res.edit.Edits)+len(res.edit.Creates) != 0 {
					t.Errorf("a refusal came with an edit: %+v", res.edit)
				}
				return
			}
			if err != nil {
				t.Fatalf("extract: %v", err)
			}
			if *update {
				g.rewrite(t, res.changed)
				return
			}
			var gotPaths, wantPaths []string
			for p := range res.changed {
				gotPaths = append(gotPaths, p)
			}
			for p := range g.want {
				wantPaths = append(wantPaths, p)
			}
			slices.Sort(gotPaths)
			slices.Sort(wantPaths)
			if strings.Join(gotPaths, " ") != strings.Join(wantPaths, " ") {
				t.Errorf("changed files %v, want %v", gotPaths, wantPaths)
			}
			for p, want := range g.want {
				if got, ok := res.changed[p]; ok && got != want {
					t.Errorf("%s differs from the golden file:\n%s", p, lineDiff(want, got))
				}
			}
		})
	}
}

// rewrite replaces the archive's want/ members with the result.
func (g golden) rewrite(t *testing.T, changed map[string]string) {
	t.Helper()
	arch := &txtar.Archive{Comment: g.arch.Comment, Files: g.input.Files}
	var paths []string
	for p := range changed {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		arch.Files = append(arch.Files, txtar.File{Name: "want/" + p, Data: []byte(changed[p])})
	}
	if err := os.WriteFile(g.path, txtar.Format(arch), 0o644); err != nil {
		t.Fatal(err)
	}
}

// lineDiff shows the first differing lines.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\n want: %q\n  got: %q\n--- got ---\n%s", i+1, wl, gl, got)
		}
	}
	return "(same lines, different bytes)"
}

// TestResultsParse: every file a successful extraction writes parses
// without a syntax error, and the project's findings after it differ from
// those before only by what typegen fixes (the new plugin is not in the
// generated registry yet) and by the extracted route's direct-db hint
// going away.
func TestResultsParseAndCheck(t *testing.T) {
	ctx := context.Background()
	for _, g := range goldens(t) {
		if g.refusal != "" {
			continue
		}
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			res, err := runGolden(t, g)
			if err != nil {
				t.Fatalf("extract: %v", err)
			}
			parser := syntax.NewParser()
			defer parser.Close()
			for rel, content := range res.changed {
				tree, err := parser.Parse(ctx, []byte(content), syntax.TypeScript)
				if err != nil {
					t.Fatalf("%s: %v", rel, err)
				}
				if n, bad := tree.FirstError(); bad {
					t.Errorf("%s has a syntax error at byte %d: %q", rel, n.Start(), clip(n.Text()))
				}
			}
			before := findings(t, res.dir)
			res.write(t)
			after := findings(t, res.dir)
			// Typegen fixes these: the new plugin is not in the generated
			// registry and context yet.
			allowed := map[string]bool{"stale-registry": true, "stale-context": true, "types-missing": true}
			for key, f := range after {
				if _, ok := before[key]; ok || allowed[f.Code] {
					continue
				}
				t.Errorf("new finding after the extraction: %s %s: %s", f.Code, f.Location.Path, f.Message)
			}
			// The extracted route no longer touches ctx.db, so its
			// route-direct-db hint is gone.
			p, err := project.Load(ctx, res.dir, fixture.FromDir(t, res.dir))
			if err != nil {
				t.Fatal(err)
			}
			routePath := filepath.Join(res.dir, filepath.FromSlash(g.cursor))
			var route *facts.Route
			for i, r := range p.File(routePath).Routes {
				if r.FullName == res.route {
					route = &p.File(routePath).Routes[i]
				}
			}
			if route == nil {
				t.Fatalf("route %s is gone from %s", res.route, g.cursor)
			}
			for _, u := range route.CtxUses {
				if u.Member == "db" {
					t.Errorf("route %s still uses ctx.db", res.route)
				}
			}
			for _, f := range after {
				if f.Code == "route-direct-db" && f.Location.Path == routePath && route.CallRange.Contains(int(f.Location.Range.Start.Offset)) {
					t.Errorf("route %s still has a route-direct-db hint: %s", res.route, f.Message)
				}
			}
		})
	}
}

func findings(t *testing.T, dir string) map[string]analysis.Finding {
	t.Helper()
	ctx := context.Background()
	p, err := project.Load(ctx, dir, fixture.FromDir(t, dir))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	out := map[string]analysis.Finding{}
	for _, f := range analyzers.Run(ctx, p) {
		key := f.Code + "\x00" + f.Location.Path + "\x00" + f.Message
		out[key] = f
	}
	return out
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}
