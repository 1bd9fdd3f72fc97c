package analyzers_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/donkeyls/donkeyls/analysis/analyzers"
	"github.com/donkeyls/donkeyls/internal/fixture"
	"github.com/donkeyls/donkeyls/internal/synth"
)

// TestReusedVerdictsFollowEdits: the keystroke path keeps verdicts (a
// plugin's schema comparison, an import's candidate targets) from one
// snapshot to the next while their input facts are the same. After each of
// a series of edits, each applied to the previous snapshot as the server
// applies it, the findings must be a cold load's.
func TestReusedVerdictsFollowEdits(t *testing.T) {
	src := fixture.Synth(t, synth.Options{Plugins: 3, Routes: 6, MigrationsPerPlugin: 2, Adapter: true, Seed: 1})
	dir := src.Root()
	abs := func(rel string) string { return filepath.Join(dir, filepath.FromSlash(rel)) }
	mig1 := "src/server/plugins/articles/migrations/001_create_articles.ts"
	mig2 := "src/server/plugins/articles/migrations/002_add_article_external_ref.ts"
	schema := "src/server/plugins/articles/schema.ts"
	plugin := "src/server/plugins/articles/index.ts"
	entry := "src/server/index.ts"
	extra := "src/server/plugins/articles/extra.ts"
	replace := func(old, new string) func(string) string {
		return func(s string) string {
			if !strings.Contains(s, old) {
				t.Fatalf("%q not found", old)
			}
			return strings.Replace(s, old, new, 1)
		}
	}
	edits := []struct {
		name, path string
		edit       func(string) string // nil removes the file
	}{
		{"a column renamed in a migration", mig1, replace(`"position"`, `"rank"`)},
		{"a comment in the schema", schema, func(s string) string { return s + "\n// a comment\n" }},
		{"the column renamed back", mig1, replace(`"rank"`, `"position"`)},
		{"a column dropped in the last migration", mig2, replace(`.addColumn("external_ref", "text")`, `.dropColumn("name")`)},
		{"the schema follows", schema, replace("  name: string;\n", "")},
		{"a comment in the plugin", plugin, func(s string) string { return s + "\n// a comment\n" }},
		{"the plugin renamed", plugin, replace(`name: "articles"`, `name: "articlesX"`)},
		{"the plugin named back", plugin, replace(`name: "articlesX"`, `name: "articles"`)},
		{"a registration's import moves", entry, replace(`"./plugins/articles"`, `"./plugins/articles/index"`)},
		{"an import that resolves nowhere", entry, replace(`"./plugins/articles/index"`, `"./plugins/articles/gone"`)},
		{"a new file", extra, func(string) string { return "export const x = 1;\n" }},
		{"the import resolves to it", entry, replace(`"./plugins/articles/gone"`, `"./plugins/articles/extra"`)},
		{"the file removed", extra, nil},
		{"the import back", entry, replace(`"./plugins/articles/extra"`, `"./plugins/articles"`)},
		{"a comment in the entry", entry, func(s string) string { return s + "\n// a comment\n" }},
	}
	ctx := context.Background()
	p := reload(t, src)
	_ = analyzers.Run(ctx, p) // fill the caches the next snapshots may reuse
	for _, e := range edits {
		path := abs(e.path)
		if e.edit == nil {
			if err := src.Remove(path); err != nil {
				t.Fatal(err)
			}
			p = p.WithoutFile(path)
		} else {
			var old string
			if b, err := src.ReadFile(path); err == nil {
				old = string(b)
			}
			content := e.edit(old)
			writeMemory(t, src, path, []byte(content))
			p = p.WithFile(path, []byte(content))
		}
		if p.NeedsReload() {
			t.Fatalf("%s: the edit needs a reload", e.name)
		}
		got := render(dir, analyzers.Run(ctx, p))
		if want := render(dir, analyzers.Run(ctx, reload(t, src))); got != want {
			t.Errorf("%s: findings differ from a cold load\nincremental:\n%s\ncold:\n%s", e.name, got, want)
		}
	}
}
