package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/donkeyls/donkeyls/internal/testenv"
	"github.com/donkeyls/donkeyls/lsp/lsptest"
	"github.com/donkeyls/donkeyls/lsp/text"
)

// TestNavigationOverThePipe drives the donkeyls binary on the shop-stale
// project: go to definition from ctx.plugins.books.list lands on the method
// in the plugin (not in registry.d.ts), hover on the plugin name lists its
// methods, and renaming the plugin edits its name and every ctx.plugins use
// but no generated file.
func TestNavigationOverThePipe(t *testing.T) {
	root, _ := staleShop(t)
	srv := start(t)
	c := srv.client
	c.Initialize(root, lsptest.Capabilities(true), nil)
	routes := filepath.Join(root, "src/server/routes/books.ts")
	plugin := filepath.Join(root, "src/server/plugins/books/index.ts")
	src := c.Open(routes)
	// Discovery runs after initialized; a request before it finds no project.
	c.WaitDiagnostics(routes, "the first analysis", func(d lsptest.Diagnostics) bool { return true })
	lines := strings.Split(src, "\n")
	const useLine = 21 // "      return ctx.plugins.books.list({ ..." (0-based)
	col := strings.Index(lines[useLine], "ctx.plugins.books.list")
	if col < 0 {
		t.Fatalf("fixture moved: line %d is %q", useLine+1, lines[useLine])
	}
	at := func(line, char int) map[string]any {
		return map[string]any{
			"textDocument": map[string]any{"uri": text.FileURI(routes)},
			"position":     map[string]any{"line": line, "character": char},
		}
	}
	var locs []struct {
		URI   string `json:"uri"`
		Range struct {
			Start struct{ Line, Character int } `json:"start"`
		} `json:"range"`
	}
	if err := c.Call("textDocument/definition", at(useLine, col+len("ctx.plugins.books.")+1), &locs); err != nil {
		t.Fatal(err)
	}
	if len(locs) != 1 {
		t.Fatalf("definition: %d locations, want 1: %+v", len(locs), locs)
	}
	u, _ := text.ParseURI(locs[0].URI)
	pluginLines := strings.Split(readFile(t, plugin), "\n")
	got := pluginLines[locs[0].Range.Start.Line][locs[0].Range.Start.Character:]
	if u.Path != plugin || !strings.HasPrefix(got, "list(") {
		t.Errorf("definition landed on %s:%d:%d (%q), want the list method in %s", u.Path, locs[0].Range.Start.Line+1, locs[0].Range.Start.Character+1, got, plugin)
	}

	var hover struct {
		Contents struct{ Value string } `json:"contents"`
	}
	if err := c.Call("textDocument/hover", at(useLine, col+len("ctx.plugins.")+1), &hover); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"plugin `books`", "`getById`", "`list`", "Registered:"} {
		if !strings.Contains(hover.Contents.Value, want) {
			t.Errorf("hover lacks %q:\n%s", want, hover.Contents.Value)
		}
	}

	params := at(useLine, col+len("ctx.plugins.")+1)
	params["newName"] = "catalog"
	var edit struct {
		DocumentChanges []struct {
			TextDocument struct{ URI string } `json:"textDocument"`
			Edits        []json.RawMessage    `json:"edits"`
		} `json:"documentChanges"`
	}
	if err := c.Call("textDocument/rename", params, &edit); err != nil {
		t.Fatal(err)
	}
	files := map[string]int{}
	for _, dc := range edit.DocumentChanges {
		u, _ := text.ParseURI(dc.TextDocument.URI)
		rel, _ := filepath.Rel(root, u.Path)
		files[filepath.ToSlash(rel)] += len(dc.Edits)
	}
	if files["src/server/plugins/books/index.ts"] == 0 || files["src/server/routes/books.ts"] < 4 {
		t.Errorf("rename edits per file: %v; want the name and every ctx.plugins.books use", files)
	}
	for f := range files {
		if strings.Contains(f, ".@donkeylabs") {
			t.Errorf("rename edits the generated %s", f)
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRenamePluginThenCheck renames plugin users to members through the
// binary, applies the edit to the files as an editor would on save, and runs
// `donkeyls check`: no unknown plugin, method or dependency is left behind.
// What it reports beyond shop-stale's own findings is staleness (the
// generated types name the old plugin) and, because the generator names
// this plugin after its folder (its regular expression cannot read the
// name), plugin-name-misread, which the rename's warning announced.
func TestRenamePluginThenCheck(t *testing.T) {
	root, _ := staleShop(t)
	before := checkCodes(t, root)
	srv := start(t)
	c := srv.client
	c.Initialize(root, lsptest.Capabilities(true), nil)
	plugin := filepath.Join(root, "src/server/plugins/users/index.ts")
	src := c.Open(plugin)
	c.WaitDiagnostics(plugin, "the first analysis", func(d lsptest.Diagnostics) bool { return true })
	line, col := -1, 0
	for i, l := range strings.Split(src, "\n") {
		if j := strings.Index(l, `name: "users"`); j >= 0 {
			line, col = i, j+len(`name: "`)+1
			break
		}
	}
	if line < 0 {
		t.Fatal(`fixture moved: no name: "users" in the users plugin`)
	}
	var edit workspaceEdit
	params := map[string]any{
		"textDocument": map[string]any{"uri": text.FileURI(plugin)},
		"position":     map[string]any{"line": line, "character": col},
		"newName":      "members",
	}
	if err := c.Call("textDocument/rename", params, &edit); err != nil {
		t.Fatal(err)
	}
	warning := c.WaitMessage("renaming plugin").Message
	for _, want := range []string{"uses its folder, users", "1 migration in src/server/plugins/users/migrations"} {
		if !strings.Contains(warning, want) {
			t.Errorf("the rename's warning lacks %q: %s", want, warning)
		}
	}
	edited := edit.applyToDisk(t)
	if edited < 3 {
		t.Fatalf("rename made %d edits, want the name, the orders dependency and its ctx.deps use at least", edited)
	}
	after := checkCodes(t, root)
	// Besides staleness, only what the rename's warning announced: the
	// generator keeps naming the plugin after its folder, and the server
	// looks for its migrations under plugins/members/migrations, which the
	// folder named users is not (the real server then answers 500, "no such
	// table").
	announced := map[string]bool{"plugin-name-misread": true, "migrations-unreachable": true}
	for code := range after {
		if !before[code] && !strings.HasPrefix(code, "stale-") && !announced[code] {
			t.Errorf("after the rename check reports %s, which it did not before", code)
		}
	}
	if !after["migrations-unreachable"] {
		t.Errorf("after the rename check does not say the migrations are out of the server's reach: %v", after)
	}
	if !after["stale-registry"] {
		t.Errorf("after the rename check does not say the registry is stale: %v", after)
	}
}

// workspaceEdit is a rename's answer: text edits per document.
type workspaceEdit struct {
	DocumentChanges []struct {
		TextDocument struct{ URI string } `json:"textDocument"`
		Edits        []struct {
			Range struct {
				Start struct{ Line, Character int } `json:"start"`
				End   struct{ Line, Character int } `json:"end"`
			} `json:"range"`
			NewText string `json:"newText"`
		} `json:"edits"`
	} `json:"documentChanges"`
}

// applyToDisk writes the edit into the files as an editor does on save and
// returns how many text edits it applied. Edits of one file do not overlap;
// they are applied from the last so the earlier positions stay right. The
// projects are ASCII, so UTF-16 columns are byte columns.
func (edit workspaceEdit) applyToDisk(t *testing.T) int {
	t.Helper()
	edited := 0
	for _, dc := range edit.DocumentChanges {
		u, _ := text.ParseURI(dc.TextDocument.URI)
		lines := strings.Split(readFile(t, u.Path), "\n")
		edits := dc.Edits
		sort.Slice(edits, func(i, j int) bool {
			a, b := edits[i].Range.Start, edits[j].Range.Start
			return a.Line < b.Line || a.Line == b.Line && a.Character < b.Character
		})
		for _, e := range slices.Backward(edits) {

			if e.Range.Start.Line != e.Range.End.Line {
				t.Fatalf("a rename edit spans lines: %+v", e)
			}
			l := lines[e.Range.Start.Line]
			lines[e.Range.Start.Line] = l[:e.Range.Start.Character] + e.NewText + l[e.Range.End.Character:]
			edited++
		}
		if err := os.WriteFile(u.Path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return edited
}

func checkCodes(t *testing.T, root string) map[string]bool {
	t.Helper()
	out, err := exec.Command(testenv.Binary(t), "check", "--format", "json", root).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
			t.Fatalf("donkeyls check: %v", err)
		}
	}
	var res struct {
		Findings []struct{ Code string } `json:"findings"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("check output: %v\n%s", err, out)
	}
	codes := map[string]bool{}
	for _, f := range res.Findings {
		codes[f.Code] = true
	}
	return codes
}
