package e2e

import (
	"strings"
	"testing"

	"github.com/donkeyls/donkeyls/internal/navcase"
	"github.com/donkeyls/donkeyls/lsp/lsptest"
	"github.com/donkeyls/donkeyls/lsp/text"
)

// TestNavigationCaseOverThePipe runs the navigation case (internal/navcase)
// through the binary: go to definition from ctx.plugins.notes.list lands on
// the list method, hover on a route shows the middleware the runtime runs
// for it, code lenses count a plugin's uses and a route's callers, and
// renaming plugin notes to memos, applied to disk, leaves
// exactly the expected files, after which `donkeyls check` reports only
// staleness.
func TestNavigationCaseOverThePipe(t *testing.T) {
	nc := navcase.New(t)
	if f := nc.Check(t); len(f) != 0 {
		t.Fatalf("the notes app should be clean before the rename: %+v", f)
	}
	srv := start(t)
	c := srv.client
	c.Initialize(nc.Root, lsptest.Capabilities(true), nil)
	c.Open(nc.Use.File)
	c.WaitDiagnostics(nc.Use.File, "the first analysis", func(d lsptest.Diagnostics) bool { return true })
	at := func(p navcase.Pos) map[string]any {
		return map[string]any{
			"textDocument": map[string]any{"uri": text.FileURI(p.File)},
			"position":     map[string]any{"line": p.Line, "character": p.Character},
		}
	}

	var locs []struct {
		URI   string `json:"uri"`
		Range struct {
			Start struct{ Line, Character int } `json:"start"`
		} `json:"range"`
	}
	if err := c.Call("textDocument/definition", at(nc.Use), &locs); err != nil {
		t.Fatal(err)
	}
	if len(locs) != 1 {
		t.Fatalf("definition from %s: %d locations, want 1: %+v", nc.String(nc.Use), len(locs), locs)
	}
	u, _ := text.ParseURI(locs[0].URI)
	got := navcase.Pos{File: u.Path, Line: locs[0].Range.Start.Line, Character: locs[0].Range.Start.Character}
	if got != nc.Method {
		t.Errorf("definition from %s landed on %s, want the list method at %s", nc.String(nc.Use), nc.String(got), nc.String(nc.Method))
	}

	for _, h := range nc.Hovers {
		var hover struct {
			Contents struct{ Kind, Value string } `json:"contents"`
		}
		if err := c.Call("textDocument/hover", at(h.At), &hover); err != nil {
			t.Fatal(err)
		}
		if hover.Contents.Kind != "markdown" {
			t.Errorf("hover at %s is %q, want markdown", nc.String(h.At), hover.Contents.Kind)
		}
		for _, want := range h.Want {
			if !strings.Contains(hover.Contents.Value, want) {
				t.Errorf("hover at %s lacks %q:\n%s", nc.String(h.At), want, hover.Contents.Value)
			}
		}
	}

	for _, l := range nc.Lenses {
		var lenses []map[string]any
		if err := c.Call("textDocument/codeLens", map[string]any{"textDocument": map[string]any{"uri": text.FileURI(l.At.File)}}, &lenses); err != nil {
			t.Fatal(err)
		}
		var lens map[string]any
		for _, x := range lenses {
			if r, _ := x["range"].(map[string]any); r != nil {
				if start, _ := r["start"].(map[string]any); start != nil && start["line"] == float64(l.At.Line) {
					lens = x
				}
			}
		}
		if lens == nil {
			t.Errorf("no code lens on line %d of %s: %v", l.At.Line+1, nc.String(l.At), lenses)
			continue
		}
		var resolved struct {
			Command struct{ Title string } `json:"command"`
		}
		if err := c.Call("codeLens/resolve", lens, &resolved); err != nil {
			t.Fatal(err)
		}
		if resolved.Command.Title != l.Title {
			t.Errorf("the code lens at %s reads %q, want %q", nc.String(l.At), resolved.Command.Title, l.Title)
		}
	}

	var prep struct {
		Placeholder string `json:"placeholder"`
	}
	if err := c.Call("textDocument/prepareRename", at(nc.Rename), &prep); err != nil {
		t.Fatal(err)
	}
	if prep.Placeholder != nc.OldName {
		t.Errorf("prepareRename at %s offers %q, want %q", nc.String(nc.Rename), prep.Placeholder, nc.OldName)
	}
	params := at(nc.Rename)
	params["newName"] = nc.NewName
	var edit workspaceEdit
	if err := c.Call("textDocument/rename", params, &edit); err != nil {
		t.Fatal(err)
	}
	edit.applyToDisk(t)
	nc.CheckRenamed(t)
	nc.CheckOnlyStaleness(t)
}
