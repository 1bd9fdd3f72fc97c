package synth

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/donkeyls/donkeyls/internal/testenv"
	"github.com/donkeyls/donkeyls/internal/tsmodeltest"
)

func byPath(files []File) map[string]string {
	m := map[string]string{}
	for _, f := range files {
		m[f.Path] = string(f.Content)
	}
	return m
}

var routeCall = regexp.MustCompile(`\.route\("([^"]+)"\)\.(typed|raw)\(`)

func TestWriteHasWhatWasAsked(t *testing.T) {
	opts := Options{Plugins: 12, Routes: 95, MigrationsPerPlugin: 4, Adapter: true, Seed: 1}
	dir := t.TempDir()
	if err := Write(dir, opts); err != nil {
		t.Fatal(err)
	}

	plugins, err := filepath.Glob(filepath.Join(dir, "src/server/plugins/*/index.ts"))
	if err != nil {
		t.Fatal(err)
	}
	if len(plugins) != opts.Plugins {
		t.Errorf("got %d plugins, want %d", len(plugins), opts.Plugins)
	}
	for _, p := range plugins {
		pdir := filepath.Dir(p)
		migs, _ := filepath.Glob(filepath.Join(pdir, "migrations", "*.ts"))
		if len(migs) != opts.MigrationsPerPlugin {
			t.Errorf("%s: %d migrations, want %d", pdir, len(migs), opts.MigrationsPerPlugin)
		}
		if _, err := os.Stat(filepath.Join(pdir, "schema.ts")); err != nil {
			t.Errorf("%s: no schema.ts: %v", pdir, err)
		}
	}

	routeFiles, _ := filepath.Glob(filepath.Join(dir, "src/server/routes/*.ts"))
	if want := (opts.Routes + RoutesPerFile - 1) / RoutesPerFile; len(routeFiles) != want {
		t.Errorf("got %d route files, want %d", len(routeFiles), want)
	}
	total := 0
	for _, f := range routeFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		n := len(routeCall.FindAllSubmatch(data, -1))
		if n == 0 || n > RoutesPerFile {
			t.Errorf("%s has %d routes, want 1..%d", filepath.Base(f), n, RoutesPerFile)
		}
		total += n
	}
	if total != opts.Routes {
		t.Errorf("got %d routes in total, want %d", total, opts.Routes)
	}

	client, err := os.ReadFile(filepath.Join(dir, "src/lib/api.ts"))
	if err != nil {
		t.Fatalf("Adapter: true must write the client: %v", err)
	}
	if n := strings.Count(string(client), "this.request(") + strings.Count(string(client), "this.rawRequest("); n != opts.Routes {
		t.Errorf("the client has %d route methods, want %d", n, opts.Routes)
	}
	registry, err := os.ReadFile(filepath.Join(dir, ".@donkeylabs/server/registry.d.ts"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(registry), ": Register<"); n != opts.Plugins {
		t.Errorf("registry.d.ts registers %d plugins, want %d", n, opts.Plugins)
	}
	entry, err := os.ReadFile(filepath.Join(dir, "src/server/index.ts"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(entry), "server.registerPlugin("); n != opts.Plugins {
		t.Errorf("the entry registers %d plugins, want %d", n, opts.Plugins)
	}
	if n := strings.Count(string(entry), "server.use("); n != len(routeFiles) {
		t.Errorf("the entry uses %d routers, want %d", n, len(routeFiles))
	}
}

func TestNoAdapterNoMigrations(t *testing.T) {
	files, err := Generate(Options{Plugins: 5, Routes: 20, MigrationsPerPlugin: 0, Adapter: false, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	m := byPath(files)
	if _, ok := m["src/lib/api.ts"]; ok {
		t.Error("without an adapter the generator writes no client")
	}
	if strings.Contains(m["donkeylabs.config.ts"], "adapter") {
		t.Error("config names an adapter although Adapter is false")
	}
	for path, content := range m {
		if strings.Contains(path, "/migrations/") || strings.HasSuffix(path, "/schema.ts") {
			t.Errorf("MigrationsPerPlugin 0 must write no migration or schema, got %s", path)
		}
		if strings.HasPrefix(path, "src/server/plugins/") && strings.Contains(content, "withSchema") {
			t.Errorf("%s uses withSchema without a schema.ts", path)
		}
	}
}

// Route names are unique across the project, since the client and the
// server key routes by full name.
func TestRouteNamesAreUnique(t *testing.T) {
	files, err := Generate(Options{Plugins: 3, Routes: 140, MigrationsPerPlugin: 2, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	prefix := regexp.MustCompile(`createRouter\("([^"]+)"\)`)
	for _, f := range files {
		if !strings.HasPrefix(f.Path, "src/server/routes/") {
			continue
		}
		p := prefix.FindSubmatch(f.Content)
		if p == nil {
			t.Fatalf("%s has no createRouter", f.Path)
		}
		for _, m := range routeCall.FindAllSubmatch(f.Content, -1) {
			full := string(p[1]) + "." + string(m[1])
			if other, dup := seen[full]; dup {
				t.Errorf("route %s defined in %s and %s", full, other, f.Path)
			}
			seen[full] = f.Path
		}
	}
	if len(seen) != 140 {
		t.Errorf("got %d distinct routes, want 140", len(seen))
	}
}

// Dependencies name plugins that exist and never form a cycle (the server
// would refuse to start).
func TestDependenciesAreAcyclic(t *testing.T) {
	files, err := Generate(Options{Plugins: 80, Routes: 0, MigrationsPerPlugin: 1, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	depsRe := regexp.MustCompile(`dependencies: \[([^\]]*)\] as const`)
	nameRe := regexp.MustCompile(`name: "(\w+)"`)
	deps := map[string][]string{}
	withDeps := 0
	for _, f := range files {
		if !strings.HasSuffix(f.Path, "/index.ts") || !strings.HasPrefix(f.Path, "src/server/plugins/") {
			continue
		}
		name := string(nameRe.FindSubmatch(f.Content)[1])
		deps[name] = nil
		if m := depsRe.FindSubmatch(f.Content); m != nil {
			withDeps++
			for d := range strings.SplitSeq(string(m[1]), ",") {
				deps[name] = append(deps[name], strings.Trim(strings.TrimSpace(d), `"`))
			}
		}
	}
	if withDeps == 0 {
		t.Fatal("no plugin has dependencies; the generator should make some")
	}
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(string, []string)
	visit = func(n string, path []string) {
		if state[n] == 2 {
			return
		}
		if state[n] == 1 {
			t.Fatalf("dependency cycle: %v", append(path, n))
		}
		if _, ok := deps[n]; !ok {
			t.Fatalf("%v depends on %s, which is not a plugin", path, n)
		}
		state[n] = 1
		for _, d := range deps[n] {
			visit(d, append(path, n))
		}
		state[n] = 2
	}
	for n := range deps {
		visit(n, nil)
	}
}

func TestDeterministic(t *testing.T) {
	opts := Options{Plugins: 30, Routes: 250, MigrationsPerPlugin: 3, Adapter: true, Seed: 42}
	a, err := Generate(opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Generate(opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != len(b) {
		t.Fatalf("same options, %d files then %d", len(a), len(b))
	}
	for i := range a {
		if a[i].Path != b[i].Path || !bytes.Equal(a[i].Content, b[i].Content) {
			t.Fatalf("same options, different %s", a[i].Path)
		}
	}
	opts.Seed = 43
	c, err := Generate(opts)
	if err != nil {
		t.Fatal(err)
	}
	if same(a, c) {
		t.Error("a different seed should give a different project")
	}

	// Write is deterministic too: two directories, byte-equal trees.
	d1, d2 := t.TempDir(), t.TempDir()
	small := Options{Plugins: 4, Routes: 25, MigrationsPerPlugin: 2, Adapter: true, Seed: 1}
	if err := Write(d1, small); err != nil {
		t.Fatal(err)
	}
	if err := Write(d2, small); err != nil {
		t.Fatal(err)
	}
	files, _ := Generate(small)
	for _, f := range files {
		x, err1 := os.ReadFile(filepath.Join(d1, f.Path))
		y, err2 := os.ReadFile(filepath.Join(d2, f.Path))
		if err1 != nil || err2 != nil || !bytes.Equal(x, y) {
			t.Errorf("%s differs between two writes (%v, %v)", f.Path, err1, err2)
		}
	}
}

func same(a, b []File) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Path != b[i].Path || !bytes.Equal(a[i].Content, b[i].Content) {
			return false
		}
	}
	return true
}

func TestBadOptions(t *testing.T) {
	for _, o := range []Options{
		{Plugins: -1},
		{Routes: -5, Plugins: 1},
		{Plugins: 1, MigrationsPerPlugin: -1},
		{Plugins: 0, Routes: 10},
		{Plugins: MaxPlugins + 1},
	} {
		if _, err := Generate(o); err == nil {
			t.Errorf("Generate(%+v) should fail", o)
		}
	}
}

func TestWriteRefusesNonEmptyDir(t *testing.T) {
	dir := t.TempDir()
	keep := filepath.Join(dir, "keep.txt")
	if err := os.WriteFile(keep, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(dir, Options{Plugins: 1, Routes: 1, Seed: 1}); err == nil {
		t.Fatal("Write into a non-empty directory must fail")
	}
	if data, _ := os.ReadFile(keep); string(data) != "mine" {
		t.Error("Write touched an existing file")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("Write left %d entries in a directory it refused", len(entries))
	}
}

// A synthetic project compiles cleanly against the TypeScript model, like
// the example does once regenerated: its sources and outputs agree.
func TestSyntheticProjectTypeChecks(t *testing.T) {
	tsc := testenv.TSC(t)
	for name, opts := range map[string]Options{
		"schema+adapter": {Plugins: 8, Routes: 70, MigrationsPerPlugin: 3, Adapter: true, Seed: 17},
		"memory":         {Plugins: 3, Routes: 25, MigrationsPerPlugin: 0, Adapter: false, Seed: 4},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := Write(dir, opts); err != nil {
				t.Fatal(err)
			}
			if err := tsmodeltest.InstallModel(testenv.RepoRoot(), dir); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			diags, err := tsmodeltest.Check(ctx, tsc, dir)
			if ctx.Err() != nil {
				t.Fatalf("tsc did not finish within 3 minutes")
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range diags {
				t.Errorf("tsc: %s", d)
			}
		})
	}
}
