package project_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/donkeyls/donkeyls/analysis/facts"
	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/internal/fixture"
)

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func bookshop(t *testing.T) (string, *project.Project) {
	t.Helper()
	dir := t.TempDir()
	fixture.Base(t, fixture.Fixture{Base: "bookshop"}, dir)
	p, err := project.Load(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	return dir, p
}

func TestDiscoverSkipsDependenciesAndFindsEveryProject(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "apps", "shop", "donkeylabs.config.ts"), "export default {plugins: []}")
	write(t, filepath.Join(root, "apps", "admin", "donkeylabs.config.ts"), "export default {plugins: []}")
	write(t, filepath.Join(root, "node_modules", "tpl", "donkeylabs.config.ts"), "export default {}")
	write(t, filepath.Join(root, ".git", "x", "donkeylabs.config.ts"), "export default {}")
	roots, err := project.Discover(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(root, "apps", "admin"), filepath.Join(root, "apps", "shop")}
	if len(roots) != 2 || roots[0] != want[0] || roots[1] != want[1] {
		t.Errorf("roots %v, want %v", roots, want)
	}
	if _, err := project.Discover(context.Background(), t.TempDir()); !errors.Is(err, project.ErrNoProject) {
		t.Errorf("empty dir: %v", err)
	}
	if _, err := project.Discover(context.Background(), filepath.Join(root, "missing")); err == nil {
		t.Error("missing dir must be an error")
	}
}

func TestFlatLayout(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "plugins", "users", "index.ts"), `export const usersPlugin = createPlugin.define({ name: "users", service: async () => ({}) });`)
	write(t, filepath.Join(root, "registry.d.ts"), "// Auto-generated\n")
	roots, err := project.Discover(context.Background(), root)
	if err != nil || len(roots) != 1 {
		t.Fatalf("flat layout not found: %v %v", roots, err)
	}
	p, err := project.Load(context.Background(), root, nil)
	if err != nil {
		t.Fatal(err)
	}
	if exp := p.Expected(); len(exp.Plugins) != 1 || exp.Plugins[0].Name != "users" {
		t.Errorf("plugins %+v", exp.Plugins)
	}
}

func TestConfigDefaultsAndOutputs(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "donkeylabs.config.ts"), `import { defineConfig } from "@donkeylabs/server";
const plugins = ["./src/plugins/**/index.ts"];
export default defineConfig({ plugins });`)
	write(t, filepath.Join(root, "package.json"), `{"scripts": {"gen:types": "donkeylabs generate"}}`)
	write(t, filepath.Join(root, "pnpm-lock.yaml"), "")
	p, err := project.Load(context.Background(), root, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := p.Config()
	if cfg.OutDir != ".@donkeylabs/server" || cfg.Entry != "./src/index.ts" || cfg.ClientPath() != "" {
		t.Errorf("defaults: %+v", cfg)
	}
	if len(cfg.Plugins) != 1 || cfg.Plugins[0] != "./src/plugins/**/index.ts" {
		t.Errorf("plugins from a constant: %v", cfg.Plugins)
	}
	if got := project.TypegenCommand("", cfg); got != "pnpm run gen:types" {
		t.Errorf("typegen command %q", got)
	}
	if got := project.TypegenCommand("make types", cfg); got != "make types" {
		t.Errorf("configured typegen command: %q", got)
	}
	if !p.IsGenerated(filepath.Join(root, ".@donkeylabs", "server", "registry.d.ts")) {
		t.Error("registry.d.ts is an output")
	}
}

func TestWithFileReplacesOneFileAndKeepsLastGoodFacts(t *testing.T) {
	dir, p := bookshop(t)
	path := filepath.Join(dir, "src", "server", "plugins", "books", "index.ts")
	before := p.File(path)
	src, _ := os.ReadFile(path)

	// Same content: the same snapshot comes back, nothing re-extracted.
	if q := p.WithFile(path, src); q != p {
		t.Error("unchanged content must return the same snapshot")
	}
	// Mid-edit: the buffer does not parse; its last good facts stay.
	broken := append(append([]byte{}, src...), []byte("\nexport const x = {{{ (\n")...)
	q := p.WithFile(path, broken)
	f := q.File(path)
	if !f.SyntaxErrors || !f.StaleFacts || len(f.Plugins) != 1 || len(f.Plugins[0].HandlerKeys) != len(before.Plugins[0].HandlerKeys) {
		t.Errorf("last good facts not kept: %+v", f)
	}
	if p.File(path) != before {
		t.Error("the old snapshot changed: snapshots must be immutable")
	}
	// More broken keystrokes keep carrying the same last good facts.
	q2 := q.WithFile(path, append(broken, []byte("if (")...))
	if f2 := q2.File(path); !f2.StaleFacts || len(f2.Plugins) != 1 || len(f2.Plugins[0].HandlerKeys) != len(before.Plugins[0].HandlerKeys) {
		t.Errorf("second broken keystroke lost the last good facts: %+v", f2)
	}
	other := filepath.Join(dir, "src", "server", "routes", "books.ts")
	if q.File(other) != p.File(other) {
		t.Error("other files' facts must be shared, not re-extracted")
	}
	// A new plugin folder changes what the generator writes: reload needed.
	newPlugin := filepath.Join(dir, "src", "server", "plugins", "reviews", "index.ts")
	if r := p.WithFile(newPlugin, []byte(`export const reviewsPlugin = createPlugin.define({ name: "reviews" });`)); !r.NeedsReload() {
		t.Error("a new plugin index.ts must ask for a reload")
	}
	// Files outside the project or not TypeScript are ignored.
	if r := p.WithFile(filepath.Join(dir, "README.md"), []byte("x")); r != p {
		t.Error("non-TypeScript file changed the snapshot")
	}
	if r := p.WithFile(filepath.Join(dir, "node_modules", "x", "index.ts"), []byte("x")); r != p {
		t.Error("node_modules file changed the snapshot")
	}
}

