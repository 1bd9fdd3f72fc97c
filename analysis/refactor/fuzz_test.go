package refactor_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/analysis/refactor"
	"github.com/donkeyls/donkeyls/analysis/syntax"
	"github.com/donkeyls/donkeyls/internal/fixture"
	"golang.org/x/tools/txtar"
)

// FuzzExtract puts arbitrary text in a route file of the shop base and
// extracts at arbitrary offsets: the result is a refusal or an edit that
// applies and parses, never an internal error.
func FuzzExtract(f *testing.F) {
	shop := fixture.Memory(f, fixture.Fixture{Name: "shop", Base: "shop", Arch: &txtar.Archive{}})
	for _, seed := range []struct{ file, at, plugin string }{
		{"admin.ts", "ctx.db", ""},
		{"admin.ts", "ctx.db", "orders"},
		{"books.ts", "adjustStock", "inventory"},
		{"orders.ts", "pricing", ""},
		{"users.ts", "handle", "accounts"},
	} {
		b, err := shop.ReadFile(filepath.Join(shop.Root(), "src", "server", "routes", seed.file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b), strings.Index(string(b), seed.at), seed.plugin)
	}
	f.Add("import { createRouter } from \"@donkeylabs/server\";\nexport const r = createRouter(\"x\");\nr.route(\"a.b\").typed({ handle: async (input, ctx) => ctx.db.selectFrom(\"books\").selectAll().execute() });\n", 90, "b")
	dir := f.TempDir()
	fixture.Base(f, fixture.Fixture{Base: "shop"}, dir)
	ctx := context.Background()
	base, err := project.Load(ctx, dir, fixture.FromDir(f, dir))
	if err != nil {
		f.Fatal(err)
	}
	path := filepath.Join(dir, "src", "server", "routes", "fuzz.ts")
	f.Fuzz(func(t *testing.T, src string, offset int, plugin string) {
		p := base.WithFile(path, []byte(src))
		files := map[string][]byte{path: []byte(src)}
		srcs := source{Source: base.Source(), files: files}
		for _, c := range append(refactor.Candidates(p, path, offset), refactor.Candidate{Plugin: plugin}) {
			edit, err := refactor.Extract(ctx, p, srcs, path, offset, c.Options())
			if err != nil {
				if !refactor.IsRefusal(err) {
					t.Fatalf("not a refusal: %v", err)
				}
				continue
			}
			in := map[string][]byte{}
			for _, e := range edit.Edits {
				b, err := srcs.ReadFile(e.Path)
				if err != nil {
					t.Fatal(err)
				}
				in[e.Path] = b
			}
			out, err := refactor.ApplyEdit(in, edit)
			if err != nil {
				t.Fatalf("edit does not apply: %v", err)
			}
			parser := syntax.NewParser()
			for p, b := range out {
				tree, err := parser.Parse(ctx, b, syntax.TypeScript)
				if err != nil || tree.HasErrors() {
					t.Fatalf("%s does not parse after the edit:\n%s", p, b)
				}
			}
			parser.Close()
		}
	})
}

// source serves the fuzzed file over the project's tree.
type source struct {
	project.Source
	files map[string][]byte
}

func (s source) ReadFile(path string) ([]byte, error) {
	if b, ok := s.files[path]; ok {
		return b, nil
	}
	return s.Source.ReadFile(path)
}
