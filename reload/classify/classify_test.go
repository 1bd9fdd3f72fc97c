package classify

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/donkeyls/donkeyls/analysis/impact"
)

func fixture(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	src := filepath.Join("..", "testdata", "app")
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(root, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(root, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func newClassifier(t *testing.T, root string) *Classifier {
	t.Helper()
	c := New(context.Background(), root, nil)
	if c.Err() != nil {
		t.Fatalf("the fixture project does not load: %v", c.Err())
	}
	return c
}

func edit(t *testing.T, root, rel, old, new string) string {
	t.Helper()
	path := filepath.Join(root, filepath.FromSlash(rel))
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%s does not contain %q", rel, old)
	}
	if err := os.WriteFile(path, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func write(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func describe(d Decision) string {
	var b strings.Builder
	for _, r := range d.Reasons {
		b.WriteString(r.Path + ": " + r.What + "; ")
	}
	return b.String()
}

func TestDecisions(t *testing.T) {
	const plugin = "src/server/plugins/greeter/index.ts"
	cases := []struct {
		name        string
		change      func(t *testing.T, root string) []string
		want, never impact.Action
		what        string // a reason mentions it
	}{
		{
			name: "plugin service body",
			change: func(t *testing.T, root string) []string {
				return []string{edit(t, root, plugin, "(service v1)", "(service v2)")}
			},
			want: impact.Restart, never: impact.Typegen,
		},
		{
			name: "new handler key",
			change: func(t *testing.T, root string) []string {
				return []string{edit(t, root, plugin, `echo: createHandler("echo"),`, `echo: createHandler("echo"), shout: createHandler("shout"),`)}
			},
			want: impact.Typegen | impact.Restart,
		},
		{
			name: "route handler body",
			change: func(t *testing.T, root string) []string {
				return []string{edit(t, root, "src/server/routes/api.ts", `"route v1"`, `"route v2"`)}
			},
			want: impact.RouteReload, never: impact.Restart | impact.Typegen,
		},
		{
			name: "helper the entry imports",
			change: func(t *testing.T, root string) []string {
				return []string{edit(t, root, "src/server/settings.ts", `appName: "greeter"`, `appName: "greeter2"`)}
			},
			want: impact.Restart, never: impact.Typegen, what: "settings.ts",
		},
		{
			name: "source outside the import graph",
			change: func(t *testing.T, root string) []string {
				return []string{edit(t, root, "src/server/scratch.ts", `"audit log"`, `"audit log", "metrics"`)}
			},
			never: impact.Restart | impact.Typegen | impact.RouteReload, what: "not imported by the server",
		},
		{
			name: "new .env",
			change: func(t *testing.T, root string) []string {
				return []string{write(t, filepath.Join(root, ".env"), "GREETING=hi\n")}
			},
			want: impact.Restart, what: ".env",
		},
		{
			name: "package.json",
			change: func(t *testing.T, root string) []string {
				return []string{edit(t, root, "package.json", `"private": true`, `"private": true, "version": "1.0.0"`)}
			},
			want: impact.Restart, what: "package.json",
		},
		{
			name: "migration added",
			change: func(t *testing.T, root string) []string {
				dir := filepath.Join(root, "src/server/plugins/counter/migrations")
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				return []string{write(t, filepath.Join(dir, "001_counts.ts"), `import type { Kysely } from "kysely";

export async function up(db: Kysely<any>) {
  await db.schema.createTable("counts").addColumn("id", "integer", (c) => c.primaryKey()).addColumn("value", "integer").execute();
}

export async function down(db: Kysely<any>) {
  await db.schema.dropTable("counts").execute();
}
`)}
			},
			want: impact.Typegen | impact.Restart, what: "001_counts.ts",
		},
		{
			name: "plugin folder removed",
			change: func(t *testing.T, root string) []string {
				dir := filepath.Join(root, "src/server/plugins/counter")
				if err := os.RemoveAll(dir); err != nil {
					t.Fatal(err)
				}
				return []string{dir}
			},
			want: impact.Typegen | impact.Restart, what: "counter",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := fixture(t)
			c := newClassifier(t, root)
			paths := tc.change(t, root)
			d := c.Classify(context.Background(), paths)
			if len(d.Reasons) == 0 {
				t.Fatalf("no reasons for a real change")
			}
			if d.Action&tc.want != tc.want {
				t.Errorf("action %b lacks %b: %s", d.Action, tc.want, describe(d))
			}
			if d.Action&tc.never != 0 {
				t.Errorf("action %b includes %b: %s", d.Action, d.Action&tc.never, describe(d))
			}
			if tc.what != "" && !strings.Contains(describe(d), tc.what) {
				t.Errorf("no reason mentions %q: %s", tc.what, describe(d))
			}
			// The snapshot moved on: the same content again is no change.
			if again := c.Classify(context.Background(), paths); len(again.Reasons) != 0 {
				t.Errorf("re-reporting the same content gave %s", describe(again))
			}
		})
	}
}

func TestNoOpWritesAreNotChanges(t *testing.T) {
	root := fixture(t)
	c := newClassifier(t, root)
	plugin := edit(t, root, "src/server/plugins/greeter/index.ts", "(service v1)", "(service v1)")
	log := write(t, filepath.Join(root, "dev.log"), "[app] listening\n")
	if d := c.Classify(context.Background(), []string{plugin, log}); len(d.Reasons) != 0 || d.Action != 0 {
		t.Errorf("a save without change and a log file gave %s (action %b)", describe(d), d.Action)
	}
}

// TestGeneratorOutputsByContent: outputs as typegen just wrote them are no
// change however late their events arrive; a different content is one.
func TestGeneratorOutputsByContent(t *testing.T) {
	root := fixture(t)
	c := newClassifier(t, root)
	registry := filepath.Join(root, ".@donkeylabs/server/registry.d.ts")
	if !c.Project().IsGenerated(registry) {
		t.Fatalf("%s is not a generated path of the fixture", registry)
	}
	// A generator run rewrites the outputs (here: reordered, as a changed
	// directory listing would).
	b, err := os.ReadFile(registry)
	if err != nil {
		t.Fatal(err)
	}
	rewritten := strings.Replace(string(b), "// Auto-generated by donkeylabs generate", "// Auto-generated by donkeylabs generate\n", 1)
	write(t, registry, rewritten)
	c.TypegenWrote()
	if d := c.Classify(context.Background(), []string{registry}); len(d.Reasons) != 0 {
		t.Errorf("the generator's own output counted as a change: %s", describe(d))
	}
	// Someone else changes it afterwards (a git checkout): that is a change.
	write(t, registry, strings.Replace(rewritten, `"echo"`, `"echo" | "legacy"`, 1))
	if d := c.Classify(context.Background(), []string{registry}); len(d.Reasons) == 0 {
		t.Error("a hand edit of a generated file went unnoticed")
	}
}

func TestLoadedFingerprints(t *testing.T) {
	root := fixture(t)
	c := newClassifier(t, root)
	plugin := filepath.Join(root, "src/server/plugins/greeter/index.ts")
	before := c.Loaded()
	if _, ok := before[plugin]; !ok {
		t.Fatalf("Loaded lacks the greeter plugin: %v", before)
	}
	if _, ok := before[filepath.Join(root, ".@donkeylabs/server/registry.d.ts")]; ok {
		t.Error("Loaded lists a generated file")
	}
	c.Classify(context.Background(), []string{edit(t, root, "src/server/plugins/greeter/index.ts", "export const greeterPlugin", "// greets\nexport const greeterPlugin")})
	if got := c.Loaded()[plugin]; got != before[plugin] {
		t.Errorf("a comment changed the code fingerprint: %x -> %x", before[plugin], got)
	}
	c.Classify(context.Background(), []string{edit(t, root, "src/server/plugins/greeter/index.ts", "(service v1)", "(service v2)")})
	if got := c.Loaded()[plugin]; got == before[plugin] {
		t.Error("a service edit left the code fingerprint unchanged")
	}
}

func TestWithoutAProjectEveryChangeRestarts(t *testing.T) {
	root := t.TempDir()
	c := New(context.Background(), root, nil)
	if c.Err() == nil {
		t.Fatal("an empty directory loaded as a project")
	}
	f := write(t, filepath.Join(root, "server.ts"), "Bun.serve({})")
	d := c.Classify(context.Background(), []string{f})
	if !d.Action.Has(impact.Restart) || len(d.Reasons) != 1 || !strings.Contains(d.Reasons[0].What, "cannot be analyzed") {
		t.Errorf("blind verdict = %b %s", d.Action, describe(d))
	}
	if d := c.Classify(context.Background(), []string{f}); len(d.Reasons) != 0 {
		t.Errorf("unchanged content restarted again: %s", describe(d))
	}
}

func TestImportGraphResolution(t *testing.T) {
	root := fixture(t)
	c := newClassifier(t, root)
	g := importGraph(c.Project())
	for _, rel := range []string{
		"src/server/index.ts", "src/server/settings.ts", "src/server/donkeylabs.ts",
		"src/server/plugins/greeter/index.ts", // imported as a directory
		"src/server/plugins/counter/index.ts", "src/server/routes/api.ts",
	} {
		if !g[filepath.Join(root, filepath.FromSlash(rel))] {
			t.Errorf("%s is not in the entry's import graph", rel)
		}
	}
	for _, rel := range []string{"src/server/scratch.ts", "scripts/generate.ts", ".@donkeylabs/server/registry.d.ts"} {
		if g[filepath.Join(root, filepath.FromSlash(rel))] {
			t.Errorf("%s is in the entry's import graph", rel)
		}
	}
}

// TestImportGraphFollowsTSConfigPaths: Bun resolves tsconfig `paths`
// aliases when it runs the entry, so a file imported only through one is
// loaded by the server and its edits restart it.
func TestImportGraphFollowsTSConfigPaths(t *testing.T) {
	root := fixture(t)
	write(t, filepath.Join(root, "tsconfig.json"), `{
  // aliases, as SvelteKit and most templates write them
  "compilerOptions": { "paths": { "@server/*": ["./src/server/*"], }, },
}`)
	edit(t, root, "src/server/index.ts", `import { settings } from "./settings";`, `import { settings } from "@server/settings";`)
	c := newClassifier(t, root)
	g := importGraph(c.Project())
	if p := filepath.Join(root, "src", "server", "settings.ts"); !g[p] {
		t.Errorf("settings.ts, imported as @server/settings, is not in the entry's import graph")
	}
}