func TestWithoutFileMarksOutputsMissing(t *testing.T) {
	dir, p := bookshop(t)
	reg := filepath.Join(dir, ".@donkeylabs", "server", "registry.d.ts")
	q := p.WithoutFile(reg)
	if f := q.File(reg); f == nil || !f.Missing || f.Kind != facts.KindRegistry {
		t.Errorf("deleted output: %+v", f)
	}
	route := filepath.Join(dir, "src", "server", "routes", "books.ts")
	if q.WithoutFile(route).File(route) != nil {
		t.Error("deleted source must disappear")
	}
}

func TestKinds(t *testing.T) {
	dir, p := bookshop(t)
	cases := map[string]facts.Kind{
		"src/server/plugins/books/index.ts":                        facts.KindSource,
		"src/server/plugins/books/schema.ts":                       facts.KindSchema,
		"src/server/plugins/books/migrations/001_create_books.ts":  facts.KindMigration,
		".@donkeylabs/server/registry.d.ts":                        facts.KindRegistry,
		".@donkeylabs/server/events.ts":                            facts.KindEvents,
		"src/lib/api.ts":                                           facts.KindClient,
		"donkeylabs.config.ts":                                     facts.KindConfig,
		"src/server/plugins/books/migrations/099_not_yet_saved.ts": facts.KindMigration,
	}
	for rel, want := range cases {
		got, ok := p.KindOf(filepath.Join(dir, filepath.FromSlash(rel)))
		if !ok || got != want {
			t.Errorf("%s: %v %v, want %v", rel, got, ok, want)
		}
	}
}

