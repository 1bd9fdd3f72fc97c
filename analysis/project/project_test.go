package project_test

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/donkeyls/donkeyls/analysis/facts"
	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/internal/fixture"
	"github.com/donkeyls/donkeyls/internal/memsource"
	"golang.org/x/tools/txtar"
)

// Every test here reads through a memsource.Source: the walk, the config,
// the flat layout and the scan see exactly the tree a test lays out, and
// nothing of the machine's disk (internal/ossource tests the OS side).

// memTree is an empty tree in memory at a root of its own.
func memTree(t *testing.T) *memsource.Source {
	t.Helper()
	return fixture.NewMemory(filepath.Join(string(filepath.Separator), "mem", t.Name()), nil, nil)
}

func write(t *testing.T, src *memsource.Source, path, content string) {
	t.Helper()
	if err := src.WriteFile(path, []byte(content)); err != nil {
		t.Fatal(err)
	}
}

func load(t *testing.T, src project.Source, root string) *project.Project {
	t.Helper()
	p, err := project.Load(context.Background(), root, src)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// shop is the fixtures' shop base in memory.
func shop(t *testing.T) (*memsource.Source, string, *project.Project) {
	t.Helper()
	src := fixture.Memory(t, fixture.Fixture{Name: "shop", Base: "shop", Arch: &txtar.Archive{}})
	return src, src.Root(), load(t, src, src.Root())
}

func TestDiscoverSkipsDependenciesAndFindsEveryProject(t *testing.T) {
	src := memTree(t)
	root := src.Root()
	write(t, src, filepath.Join(root, "apps", "shop", "donkeylabs.config.ts"), "export default {plugins: []}")
	write(t, src, filepath.Join(root, "apps", "admin", "donkeylabs.config.ts"), "export default {plugins: []}")
	write(t, src, filepath.Join(root, "node_modules", "tpl", "donkeylabs.config.ts"), "export default {}")
	write(t, src, filepath.Join(root, ".git", "x", "donkeylabs.config.ts"), "export default {}")
	write(t, src, filepath.Join(root, "empty", "notes.txt"), "")
	roots, err := project.Discover(context.Background(), src, root)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(root, "apps", "admin"), filepath.Join(root, "apps", "shop")}
	if len(roots) != 2 || roots[0] != want[0] || roots[1] != want[1] {
		t.Errorf("roots %v, want %v", roots, want)
	}
	if _, err := project.Discover(context.Background(), src, filepath.Join(root, "empty")); !errors.Is(err, project.ErrNoProject) {
		t.Errorf("empty dir: %v", err)
	}
	if _, err := project.Discover(context.Background(), src, filepath.Join(root, "missing")); err == nil {
		t.Error("missing dir must be an error")
	}
}

func TestFlatLayout(t *testing.T) {
	src := memTree(t)
	root := src.Root()
	write(t, src, filepath.Join(root, "plugins", "users", "index.ts"), `export const usersPlugin = createPlugin.define({ name: "users", service: async () => ({}) });`)
	write(t, src, filepath.Join(root, "registry.d.ts"), "// Auto-generated\n")
	roots, err := project.Discover(context.Background(), src, root)
	if err != nil || len(roots) != 1 {
		t.Fatalf("flat layout not found: %v %v", roots, err)
	}
	p := load(t, src, root)
	if exp := p.Expected(); len(exp.Plugins) != 1 || exp.Plugins[0].Name != "users" {
		t.Errorf("plugins %+v", exp.Plugins)
	}
}

