package lsp_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/donkeyls/donkeyls/analysis/textpos"
	"github.com/donkeyls/donkeyls/lsp/lsptest"
	"github.com/donkeyls/donkeyls/lsp/text"
)

// factoryProject is a project whose entry registers a config plugin without
// calling it (plugin-factory-not-called, with the quick fix "Call
// authPlugin({ })"); its entry's lines end with end, and the registration
// line has emoji and CJK text before the finding. The real server (2.5.1)
// fails at start() on it: see
// analysis/analyzers/testdata/entry/plugin-factories.txtar.
func factoryProject(t *testing.T, end string) (root, entry, src string) {
	t.Helper()
	root = t.TempDir()
	lines := []string{
		`import { AppServer } from "@donkeylabs/server";`,
		`import { db } from "./db";`,
		`import { authPlugin } from "./plugins/auth";`,
		``,
		`const server = new AppServer({ db });`,
		`/* 🔐 認証 */ server.registerPlugin(authPlugin);`,
		``,
		`await server.start();`,
		``,
	}
	files := map[string]string{
		"donkeylabs.config.ts": "import { defineConfig } from \"@donkeylabs/server\";\n\nexport default defineConfig({\n  plugins: [\"./src/server/plugins/**/index.ts\"],\n  entry: \"./src/server/index.ts\",\n});\n",
		"src/server/index.ts":  strings.Join(lines, end),
		"src/server/db.ts":     "export const db = {} as any;\n",
		"src/server/plugins/auth/index.ts": `import { createPlugin } from "@donkeylabs/server";

export interface AuthConfig {
  jwtSecret: string;
}

export const authPlugin = createPlugin
  .withConfig<AuthConfig>()
  .define({
    name: "auth",
    service: async (ctx) => ({ secret: () => ctx.config.jwtSecret }),
  });
`,
	}
	for rel, content := range files {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	entry = filepath.Join(root, "src/server/index.ts")
	return root, entry, files["src/server/index.ts"]
}

// TestDiagnosticsAndCodeActionsAgreeOnLineEnds is the regression test of
// issue 16's first part: diagnostics counted lines at "\n" only while code
// actions also ended them at "\r\n" and "\r", so in a file with lone "\r"
// line ends (classic Mac) a finding was published on line 0 and asking for
// actions where the editor shows it offered no fix. Now one package
// converts both ways: the finding is where the editor shows the text, the
// quick fix is offered there, and its edit, applied as the editor applies
// it, produces the intended line. Run in both position encodings, since the
// line holds emoji and CJK text before the finding.
func TestDiagnosticsAndCodeActionsAgreeOnLineEnds(t *testing.T) {
	for _, tc := range []struct {
		name    string
		end     string
		offered []string
		enc     textpos.Encoding
	}{
		{"CR/utf-16", "\r", nil, textpos.UTF16},
		{"CR/utf-8", "\r", []string{"utf-8", "utf-16"}, textpos.UTF8},
		{"CRLF/utf-8", "\r\n", []string{"utf-8"}, textpos.UTF8},
		{"LF/utf-16", "\n", []string{"utf-32", "utf-16"}, textpos.UTF16},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root, entry, src := factoryProject(t, tc.end)
			c := serveBinary(t)
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
			if init.Capabilities.PositionEncoding != tc.enc.String() {
				t.Fatalf("offered %v, the server chose %q, want %q", tc.offered, init.Capabilities.PositionEncoding, tc.enc)
			}
			c.Open(entry)
			d := c.WaitDiagnostics(entry, "plugin-factory-not-called", func(d lsptest.Diagnostics) bool {
				return lsptest.Has(d, "plugin-factory-not-called")
			})

			// Where the editor shows "authPlugin" of the registration.
			lines := textpos.New([]byte(src))
			at := strings.Index(src, "authPlugin);")
			line, char := lines.Position(at, tc.enc)
			_, endChar := lines.Position(at+len("authPlugin"), tc.enc)
			var found bool
			for _, x := range d.Diagnostics {
				if x.Code != "plugin-factory-not-called" {
					continue
				}
				found = true
				if int(x.Range.Start.Line) != line || int(x.Range.Start.Character) != char || int(x.Range.End.Character) != endChar {
					t.Errorf("plugin-factory-not-called at %d:%d-%d, want %d:%d-%d (the registration on line %d)",
						x.Range.Start.Line, x.Range.Start.Character, x.Range.End.Character, line, char, endChar, line+1)
				}
			}
			if !found {
				t.Fatalf("no plugin-factory-not-called in %+v", d)
			}

			// The editor asks for actions at the cursor, inside the name,
			// with no diagnostic of its own there when the ranges disagree.
			cursor := map[string]any{"line": line, "character": char + 2}
			var actions []struct {
				Title string `json:"title"`
				Edit  *struct {
					DocumentChanges []struct {
						Edits []wireTextEdit `json:"edits"`
					} `json:"documentChanges"`
				} `json:"edit"`
			}
			if err := c.Call("textDocument/codeAction", map[string]any{
				"textDocument": map[string]any{"uri": text.FileURI(entry)},
				"range":        map[string]any{"start": cursor, "end": cursor},
				"context":      map[string]any{"diagnostics": []any{}, "only": []string{"quickfix"}},
			}, &actions); err != nil {
				t.Fatal(err)
			}
			var edits []wireTextEdit
			for _, a := range actions {
				if strings.HasPrefix(a.Title, "Call authPlugin(") && a.Edit != nil && len(a.Edit.DocumentChanges) == 1 {
					edits = a.Edit.DocumentChanges[0].Edits
				}
			}
			if len(edits) != 1 {
				t.Fatalf("at %d:%d, want the quick fix \"Call authPlugin({ })\" with one edit; got %+v", line, char+2, actions)
			}
			e := edits[0]
			start := lines.Offset(e.Range.Start.Line, e.Range.Start.Character, tc.enc)
			end := lines.Offset(e.Range.End.Line, e.Range.End.Character, tc.enc)
			got := src[:start] + e.NewText + src[end:]
			want := strings.Replace(src, "registerPlugin(authPlugin);", "registerPlugin(authPlugin({ }));", 1)
			if got != want {
				t.Errorf("the quick fix's edit %+v, applied, gives line %q, want %q", e, lineOf(got, "registerPlugin"), lineOf(want, "registerPlugin"))
			}
			c.Shutdown()
		})
	}
}

// lineOf is the line of s holding substr, whatever its line ends.
func lineOf(s, substr string) string {
	i := strings.Index(s, substr)
	if i < 0 {
		return ""
	}
	start := strings.LastIndexAny(s[:i], "\r\n") + 1
	end := strings.IndexAny(s[i:], "\r\n")
	if end < 0 {
		return s[start:]
	}
	return s[start : i+end]
}