// A project nested in another (a template or a second app kept inside the
// first) is analyzed on its own: the outer project must not read its files.
func TestLoadLeavesNestedProjectsOut(t *testing.T) {
	dir, _ := bookshop(t)
	nested := filepath.Join(dir, "templates", "starter")
	write(t, filepath.Join(nested, "donkeylabs.config.ts"), `export default { plugins: ["./src/server/plugins/**/index.ts"] };`)
	nestedPlugin := filepath.Join(nested, "src", "server", "plugins", "greeter", "index.ts")
	write(t, nestedPlugin, `import { createPlugin } from "@donkeylabs/server";
export const greeterPlugin = createPlugin.define({ name: "greeter", service: async () => ({}) });
`)
	p, err := project.Load(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range p.Files() {
		if strings.HasPrefix(path, nested+string(filepath.Separator)) {
			t.Errorf("outer project read %s from the nested project", path)
		}
	}
	if p.File(filepath.Join(dir, "src", "server", "plugins", "books", "index.ts")) == nil {
		t.Error("outer project lost its own plugin")
	}
	inner, err := project.Load(context.Background(), nested, nil)
	if err != nil {
		t.Fatal(err)
	}
	if inner.File(nestedPlugin) == nil {
		t.Errorf("nested project does not read its own plugin; files: %v", inner.Files())
	}
}

// buffers serves editor buffers over the disk, some on paths not on disk.
type buffers map[string]string

func (b buffers) ReadFile(path string) ([]byte, error) {
	if s, ok := b[path]; ok {
		return []byte(s), nil
	}
	return os.ReadFile(path)
}

func (b buffers) BufferPaths() []string {
	var out []string
	for p := range b {
		out = append(out, p)
	}
	return out
}

// TestLoadReadsBuffersNotOnDisk: a file made in the editor and not saved
// yet is analyzed when the scan would find it on disk, and only then.
func TestLoadReadsBuffersNotOnDisk(t *testing.T) {
	dir := t.TempDir()
	fixture.Base(t, fixture.Fixture{Base: "bookshop"}, dir)
	migration := filepath.Join(dir, "src/server/plugins/users/migrations/002_add_phone.ts")
	ignored := []string{
		filepath.Join(dir, "node_modules/x/index.ts"),
		filepath.Join(dir, ".cache/x.ts"),
		filepath.Join(dir, "src/notes.md"),
		filepath.Join(filepath.Dir(dir), "outside.ts"),
	}
	src := buffers{migration: "export async function up() {}\n"}
	for _, p := range ignored {
		src[p] = "export const x = 1;\n"
	}
	p, err := project.Load(context.Background(), dir, src)
	if err != nil {
		t.Fatal(err)
	}
	if f := p.File(migration); f == nil || f.Kind != facts.KindMigration {
		t.Errorf("the new migration buffer is not analyzed as a migration: %+v", f)
	}
	for _, path := range ignored {
		if p.File(path) != nil {
			t.Errorf("%s was analyzed though the scan skips it", path)
		}
	}
}

// tree writes a synthetic tree: width directories per level, depth levels,
// files files in each, and a project at the given relative paths.
func tree(t *testing.T, width, depth, files int, projects ...string) string {
	t.Helper()
	root := t.TempDir()
	var fill func(dir string, level int)
	fill = func(dir string, level int) {
		for f := 0; f < files; f++ {
			write(t, filepath.Join(dir, "f"+string(rune('a'+f))+".txt"), "x")
		}
		if level == depth {
			return
		}
		for w := 0; w < width; w++ {
			fill(filepath.Join(dir, "d"+string(rune('a'+w))), level+1)
		}
	}
	fill(root, 0)
	for _, p := range projects {
		write(t, filepath.Join(root, p, "donkeylabs.config.ts"), "export default {plugins: []}")
	}
	return root
}

func TestDiscoverBounds(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name  string
		opts  project.DiscoverOptions
		bound string
	}{
		{"directories", project.DiscoverOptions{MaxDirs: 20}, "20 directories"},
		{"entries", project.DiscoverOptions{MaxEntries: 50}, "50 files and directories"},
		{"depth", project.DiscoverOptions{MaxDepth: 2}, "2 levels deep"},
		{"time", project.DiscoverOptions{Timeout: time.Nanosecond}, "1ns"},
	}
	// 4 wide, 4 deep, 2 files each: 341 directories, 1023 entries.
	root := tree(t, 4, 4, 2, "aa", "da/db/dc/dd")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			entered := 0
			c.opts.OnDir = func(string) { entered++ }
			roots, err := project.DiscoverWith(ctx, root, c.opts)
			var limit *project.LimitError
			if !errors.As(err, &limit) {
				t.Fatalf("err = %v, want a LimitError", err)
			}
			if limit.Bound != c.bound || !strings.Contains(err.Error(), c.bound) || !strings.Contains(err.Error(), "donkeylabs.config.ts") {
				t.Errorf("the message names neither the limit %q nor what to do: %v", c.bound, err)
			}
			if c.opts.MaxDirs > 0 && entered > c.opts.MaxDirs {
				t.Errorf("entered %d directories past the limit of %d", entered, c.opts.MaxDirs)
			}
			if c.name == "depth" {
				if len(roots) != 1 || roots[0] != filepath.Join(root, "aa") {
					t.Errorf("roots = %v, want the project within the depth (aa) and not the deep one", roots)
				}
			}
		})
	}
	roots, err := project.DiscoverWith(ctx, root, project.DefaultDiscoverOptions())
	if err != nil || len(roots) != 2 {
		t.Errorf("within the default bounds: %v, %v", roots, err)
	}
}

// TestDiscoverNeverEntersPseudoFilesystems: a workspace folder of `/` must
// not walk /proc (every process's view of the whole filesystem), /sys or
// /dev. Only the first level is searched here, which is where they are.
func TestDiscoverNeverEntersPseudoFilesystems(t *testing.T) {
	var entered []string
	_, err := project.DiscoverWith(context.Background(), "/", project.DiscoverOptions{MaxDepth: 1, OnDir: func(d string) { entered = append(entered, d) }})
	if err == nil {
		t.Log("a project at / ?")
	}
	for _, d := range entered {
		for _, pseudo := range []string{"/proc", "/sys", "/dev"} {
			if d == pseudo || strings.HasPrefix(d, pseudo+"/") {
				t.Errorf("entered %s", d)
			}
		}
	}
	if len(entered) < 2 {
		t.Errorf("entered only %v: the test walked nothing", entered)
	}
	if _, err := project.DiscoverWith(context.Background(), "/proc", project.DiscoverOptions{OnDir: func(d string) { t.Errorf("entered %s", d) }}); err == nil || !strings.Contains(err.Error(), "pseudo-filesystem") {
		t.Errorf("a folder of /proc: %v", err)
	}
}
