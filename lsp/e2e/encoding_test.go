package e2e

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/donkeyls/donkeyls/lsp/lsptest"
	"github.com/donkeyls/donkeyls/lsp/text"
)

// units counts s the way a client of the encoding does, with the standard
// library rather than the server's own conversion.
func units(s, enc string) int {
	if enc == "utf-8" {
		return len(s)
	}
	return len(utf16.Encode([]rune(s)))
}

// TestPositionEncodingOverThePipe drives the binary in each encoding a
// client may negotiate. Emoji and CJK text is typed (incremental didChange,
// characters counted in the encoding) before the stale handler key, inside
// a comment that a second change then edits after the emoji, and before the
// service method and its use; the finding's character, the edited text and
// go to definition's answer must all be counted in the negotiated encoding.
// A change misread in the other encoding would cut the comment elsewhere,
// which moves or removes the finding.
func TestPositionEncodingOverThePipe(t *testing.T) {
	for _, tc := range []struct {
		name    string
		offered []string
		want    string
	}{
		{"utf-16 by default", nil, "utf-16"},
		{"utf-8 when the client prefers it", []string{"utf-8", "utf-16"}, "utf-8"},
		{"utf-16 when preferred over utf-8", []string{"utf-32", "utf-16", "utf-8"}, "utf-16"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			enc := tc.want
			root, _ := staleShop(t)
			srv := start(t)
			c := srv.client
			caps := lsptest.Capabilities(true)
			if tc.offered != nil {
				caps["general"] = map[string]any{"positionEncodings": tc.offered}
			}
			var init struct {
				Capabilities struct {
					PositionEncoding string `json:"positionEncoding"`
				} `json:"capabilities"`
			}
			if err := json.Unmarshal(c.Initialize(root, caps, nil), &init); err != nil {
				t.Fatal(err)
			}
			if init.Capabilities.PositionEncoding != enc {
				t.Fatalf("offered %v: positionEncoding %q, want %q", tc.offered, init.Capabilities.PositionEncoding, enc)
			}
			plugin := filepath.Join(root, "src/server/plugins/books/index.ts")
			routes := filepath.Join(root, "src/server/routes/books.ts")
			lines := strings.Split(c.Open(plugin), "\n")
			c.WaitDiagnostics(plugin, "stale-registry", func(d lsptest.Diagnostics) bool { return lsptest.Has(d, "stale-registry") })

			const keyLine, methodLine = 60, 73 // "      ndjson: ...", "        async list(..." (0-based)
			if !strings.HasPrefix(strings.TrimSpace(lines[keyLine]), "ndjson:") || !strings.HasPrefix(strings.TrimSpace(lines[methodLine]), "async list(") {
				t.Fatalf("fixture moved: lines %d and %d are %q, %q", keyLine+1, methodLine+1, lines[keyLine], lines[methodLine])
			}
			indent := func(l string) int { return len(l) - len(strings.TrimLeft(l, " ")) }
			keyIndent, methodIndent := indent(lines[keyLine]), indent(lines[methodLine])
			above := "      // 📚 書籍のエクスポート — NDJSON 🚀\n"
			inline := "/* 🦀 形式 */ "
			note := "/* 🎉 */ "
			// One change, three edits, each read against the text the one
			// before produced: a comment before the key, a line above it
			// (the key moves down one line), a comment before the method.
			c.Change(plugin,
				lsptest.Edit{StartLine: keyLine, StartChar: keyIndent, EndLine: keyLine, EndChar: keyIndent, Text: inline},
				lsptest.Edit{StartLine: keyLine, StartChar: 0, EndLine: keyLine, EndChar: 0, Text: above},
				lsptest.Edit{StartLine: methodLine + 1, StartChar: methodIndent, EndLine: methodLine + 1, EndChar: methodIndent, Text: note},
			)
			// Then replace "形式", which follows the emoji, with "ok".
			from := keyIndent + units("/* 🦀 ", enc)
			v := c.Change(plugin, lsptest.Edit{StartLine: keyLine + 1, StartChar: from, EndLine: keyLine + 1, EndChar: from + units("形式", enc), Text: "ok"})
			d := c.WaitDiagnostics(plugin, "stale-registry after the edits", func(d lsptest.Diagnostics) bool {
				return d.Version != nil && *d.Version == v && lsptest.Has(d, "stale-registry")
			})
			wantChar := uint32(keyIndent + units("/* 🦀 ok */ ", enc))
			for _, x := range d.Diagnostics {
				if x.Code != "stale-registry" {
					continue
				}
				if x.Range.Start.Line != keyLine+1 || x.Range.Start.Character != wantChar || x.Range.End.Line != keyLine+1 || x.Range.End.Character != wantChar+6 {
					t.Errorf("stale-registry at %d:%d-%d:%d, want %d:%d-%d:%d (%q in %s)", x.Range.Start.Line, x.Range.Start.Character, x.Range.End.Line, x.Range.End.Character,
						keyLine+1, wantChar, keyLine+1, wantChar+6, "ndjson", enc)
				}
			}

			// Go to definition from a use that follows non-ASCII text lands
			// on the method, after the comment typed before it.
			rlines := strings.Split(c.Open(routes), "\n")
			const useLine = 21 // "      return ctx.plugins.books.list({ ..."
			col := strings.Index(rlines[useLine], "return ctx.plugins.books.list")
			if col < 0 {
				t.Fatalf("fixture moved: line %d is %q", useLine+1, rlines[useLine])
			}
			useNote := "/* 本 📖 */ "
			rv := c.Change(routes, lsptest.Edit{StartLine: useLine, StartChar: col, EndLine: useLine, EndChar: col, Text: useNote})
			c.WaitDiagnostics(routes, "the route's edit analyzed", func(d lsptest.Diagnostics) bool { return d.Version != nil && *d.Version == rv })
			var locs []struct {
				URI   string `json:"uri"`
				Range struct {
					Start struct{ Line, Character int } `json:"start"`
					End   struct{ Line, Character int } `json:"end"`
				} `json:"range"`
			}
			char := col + units(useNote+"return ctx.plugins.books.", enc) + 1
			if err := c.Call("textDocument/definition", map[string]any{
				"textDocument": map[string]any{"uri": text.FileURI(routes)},
				"position":     map[string]any{"line": useLine, "character": char},
			}, &locs); err != nil {
				t.Fatal(err)
			}
			wantStart := methodIndent + units(note+"async ", enc)
			if len(locs) != 1 {
				t.Fatalf("definition at %d:%d: %d locations, want 1: %+v", useLine, char, len(locs), locs)
			}
			u, _ := text.ParseURI(locs[0].URI)
			if l := locs[0]; u.Path != plugin || l.Range.Start.Line != methodLine+1 || l.Range.Start.Character != wantStart || l.Range.End.Character != wantStart+len("list") {
				t.Errorf("definition = %s %d:%d-%d, want %s %d:%d-%d (the list method, in %s)", u.Path, l.Range.Start.Line, l.Range.Start.Character, l.Range.End.Character,
					plugin, methodLine+1, wantStart, wantStart+len("list"), enc)
			}

			// References, prepareRename and document symbols count the same
			// way: the use after the note, the method after its comment.
			useStart := col + units(useNote+"return ctx.plugins.books.", enc)
			var refs []struct {
				URI   string `json:"uri"`
				Range struct {
					Start struct{ Line, Character int } `json:"start"`
				} `json:"range"`
			}
			if err := c.Call("textDocument/references", map[string]any{
				"textDocument": map[string]any{"uri": text.FileURI(routes)},
				"position":     map[string]any{"line": useLine, "character": char},
				"context":      map[string]any{"includeDeclaration": true},
			}, &refs); err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for _, r := range refs {
				u, _ := text.ParseURI(r.URI)
				switch {
				case u.Path == routes && r.Range.Start.Line == useLine:
					seen["use"] = r.Range.Start.Character == useStart
				case u.Path == plugin && r.Range.Start.Line == methodLine+1:
					seen["def"] = r.Range.Start.Character == wantStart
				}
			}
			if !seen["use"] || !seen["def"] {
				t.Errorf("references lack the use at %d:%d or the method at %d:%d (in %s): %+v", useLine, useStart, methodLine+1, wantStart, enc, refs)
			}
			var prep struct {
				Range struct {
					Start struct{ Line, Character int } `json:"start"`
				} `json:"range"`
			}
			if err := c.Call("textDocument/prepareRename", map[string]any{
				"textDocument": map[string]any{"uri": text.FileURI(routes)},
				"position":     map[string]any{"line": useLine, "character": char},
			}, &prep); err != nil {
				t.Fatal(err)
			}
			if prep.Range.Start.Line != useLine || prep.Range.Start.Character != useStart {
				t.Errorf("prepareRename range starts at %d:%d, want %d:%d (in %s)", prep.Range.Start.Line, prep.Range.Start.Character, useLine, useStart, enc)
			}
			var syms []struct {
				Name     string `json:"name"`
				Children []struct {
					Name           string `json:"name"`
					SelectionRange struct {
						Start struct{ Line, Character int } `json:"start"`
					} `json:"selectionRange"`
				} `json:"children"`
			}
			if err := c.Call("textDocument/documentSymbol", map[string]any{"textDocument": map[string]any{"uri": text.FileURI(plugin)}}, &syms); err != nil {
				t.Fatal(err)
			}
			found := false
			for _, sym := range syms {
				for _, ch := range sym.Children {
					if ch.Name == "list" {
						found = ch.SelectionRange.Start.Line == methodLine+1 && ch.SelectionRange.Start.Character == wantStart
					}
				}
			}
			if !found {
				t.Errorf("document symbols lack the list method at %d:%d (in %s): %+v", methodLine+1, wantStart, enc, syms)
			}
			c.Shutdown()
			srv.wait("exit")
		})
	}
}
