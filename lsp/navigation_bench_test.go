package lsp_test

import (
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/donkeyls/donkeyls/internal/synth"
	"github.com/donkeyls/donkeyls/lsp/text"
)

var reBenchUse = regexp.MustCompile(`ctx\.plugins\.(\w+)\.(\w+)`)

// BenchmarkDefinition, BenchmarkReferences, BenchmarkRename and
// BenchmarkCompletion time one request each, through the protocol, on the
// 1,000-plugin / 10,000-route synthetic project, at a ctx.plugins.<p>.<m>
// use in a route file (the completion at the dot after ctx.plugins.). Each
// iteration is a fresh request on the same snapshot: the name index is
// built once per snapshot, by the first request.
func BenchmarkDefinition(b *testing.B) { benchNav(b, "textDocument/definition", nil) }
func BenchmarkReferences(b *testing.B) {
	benchNav(b, "textDocument/references", map[string]any{"context": map[string]any{"includeDeclaration": true}})
}
func BenchmarkRename(b *testing.B) {
	benchNav(b, "textDocument/rename", map[string]any{"newName": "renamedPlugin"})
}
func BenchmarkCompletion(b *testing.B) { benchNav(b, "textDocument/completion", nil) }

func benchNav(b *testing.B, method string, extra map[string]any) {
	root := b.TempDir()
	if err := synth.Write(root, synth.Options{Plugins: 1000, Routes: 10000, MigrationsPerPlugin: 2, Adapter: true, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	var path string
	var line, col int
	files, _ := filepath.Glob(filepath.Join(root, "src/server/routes/*.ts"))
	slices.Sort(files)
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		for i, l := range strings.Split(string(src), "\n") {
			if m := reBenchUse.FindStringSubmatchIndex(l); m != nil {
				path, line, col = f, i, m[2] // on the plugin name
				if method == "textDocument/completion" {
					col = m[2] // just after "ctx.plugins."
				}
				break
			}
		}
		if path != "" {
			break
		}
	}
	if path == "" {
		b.Fatal("no ctx.plugins.<p>.<m> use in the synthetic routes")
	}
	c := startNav(b, root)
	params := map[string]any{
		"textDocument": map[string]any{"uri": text.FileURI(path)},
		"position":     map[string]any{"line": line, "character": col},
	}
	maps.Copy(params, extra)
	var warm any
	if err := c.Call(method, params, &warm); err != nil {
		b.Fatalf("%s: %v", method, err)
	}
	// The synthetic registry is fresh, so completion after ctx.plugins.
	// rightly answers null (tsserver has these names): it times the decision.
	if warm == nil && method != "textDocument/completion" {
		b.Fatalf("%s at %s:%d:%d answered null", method, path, line+1, col+1)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var out any
		if err := c.Call(method, params, &out); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCodeLens asks for the lenses of the first route file of the
// 1,000-plugin / 10,000-route project and resolves every one, as an editor
// showing the whole file does: one iteration is what opening it costs.
func BenchmarkCodeLens(b *testing.B) {
	root := b.TempDir()
	if err := synth.Write(root, synth.Options{Plugins: 1000, Routes: 10000, MigrationsPerPlugin: 2, Adapter: true, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(root, "src/server/routes/*.ts"))
	if len(files) == 0 {
		b.Fatal("no route files in the synthetic project")
	}
	slices.Sort(files)
	c := startNav(b, root)
	params := map[string]any{"textDocument": map[string]any{"uri": text.FileURI(files[0])}}
	var lenses []map[string]any
	if err := c.Call("textDocument/codeLens", params, &lenses); err != nil {
		b.Fatal(err)
	}
	if len(lenses) == 0 {
		b.Fatalf("no lenses in %s", files[0])
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := c.Call("textDocument/codeLens", params, &lenses); err != nil {
			b.Fatal(err)
		}
		for _, l := range lenses {
			var out struct {
				Command *struct{ Title string } `json:"command"`
			}
			if err := c.Call("codeLens/resolve", l, &out); err != nil {
				b.Fatal(err)
			}
			if out.Command == nil || out.Command.Title == "" {
				b.Fatal("a lens resolved without a title")
			}
		}
	}
	b.ReportMetric(float64(len(lenses)), "lenses")
}