func TestConfigDefaultsAndOutputs(t *testing.T) {
	src := memTree(t)
	root := src.Root()
	write(t, src, filepath.Join(root, "donkeylabs.config.ts"), `import { defineConfig } from "@donkeylabs/server";
const plugins = ["./src/plugins/**/index.ts"];
export default defineConfig({ plugins });`)
	write(t, src, filepath.Join(root, "package.json"), `{"scripts": {"gen:types": "donkeylabs generate"}}`)
	write(t, src, filepath.Join(root, "pnpm-lock.yaml"), "")
	p := load(t, src, root)
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
	msrc, dir, p := shop(t)
	path := filepath.Join(dir, "src", "server", "plugins", "books", "index.ts")
	before := p.File(path)
	src, _ := msrc.ReadFile(path)

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
	_, dir, p := shop(t)
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
	_, dir, p := shop(t)
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
	src, dir, _ := shop(t)
	nested := filepath.Join(dir, "templates", "starter")
	write(t, src, filepath.Join(nested, "donkeylabs.config.ts"), `export default { plugins: ["./src/server/plugins/**/index.ts"] };`)
	nestedPlugin := filepath.Join(nested, "src", "server", "plugins", "greeter", "index.ts")
	write(t, src, nestedPlugin, `import { createPlugin } from "@donkeylabs/server";
export const greeterPlugin = createPlugin.define({ name: "greeter", service: async () => ({}) });
`)
	p := load(t, src, dir)
	for _, path := range p.Files() {
		if strings.HasPrefix(path, nested+string(filepath.Separator)) {
			t.Errorf("outer project read %s from the nested project", path)
		}
	}
	if p.File(filepath.Join(dir, "src", "server", "plugins", "books", "index.ts")) == nil {
		t.Error("outer project lost its own plugin")
	}
	inner := load(t, src, nested)
	if inner.File(nestedPlugin) == nil {
		t.Errorf("nested project does not read its own plugin; files: %v", inner.Files())
	}
}

// buffers serves editor buffers over a tree, some on paths not in it.
type buffers struct {
	project.Source
	open map[string]string
}

func (b buffers) ReadFile(path string) ([]byte, error) {
	if s, ok := b.open[path]; ok {
		return []byte(s), nil
	}
	return b.Source.ReadFile(path)
}

func (b buffers) BufferPaths() []string {
	var out []string
	for p := range b.open {
		out = append(out, p)
	}
	return out
}

