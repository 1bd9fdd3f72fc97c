package lsp_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/donkeyls/donkeyls/internal/fixture"
	"github.com/donkeyls/donkeyls/lsp/lsptest"
	"github.com/donkeyls/donkeyls/lsp/text"
)

// TestMemberCompletionOnlyWhenTypesCannot: on the fresh shop tsserver
// already completes ctx.plugins. from registry.d.ts, so donkeyls answers
// nothing there (a second copy of each item would clutter the list); once
// registry.d.ts is gone the same request lists the plugins.
func TestMemberCompletionOnlyWhenTypesCannot(t *testing.T) {
	root := t.TempDir()
	fixture.Base(t, fixture.Fixture{Base: "shop"}, root)
	routes := filepath.Join(root, "src/server/routes/books.ts")
	c := startNav(t, root)
	src := c.Open(routes)
	c.WaitDiagnostics(routes, "the first analysis", func(d lsptest.Diagnostics) bool { return true })
	lines := strings.Split(src, "\n")
	line, col := -1, 0
	for i, l := range lines {
		if j := strings.Index(l, "ctx.plugins.books.list"); j >= 0 {
			line, col = i, j+len("ctx.plugins.")
			break
		}
	}
	if line < 0 {
		t.Fatal("fixture moved: no ctx.plugins.books.list in routes/books.ts")
	}
	params := map[string]any{
		"textDocument": map[string]any{"uri": text.FileURI(routes)},
		"position":     map[string]any{"line": line, "character": col},
	}
	complete := func() []string {
		t.Helper()
		var raw json.RawMessage
		if err := c.Call("textDocument/completion", params, &raw); err != nil {
			t.Fatal(err)
		}
		if len(raw) == 0 || string(raw) == "null" {
			return nil
		}
		var cl struct{ Items []struct{ Label string } }
		if err := json.Unmarshal(raw, &cl); err != nil {
			t.Fatal(err)
		}
		var labels []string
		for _, it := range cl.Items {
			labels = append(labels, it.Label)
		}
		return labels
	}
	if got := complete(); got != nil {
		t.Errorf("fresh registry: completion answered %v, want null (tsserver has these names)", got)
	}

	registry := filepath.Join(root, ".@donkeylabs/server/registry.d.ts")
	if err := os.Remove(registry); err != nil {
		t.Fatal(err)
	}
	c.Notify("workspace/didChangeWatchedFiles", map[string]any{"changes": []map[string]any{{"uri": text.FileURI(registry), "type": 3}}})
	// The missing output is reported at the config: then the snapshot
	// without it is the current one.
	c.WaitDiagnostics(filepath.Join(root, "donkeylabs.config.ts"), "types-missing", func(d lsptest.Diagnostics) bool { return lsptest.Has(d, "types-missing") })
	if got, want := complete(), "audit books orders users"; strings.Join(got, " ") != want {
		t.Errorf("registry.d.ts missing: completion lists %v, want %s", got, want)
	}
}
