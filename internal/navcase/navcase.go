// Package navcase is the navigation case every end-to-end client runs (the
// Go client over a pipe, the Node client, headless Neovim) on the notes app
// (internal/fixture/testdata/notes-app.txtar, checked against the real
// generator and server): where its names are, what go to definition and
// hover must answer, what renaming plugin notes to memos must leave on disk
// and what `donkeyls check` must say afterwards. Keeping it in one place
// means the three clients prove the same thing.
package navcase

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/donkeyls/donkeyls/internal/fixture"
	"github.com/donkeyls/donkeyls/internal/testenv"
)

// Pos is a place in the project: File is absolute, Line and Character are
// 0-based; the app is ASCII, so UTF-16 columns are byte columns.
type Pos struct {
	File      string `json:"file"`
	Line      int    `json:"line"`
	Character int    `json:"character"`
}

// Hover is a hover request and the lines its Markdown must hold.
type Hover struct {
	At   Pos      `json:"at"`
	Want []string `json:"want"`
}

// Lens is a code lens: on the line of At, resolved to Title.
type Lens struct {
	At    Pos    `json:"at"`
	Title string `json:"title"`
}

// Case is the materialized app and what each request must answer.
type Case struct {
	Root string `json:"root"`
	// Use is the cursor on `list` in `ctx.plugins.notes.list()`
	// (src/server/routes/notes.ts); Method is where definition must land:
	// `list` in the notes plugin's service.
	Use    Pos `json:"use"`
	Method Pos `json:"method"`
	// Rename is the cursor on notes in `name: "notes"`, renamed to NewName.
	Rename  Pos    `json:"rename"`
	OldName string `json:"oldName"`
	NewName string `json:"newName"`
	// Hovers are routes whose hover must show the middleware the runtime
	// runs for them.
	Hovers []Hover `json:"hovers"`
	// Lenses are code lenses of the notes plugin and the routes file.
	Lenses []Lens `json:"lenses"`
}

// runs heads the list of middleware a route runs at request time.
const runs = "**Runs middleware** (in order, as the router's shared stack runs it):\n"

func testdata(name string) string {
	return filepath.Join(testenv.RepoRoot(), "internal", "fixture", "testdata", name)
}

// New writes the notes app into a fresh temporary directory named notes-app
// and finds the positions in it.
func New(t testing.TB) Case {
	t.Helper()
	root := filepath.Join(t.TempDir(), "notes-app")
	fx := fixture.Load(t, testdata("notes-app.txtar"))
	fixture.Apply(t, root, fx.Arch)
	routes := filepath.Join(root, "src/server/routes/notes.ts")
	plugin := filepath.Join(root, "src/server/plugins/notes/index.ts")
	admin := filepath.Join(root, "src/server/routes/admin.ts")
	return Case{
		Root:    root,
		Use:     find(t, routes, "ctx.plugins.notes.list()", "list"),
		Method:  find(t, plugin, "list(): Note[]", "list"),
		Rename:  find(t, plugin, `name: "notes"`, "notes"),
		OldName: "notes",
		NewName: "memos",
		Hovers: []Hover{
			{At: find(t, routes, `.route("add")`, "add"), Want: []string{"**route `notes.add`**", runs + "- `authRequired`\n"}},
			{At: find(t, routes, `.route("list")`, "list"), Want: []string{"**route `notes.list`**", "**Runs middleware:** none"}},
			{At: find(t, admin, `.route("reset")`, "reset"), Want: []string{"**route `admin.reset`**", runs + "- `authRequired`\n"}},
		},
		Lenses: []Lens{
			// name, the feed dependency, ctx.deps, three ctx.plugins, registerPlugin
			{At: find(t, plugin, "export const notesPlugin", "notesPlugin"), Title: "6 uses · registered in index.ts"},
			{At: find(t, routes, `.route("add")`, "add"), Title: "0 callers · no client (no adapter)"},
		},
	}
}

