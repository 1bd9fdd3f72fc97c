package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/donkeyls/donkeyls/lsp/lsptest"
	"github.com/donkeyls/donkeyls/lsp/text"
)

// TestNavigationOverThePipe drives the donkeyls binary on the example
// project: go to definition from ctx.plugins.books.list lands on the method
// in the plugin (not in registry.d.ts), hover on the plugin name lists its
// methods, and renaming the plugin edits its name and every ctx.plugins use
// but no generated file.
func TestNavigationOverThePipe(t *testing.T) {
	root, _ := staleBookshop(t)
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
