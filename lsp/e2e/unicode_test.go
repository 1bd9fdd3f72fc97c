package e2e

import (
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/donkeyls/donkeyls/lsp/lsptest"
)

// TestNonASCIIBeforeAFinding edits the plugin so that emoji and CJK text
// come before the stale handler key, on lines above it and on its own line,
// and checks the diagnostic's range in UTF-16 units: a byte or code point
// count would shift it.
func TestNonASCIIBeforeAFinding(t *testing.T) {
	root, _ := staleShop(t)
	srv := start(t)
	c := srv.client
	c.Initialize(root, lsptest.Capabilities(true), nil)
	plugin := filepath.Join(root, "src/server/plugins/books/index.ts")
	src := c.Open(plugin)
	c.WaitDiagnostics(plugin, "stale-registry", func(d lsptest.Diagnostics) bool { return lsptest.Has(d, "stale-registry") })

	lines := strings.Split(src, "\n")
	const keyLine = 60 // "      ndjson: createHandler..." (0-based)
	indent := len(lines[keyLine]) - len(strings.TrimLeft(lines[keyLine], " "))
	if !strings.HasPrefix(strings.TrimSpace(lines[keyLine]), "ndjson:") {
		t.Fatalf("fixture moved: line %d is %q", keyLine+1, lines[keyLine])
	}
	above := "      // 📚 書籍のエクスポート — NDJSON 🚀\n"
	inline := "/* 🦀 形式 */ "
	// Edits use UTF-16 positions too: insert the inline comment at the key
	// (after the ASCII indent), then a whole line above it.
	v := c.Change(plugin,
		lsptest.Edit{StartLine: keyLine, StartChar: indent, EndLine: keyLine, EndChar: indent, Text: inline},
		lsptest.Edit{StartLine: keyLine, StartChar: 0, EndLine: keyLine, EndChar: 0, Text: above},
	)
	wantChar := uint32(indent + len(utf16.Encode([]rune(inline))))
	d := c.WaitDiagnostics(plugin, "stale-registry after the edit", func(d lsptest.Diagnostics) bool {
		return d.Version != nil && *d.Version == v && lsptest.Has(d, "stale-registry")
	})
	for _, x := range d.Diagnostics {
		if x.Code != "stale-registry" {
			continue
		}
		if x.Range.Start.Line != keyLine+1 || x.Range.Start.Character != wantChar {
			t.Errorf("stale-registry starts at %d:%d, want %d:%d", x.Range.Start.Line, x.Range.Start.Character, keyLine+1, wantChar)
		}
		if width := x.Range.End.Character - x.Range.Start.Character; x.Range.End.Line != x.Range.Start.Line || width != uint32(len("ndjson")) {
			t.Errorf("stale-registry range %v, want the 6 units of %q", x.Range, "ndjson")
		}
	}
	c.Shutdown()
	srv.wait("exit")
}
