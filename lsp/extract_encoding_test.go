package lsp_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/donkeyls/donkeyls/internal/fixture"
	"github.com/donkeyls/donkeyls/lsp/lsptest"
	"github.com/donkeyls/donkeyls/lsp/text"
)

// TestExtractEditInEachEncoding asks for the extract refactoring on a route
// whose lines hold emoji and CJK comments before the edit's start and end,
// once in a utf-16 session and once in a utf-8 one, and applies each
// session's workspace edit with characters counted as that client counts
// them (the standard library, not the server's conversion). Both must give
// the same files, with the comments intact and the query moved out.
func TestExtractEditInEachEncoding(t *testing.T) {
	results := map[string]map[string]string{}
	for _, enc := range []string{"utf-16", "utf-8"} {
		root := t.TempDir()
		fixture.Base(t, fixture.Fixture{Base: "shop"}, root)
		admin := filepath.Join(root, "src", "server", "routes", "admin.ts")
		b, err := os.ReadFile(admin)
		if err != nil {
			t.Fatal(err)
		}
		src := strings.Replace(string(b), "  handle: async (input, ctx) => {\n    const row", "  /* 売上 📈 */ handle: async (input, ctx) => {\n    const row", 1)
		src = strings.Replace(src, "revenueCents ?? 0) };\n  },", "revenueCents ?? 0) };\n  /* 終 🔚 */ },", 1)
		if !strings.Contains(src, "売上") || !strings.Contains(src, "終") {
			t.Fatal("fixture moved: the salesReport handler of admin.ts is not where the test edits it")
		}
		if err := os.WriteFile(admin, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}

		c := serveBinary(t)
		caps := lsptest.Capabilities(true)
		caps["general"] = map[string]any{"positionEncodings": []string{enc}}
		c.Initialize(root, caps, nil)
		c.Open(admin)
		d := c.WaitDiagnostics(admin, "the route-direct-db hint", func(d lsptest.Diagnostics) bool { return lsptest.Has(d, "route-direct-db") })
		var hint any
		var hintRange any
		for _, x := range d.Diagnostics {
			if fmt.Sprint(x.Code) == "route-direct-db" {
				hint, hintRange = x, x.Range
			}
		}
		var actions []struct {
			Title string `json:"title"`
			Edit  *struct {
				DocumentChanges []json.RawMessage `json:"documentChanges"`
			} `json:"edit"`
		}
		if err := c.Call("textDocument/codeAction", map[string]any{
			"textDocument": map[string]any{"uri": text.FileURI(admin)},
			"range":        hintRange,
			"context":      map[string]any{"diagnostics": []any{hint}, "only": []string{"refactor"}},
		}, &actions); err != nil {
			t.Fatal(err)
		}
		files := map[string]string{}
		for _, a := range actions {
			if a.Title != "Extract into new plugin 'admin'" || a.Edit == nil {
				continue
			}
			for _, raw := range a.Edit.DocumentChanges {
				var ch struct {
					Kind         string `json:"kind"`
					URI          string `json:"uri"`
					TextDocument struct {
						URI string `json:"uri"`
					} `json:"textDocument"`
					Edits []wireTextEdit `json:"edits"`
				}
				if err := json.Unmarshal(raw, &ch); err != nil {
					t.Fatal(err)
				}
				if ch.Kind == "create" {
					files[ch.URI] = ""
					continue
				}
				cur, ok := files[ch.TextDocument.URI]
				if !ok {
					u, _ := text.ParseURI(ch.TextDocument.URI)
					b, err := os.ReadFile(u.Path)
					if err != nil {
						t.Fatal(err)
					}
					cur = string(b)
				}
				files[ch.TextDocument.URI] = applyCounted(t, cur, ch.Edits, enc)
			}
		}
		if len(files) == 0 {
			t.Fatalf("%s: no extract action with an edit: %+v", enc, actions)
		}
		rel := map[string]string{}
		for uri, content := range files {
			u, _ := text.ParseURI(uri)
			r, _ := filepath.Rel(root, u.Path)
			rel[filepath.ToSlash(r)] = content
		}
		after := rel["src/server/routes/admin.ts"]
		if !strings.Contains(after, "/* 売上 📈 */ handle:") || strings.Contains(after, "selectFrom(\"orders\")") {
			t.Errorf("%s: admin.ts after the edit should keep the comment before handle and lose the query:\n%s", enc, after)
		}
		for _, content := range rel {
			if !utf8.ValidString(content) {
				t.Errorf("%s: an edit split a character:\n%s", enc, content)
			}
		}
		results[enc] = rel
		c.Shutdown()
	}
	a, b := results["utf-16"], results["utf-8"]
	var paths []string
	for p := range a {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	if len(a) != len(b) {
		t.Errorf("the utf-16 edit changes %d files, the utf-8 one %d", len(a), len(b))
	}
	for _, p := range paths {
		if a[p] != b[p] {
			t.Errorf("%s differs between the encodings:\nutf-16:\n%s\nutf-8:\n%s", p, a[p], b[p])
		}
	}
}

// applyCounted applies edits (all against s, as LSP says) with characters
// counted in enc, for a text whose lines end in "\n".
func applyCounted(t *testing.T, s string, edits []wireTextEdit, enc string) string {
	t.Helper()
	lines := strings.SplitAfter(s, "\n")
	offset := func(line, char int) int {
		off := 0
		for i := 0; i < line && i < len(lines); i++ {
			off += len(lines[i])
		}
		if line >= len(lines) {
			return len(s)
		}
		l := strings.TrimSuffix(lines[line], "\n")
		n := 0
		for i, r := range l {
			if n >= char {
				return off + i
			}
			if enc == "utf-8" {
				n += utf8.RuneLen(r)
			} else {
				n += len(utf16.Encode([]rune{r}))
			}
		}
		return off + len(l)
	}
	type span struct {
		start, end int
		text       string
	}
	var spans []span
	for _, e := range edits {
		spans = append(spans, span{offset(e.Range.Start.Line, e.Range.Start.Character), offset(e.Range.End.Line, e.Range.End.Character), e.NewText})
	}
	sort.SliceStable(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	var out strings.Builder
	pos := 0
	for _, sp := range spans {
		if sp.start < pos {
			t.Fatalf("overlapping edits: %+v", spans)
		}
		out.WriteString(s[pos:sp.start])
		out.WriteString(sp.text)
		pos = sp.end
	}
	out.WriteString(s[pos:])
	return out.String()
}