// TestLoadReadsBuffersNotOnDisk: a file made in the editor and not saved
// yet is analyzed when the scan would find it on disk, and only then.
func TestLoadReadsBuffersNotOnDisk(t *testing.T) {
	tree, dir, _ := shop(t)
	migration := filepath.Join(dir, "src/server/plugins/users/migrations/002_add_phone.ts")
	ignored := []string{
		filepath.Join(dir, "node_modules/x/index.ts"),
		filepath.Join(dir, ".cache/x.ts"),
		filepath.Join(dir, "src/notes.md"),
		filepath.Join(filepath.Dir(dir), "outside.ts"),
	}
	src := buffers{Source: tree, open: map[string]string{migration: "export async function up() {}\n"}}
	for _, p := range ignored {
		src.open[p] = "export const x = 1;\n"
	}
	p := load(t, src, dir)
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
func tree(t *testing.T, width, depth, files int, projects ...string) (*memsource.Source, string) {
	t.Helper()
	src := memTree(t)
	root := src.Root()
	var fill func(dir string, level int)
	fill = func(dir string, level int) {
		for f := range files {
			write(t, src, filepath.Join(dir, "f"+string(rune('a'+f))+".txt"), "x")
		}
		if level == depth {
			return
		}
		for w := range width {
			fill(filepath.Join(dir, "d"+string(rune('a'+w))), level+1)
		}
	}
	fill(root, 0)
	for _, p := range projects {
		write(t, src, filepath.Join(root, p, "donkeylabs.config.ts"), "export default {plugins: []}")
	}
	return src, root
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
	src, root := tree(t, 4, 4, 2, "aa", "da/db/dc/dd")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			entered := 0
			c.opts.OnDir = func(string) { entered++ }
			roots, err := project.DiscoverWith(ctx, src, root, c.opts)
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
	roots, err := project.DiscoverWith(ctx, src, root, project.DefaultDiscoverOptions())
	if err != nil || len(roots) != 2 {
		t.Errorf("within the default bounds: %v, %v", roots, err)
	}
}

// statCounter counts the stats and the listings of each path.
type statCounter struct {
	*memsource.Source
	mu    sync.Mutex
	stats map[string]int
	lists map[string]int
}

func (s *statCounter) ReadDir(p string) ([]fs.DirEntry, error) {
	s.mu.Lock()
	s.lists[p]++
	s.mu.Unlock()
	return s.Source.ReadDir(p)
}

func (s *statCounter) Stat(p string) (fs.FileInfo, error) {
	s.mu.Lock()
	s.stats[p]++
	s.mu.Unlock()
	return s.Source.Stat(p)
}

// A plugin with migrations expects schema.ts when its index.ts exists; the
// walk has just listed each index.ts, so a load stats only those it did not
// find as a regular file (main stat'ed one per migration: two thousand on
// 1,000 plugins). A dangling symlink as index.ts still expects nothing.
func TestSchemaExpectedWithoutAStatPerMigration(t *testing.T) {
	mem, dir, _ := shop(t)
	plugins := filepath.Join(dir, "src", "server", "plugins")
	write(t, mem, filepath.Join(plugins, "ghost", "migrations", "001_create_ghosts.ts"), "export async function up() {}\n")
	if err := mem.Symlink(filepath.Join(plugins, "nowhere.ts"), filepath.Join(plugins, "ghost", "index.ts")); err != nil {
		t.Fatal(err)
	}
	write(t, mem, filepath.Join(plugins, "orphan", "migrations", "001_create_orphans.ts"), "export async function up() {}\n")
	src := &statCounter{Source: mem, stats: map[string]int{}, lists: map[string]int{}}
	p := load(t, src, dir)

	if schema := filepath.Join(plugins, "books", "schema.ts"); !p.IsGenerated(schema) {
		t.Errorf("%s is not expected", schema)
	}
	for _, name := range []string{"ghost", "orphan"} {
		if schema := filepath.Join(plugins, name, "schema.ts"); p.IsGenerated(schema) {
			t.Errorf("%s is expected, but %s has no index.ts", schema, name)
		}
	}
	for path, n := range src.stats {
		if filepath.Base(path) != "index.ts" {
			continue
		}
		if name := filepath.Base(filepath.Dir(path)); name != "ghost" && name != "orphan" {
			t.Errorf("%s stat'ed %d times, though the walk listed it", path, n)
		}
	}
}

// Discovery and the scans that follow it (concurrently, as the server runs
// them) list each directory once through Listings, and the load reads
// exactly the files it reads without it.
func TestListingsListEachDirectoryOnce(t *testing.T) {
	src, root, want := shop(t)
	write(t, src, filepath.Join(root, "apps", "admin", "donkeylabs.config.ts"), "export default {plugins: []}")
	counted := &statCounter{Source: src, stats: map[string]int{}, lists: map[string]int{}}
	shared := project.NewListings(counted)
	var wg sync.WaitGroup
	var got *project.Project
	var roots []string
	var derr, lerr error
	wg.Go(func() { roots, derr = project.Discover(context.Background(), shared, root) })
	wg.Go(func() { got, lerr = project.Load(context.Background(), root, shared) })
	wg.Wait()
	if derr != nil || lerr != nil {
		t.Fatal(derr, lerr)
	}
	if len(roots) != 2 {
		t.Errorf("discovered %v, want the shop and apps/admin", roots)
	}
	for dir, n := range counted.lists {
		if n != 1 {
			t.Errorf("%s listed %d times", dir, n)
		}
	}
	if len(counted.lists) < 5 {
		t.Errorf("only %d directories listed", len(counted.lists))
	}
	if w, g := strings.Join(want.Files(), "\n"), strings.Join(got.Files(), "\n"); w != g {
		t.Errorf("the load through Listings reads other files:\nwant %s\n got %s", w, g)
	}
}

// Once forgotten, Listings list the wrapped Source again: a snapshot keeps
// the Source it was loaded through, and must not read listings of the past.
func TestListingsForget(t *testing.T) {
	src := memTree(t)
	root := src.Root()
	write(t, src, filepath.Join(root, "a.ts"), "")
	l := project.NewListings(src)
	if got, _ := l.ReadDir(root); len(got) != 1 {
		t.Fatalf("listed %d entries, want 1", len(got))
	}
	write(t, src, filepath.Join(root, "b.ts"), "")
	if got, _ := l.ReadDir(root); len(got) != 1 {
		t.Errorf("a remembered listing changed: %d entries", len(got))
	}
	l.Forget()
	if got, _ := l.ReadDir(root); len(got) != 2 {
		t.Errorf("after Forget, listed %d entries, want 2", len(got))
	}
}

// TestEntryModelFollowsEdits: a snapshot takes the entry model of the one it
// was made from when the edit changes nothing the model reads, and computes
// it again otherwise; either way it is what a cold load computes.
func TestEntryModelFollowsEdits(t *testing.T) {
	mem, dir, p := shop(t)
	entry := filepath.Join(dir, "src", "server", "index.ts")
	books := filepath.Join(dir, "src", "server", "routes", "books.ts")
	users := filepath.Join(dir, "src", "server", "plugins", "users", "index.ts")
	read := func(path string) string {
		b, err := mem.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	edits := []struct {
		name, path string
		edit       func(string) string
		same       bool // the model is the previous snapshot's
		skipModel  bool // the previous snapshot never computes its model
		probes     bool // the model asked the Source, so it is computed again though unchanged
	}{
		{"a comment in a router", books, func(s string) string { return s + "\n// a comment\n" }, true, false, false},
		{"a comment in a plugin", users, func(s string) string { return s + "\n// a comment\n" }, true, false, false},
		{"an unmounted router", entry, func(s string) string { return strings.Replace(s, "server.use(adminRouter);\n", "", 1) }, false, false, false},
		{"a log at import", books, func(s string) string { return s + "\nconsole.log(\"loaded\");\n" }, false, false, false},
		{"the log's line moves", books, func(s string) string { return "// one more line\n" + s }, false, true, false},
		{"an import that resolves nowhere", entry, func(s string) string {
			return strings.Replace(s, `"./routes/admin"`, `"./routes/gone"`, 1) + "\nserver.use(adminRouter);\n"
		}, false, false, false},
		{"a comment while it does", books, func(s string) string { return s + "\n// again\n" }, false, false, true},
		{"the import resolves again", entry, func(s string) string { return strings.Replace(s, `"./routes/gone"`, `"./routes/admin"`, 1) }, false, false, false},
		{"the log goes", books, func(s string) string { return strings.Replace(s, "\nconsole.log(\"loaded\");\n", "", 1) }, false, false, false},
		{"a plugin logs", users, func(s string) string { return s + "\nconsole.info(\"users\");\n" }, false, false, false},
		// The step before changed what the model reads, though its
		// snapshot never computed the model.
		{"then a comment in a router", books, func(s string) string { return s + "\n// another\n" }, false, true, false},
		{"and one more", books, func(s string) string { return s + "\n// one more\n" }, true, false, false},
	}
	prev := p.Entry()
	for _, e := range edits {
		content := e.edit(read(e.path))
		write(t, mem, e.path, content)
		q := p.WithFile(e.path, []byte(content))
		if q == p {
			t.Fatalf("%s: the edit changed nothing", e.name)
		}
		if !e.skipModel {
			prev = p.Entry()
		}
		got := q.Entry()
		cold := load(t, mem, dir).Entry()
		if !reflect.DeepEqual(got, cold) {
			t.Errorf("%s: the entry model differs from a cold load's\nincremental: %+v\ncold: %+v", e.name, got, cold)
		}
		if e.same != (got == prev) {
			t.Errorf("%s: reused the previous snapshot's model: %v, want %v", e.name, got == prev, e.same)
		}
		if !e.same && !e.probes && reflect.DeepEqual(got, prev) {
			t.Errorf("%s: the edit does not change the entry model; the case tests nothing", e.name)
		}
		p = q
	}
}

// TestEntryModelConcurrent: snapshots made from one another compute their
// entry models at once (the server's analysis and a navigation request);
// run with -race.
func TestEntryModelConcurrent(t *testing.T) {
	mem, dir, p := shop(t)
	books := filepath.Join(dir, "src", "server", "routes", "books.ts")
	b, err := mem.ReadFile(books)
	if err != nil {
		t.Fatal(err)
	}
	q1 := p.WithFile(books, append(b, "\n// one\n"...))
	q2 := q1.WithFile(books, append(b, "\n// two\n"...))
	q3 := p.WithFile(books, append(b, "\nconsole.log(1);\n"...))
	snaps := []*project.Project{p, q1, q2, q3, p, q2}
	got := make([]*project.EntryRun, len(snaps))
	var wg sync.WaitGroup
	for i, s := range snaps {
		wg.Go(func() { got[i] = s.Entry() })
	}
	wg.Wait()
	if !reflect.DeepEqual(got[0], got[2]) || len(got[3].Causes) != len(got[0].Causes)+1 {
		t.Errorf("the models differ from what the files say: %+v / %+v / %+v", got[0], got[2], got[3])
	}
}

// TestEntryModelFollowsReExportsAndCopies: two facts the entry model reads
// that no edit of TestEntryModelFollowsEdits reaches, a barrel's re-export
// and where a parent.router(child) call stands among the child's routes
// (the routes added before it are the ones copied). Each edit changes the
// model; reusing the earlier one would keep what the edit changed.
func TestEntryModelFollowsReExportsAndCopies(t *testing.T) {
	mem, dir, _ := shop(t)
	entry := filepath.Join(dir, "src", "server", "index.ts")
	barrel := filepath.Join(dir, "src", "server", "routes", "barrel.ts")
	admin := filepath.Join(dir, "src", "server", "routes", "admin.ts")
	read := func(path string) string {
		b, err := mem.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	write(t, mem, barrel, "export * from \"./admin\";\n")
	write(t, mem, entry, strings.Replace(read(entry), `"./routes/admin"`, `"./routes/barrel"`, 1))
	const child = "\nconst local = createRouter(\"local\");\nlocal.route(\"before\").typed({ handle: async () => 1 });\n"
	const call = "adminRouter.router(local);\n"
	const after = "local.route(\"after\").typed({ handle: async () => 2 });\n"
	write(t, mem, admin, read(admin)+child+call+after)
	p := load(t, mem, dir)
	for _, e := range []struct{ name, path, content string }{
		{"the barrel re-exports another router", barrel, "export * from \"./books\";\n"},
		{"and the first again", barrel, "export * from \"./admin\";\n"},
		{"the router call moves below the child's last route", admin, strings.Replace(read(admin), call+after, after+call, 1)},
	} {
		prev := p.Entry()
		write(t, mem, e.path, e.content)
		q := p.WithFile(e.path, []byte(e.content))
		got, cold := q.Entry(), load(t, mem, dir).Entry()
		if !reflect.DeepEqual(got, cold) {
			t.Errorf("%s: the entry model differs from a cold load's\nincremental: %+v\ncold: %+v", e.name, got, cold)
		}
		if reflect.DeepEqual(got, prev) {
			t.Errorf("%s: the edit does not change the entry model; the case tests nothing", e.name)
		}
		p = q
	}
}

// shopEdits are edits of the shop base, each meant to be applied to the
// snapshot the one before it made, covering every kind of file and fact a
// model derived from all files reads. The snapshot tests say for each
// model whether it may be reused after it.
var shopEdits = []struct {
	name, path string
	old, new   string // "" old: prepend new; "" new with "" old: remove the file
}{
	{"a line above a plugin", "src/server/plugins/users/index.ts", "export interface", "// moved down a line\nexport interface"},
	{"a service body", "src/server/plugins/orders/index.ts", "const db = ctx.db;\n", "const db = ctx.db;\n      const started = Date.now();\n"},
	{"a dependency added", "src/server/plugins/orders/index.ts", `["users", "books"]`, `["users", "books", "audit"]`},
	{"a plugin renamed", "src/server/plugins/books/index.ts", `name: "books"`, `name: "bookz"`},
	{"and named back", "src/server/plugins/books/index.ts", `name: "bookz"`, `name: "books"`},
	{"a handler key renamed", "src/server/plugins/books/index.ts", "csv: createHandler", "csv2: createHandler"},
	{"a middleware key renamed", "src/server/plugins/orders/index.ts", "authRequired: createMiddleware", "authNeeded: createMiddleware"},
	{"a plugin event added", "src/server/plugins/orders/index.ts", `"orders.item_backordered": z.object({`, `"orders.cancel_requested": z.object({ orderId: z.string() }),` + "\n      " + `"orders.item_backordered": z.object({`},
	{"a server event added", "src/server/events.ts", `"user.registered": z.object({`, `"user.deleted": z.object({ userId: z.string() }),` + "\n  " + `"user.registered": z.object({`},
	{"a service's name", "src/server/services/pricing.ts", `"pricing"`, `"prices"`},
	{"a registration removed", "src/server/index.ts", "server.registerPlugin(ordersPlugin);\n", ""},
	{"and back", "src/server/index.ts", "server.registerPlugin(booksPlugin);\n", "server.registerPlugin(booksPlugin);\nserver.registerPlugin(ordersPlugin);\n"},
	{"a registration's import moves", "src/server/index.ts", `"./plugins/users"`, `"./plugins/users/index"`},
	{"a plugin's export renamed", "src/server/plugins/audit/index.ts", "export const auditPlugin", "export const auditPlugin2"},
	{"and back", "src/server/plugins/audit/index.ts", "export const auditPlugin2", "export const auditPlugin"},
	{"a column added by a migration", "src/server/plugins/orders/migrations/003_add_order_notes.ts", `.addColumn("notes", "text")`, `.addColumn("notes", "text").addColumn("gift", "text")`},
	{"a comment in a schema", "src/server/plugins/orders/schema.ts", "export interface DB {", "// regenerated\nexport interface DB {"},
	{"a new file in a plugin folder", "src/server/plugins/orders/extra.ts", "", "export const extra = 1;\n"},
	{"the file removed", "src/server/plugins/orders/extra.ts", "", ""},
	{"the registry edited", ".@donkeylabs/server/registry.d.ts", "", "// stale\n"},
	{"the client edited", "src/lib/api.ts", "", "// stale\n"},
	{"a route renamed", "src/server/routes/books.ts", `.route("list")`, `.route("all")`},
	{"a line above a router", "src/server/routes/books.ts", "export const BookSchema", "// moved down a line\nexport const BookSchema"},
}

// applyShopEdit writes edit i of shopEdits to src and returns the snapshot
// p makes of it, as the server makes one.
func applyShopEdit(t *testing.T, src *memsource.Source, p *project.Project, i int) *project.Project {
	t.Helper()
	e := shopEdits[i]
	path := filepath.Join(src.Root(), filepath.FromSlash(e.path))
	if e.old == "" && e.new == "" {
		if err := src.Remove(path); err != nil {
			t.Fatal(err)
		}
		return p.WithoutFile(path)
	}
	var content string
	if b, err := src.ReadFile(path); err == nil {
		content = string(b)
	}
	if e.old == "" {
		content = e.new + content
	} else {
		if !strings.Contains(content, e.old) {
			t.Fatalf("%s: %q not in %s", e.name, e.old, e.path)
		}
		content = strings.Replace(content, e.old, e.new, 1)
	}
	write(t, src, path, content)
	q := p.WithFile(path, []byte(content))
	if q == p {
		t.Fatalf("%s: the edit changed nothing", e.name)
	}
	return q
}

// TestExpectedFollowsEdits: a snapshot derives the expected outputs from
// its parent's when what changed reads the same to them, and computes them
// again otherwise; either way they are what a cold load computes. Reusing
// after every edit keeps a name, key, route or table the edit changed;
// never reusing fails the reused cases.
func TestExpectedFollowsEdits(t *testing.T) {
	mem, dir, p := shop(t)
	reused := map[string]bool{
		// The generator misses a name written after withSchema() and
		// names the plugin after its folder, so a rename changes nothing.
		"a plugin renamed": true, "and named back": true,
		"a line above a plugin": true, "a service body": true, "a dependency added": true,
		"a plugin event added": true, "a server event added": true, "a service's name": true,
		"a comment in a schema": true, "the registry edited": true, "the client edited": true,
		"a line above a router": true,
		// The changed plugin's keys, the schema and the file's routes
		// are read again; the rest is the parent's.
		"a handler key renamed": true, "a middleware key renamed": true,
		"a column added by a migration": true, "a route renamed": true,
	}
	p.Expected()
	for i, e := range shopEdits {
		q := applyShopEdit(t, mem, p, i)
		got := q.Expected()
		if cold := load(t, mem, dir).Expected(); !reflect.DeepEqual(got, cold) {
			t.Errorf("%s: the expected outputs differ from a cold load's", e.name)
		}
		if want := reused[e.name]; project.ExpectedPatched(q) != want {
			t.Errorf("%s: derived from the previous snapshot's: %v, want %v", e.name, !want, want)
		}
		q.ForgetEarlier() // as the analyzers' Run does once done
		p = q
	}
}