// find is the position of at inside the only occurrence of needle in file.
func find(t testing.TB, file, needle, at string) Pos {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	i := strings.Index(src, needle)
	if i < 0 || strings.Count(src, needle) != 1 {
		t.Fatalf("notes app moved: %q occurs %d times in %s, want once", needle, strings.Count(src, needle), file)
	}
	j := strings.Index(needle, at)
	if j < 0 {
		t.Fatalf("%q is not inside %q", at, needle)
	}
	off := i + j
	line := strings.Count(src[:off], "\n")
	return Pos{File: file, Line: line, Character: off - (strings.LastIndex(src[:off], "\n") + 1)}
}

// WriteJSON writes the case for a client in another language and returns
// the file's path.
func (c Case) WriteJSON(t testing.TB) string {
	t.Helper()
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "navcase.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// String is a position as a user reads it: path:line:column, 1-based.
func (c Case) String(p Pos) string {
	rel, err := filepath.Rel(c.Root, p.File)
	if err != nil {
		rel = p.File
	}
	return fmt.Sprintf("%s:%d:%d", filepath.ToSlash(rel), p.Line+1, p.Character+1)
}

// CheckRenamed checks the files on disk after the rename was applied and
// saved: the files notes-app-renamed.txtar lists hold exactly its text,
// every other file is as the app had it, and no file was added or removed.
// Directories the server or the editor keep state in are left out.
func (c Case) CheckRenamed(t testing.TB) {
	t.Helper()
	want := map[string][]byte{}
	for _, f := range fixture.Load(t, testdata("notes-app.txtar")).Arch.Files {
		want[f.Name] = f.Data
	}
	changed := fixture.Load(t, testdata("notes-app-renamed.txtar")).Arch.Files
	for _, f := range changed {
		if _, ok := want[f.Name]; !ok {
			t.Fatalf("notes-app-renamed.txtar holds %s, which the app does not have", f.Name)
		}
		want[f.Name] = f.Data
	}
	got := map[string][]byte{}
	err := filepath.WalkDir(c.Root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".donkeyls" || d.Name() == ".donkeylabs") {
			return filepath.SkipDir
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(c.Root, path)
		b, err := os.ReadFile(path)
		got[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatalf("reading the app after the rename: %v", err)
	}
	var paths []string
	for p := range want {
		paths = append(paths, p)
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	for _, p := range paths {
		w, inWant := want[p]
		g, inGot := got[p]
		switch {
		case !inGot:
			t.Errorf("after the rename %s is gone", p)
		case !inWant:
			t.Errorf("after the rename there is a new file %s:\n%s", p, g)
		case !bytes.Equal(w, g):
			t.Errorf("after the rename %s is not as expected: %s", p, firstDifference(w, g))
		}
	}
}

// firstDifference names the first line where got differs from want.
func firstDifference(want, got []byte) string {
	wl := strings.Split(string(want), "\n")
	gl := strings.Split(string(got), "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g || i >= len(wl) || i >= len(gl) {
			return fmt.Sprintf("line %d is %q, want %q", i+1, g, w)
		}
	}
	return "same lines"
}

// Finding is one finding of `donkeyls check --format json`.
type Finding struct {
	Code    string `json:"code"`
	File    string `json:"file"`
	Message string `json:"message"`
}

// Check runs `donkeyls check --format json` on the app.
func (c Case) Check(t testing.TB) []Finding {
	t.Helper()
	out, err := exec.Command(testenv.Binary(t), "check", "--format", "json", c.Root).Output()
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 1) {
		t.Fatalf("donkeyls check: %v\n%s", err, out)
	}
	var res struct {
		Findings []Finding `json:"findings"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("donkeyls check output: %v\n%s", err, out)
	}
	return res.Findings
}

// CheckOnlyStaleness runs `donkeyls check` after the rename: the app was
// clean before it, so every finding must be staleness (the generated types
// still name plugin notes; regenerating clears them, as the real generator
// did), and the registry must be among them. Anything else (unknown-plugin,
// unknown-dependency, ...) means the rename left a use behind.
func (c Case) CheckOnlyStaleness(t testing.TB) {
	t.Helper()
	findings := c.Check(t)
	stale := false
	for _, f := range findings {
		if !strings.HasPrefix(f.Code, "stale-") {
			t.Errorf("after the rename check reports %s in %s: %s", f.Code, f.File, f.Message)
		}
		stale = stale || f.Code == "stale-registry"
	}
	if !stale {
		t.Errorf("after the rename check does not say the registry is stale: %+v", findings)
	}
}
