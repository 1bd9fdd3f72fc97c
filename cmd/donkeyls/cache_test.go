package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/donkeyls/donkeyls/internal/factcache"
	"github.com/donkeyls/donkeyls/internal/fixture"
	"github.com/donkeyls/donkeyls/internal/synth"
	"github.com/donkeyls/donkeyls/internal/testenv"
)

var statsLine = regexp.MustCompile(`(\d+) files: (\d+) parsed, (\d+) from the cache`)

// checkJSON runs `check --format json --stats` with args and returns the
// JSON and the parsed and cached counts.
func checkJSON(t *testing.T, dir string, args ...string) (out string, parsed, cached int) {
	t.Helper()
	code, out, errOut := runMain(t, append(append([]string{"check", "--format", "json", "--stats"}, args...), dir)...)
	if code != exitOK && code != exitFindings {
		t.Fatalf("check exit %d\n%s", code, errOut)
	}
	m := statsLine.FindStringSubmatch(errOut)
	if m == nil {
		t.Fatalf("--stats printed no counts:\n%s", errOut)
	}
	parsed, _ = strconv.Atoi(m[2])
	cached, _ = strconv.Atoi(m[3])
	return out, parsed, cached
}

// analyzerFixtures materializes every analyzer fixture (those needing a git
// repository excepted: their findings depend on HEAD, not on facts).
func analyzerFixtures(t *testing.T) map[string]string {
	paths, err := filepath.Glob(filepath.Join(testenv.RepoRoot(), "analysis", "analyzers", "testdata", "*", "*.txtar"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no analyzer fixtures: %v", err)
	}
	dirs := map[string]string{}
	for _, path := range paths {
		fx := fixture.Load(t, path)
		dirs[filepath.Base(filepath.Dir(path))+"/"+fx.Name] = fixture.Materialize(t, fx)
	}
	return dirs
}

// A warm run reports byte for byte what a run without the cache reports, on
// every analyzer fixture, and parses nothing.
func TestWarmCheckEqualsCold(t *testing.T) {
	cacheDir := t.TempDir()
	for name, dir := range analyzerFixtures(t) {
		t.Run(name, func(t *testing.T) {
			plain, _, cachedNone := checkJSON(t, dir, "--no-cache")
			cold, _, _ := checkJSON(t, dir, "--cache-dir", cacheDir)
			warm, parsed, cached := checkJSON(t, dir, "--cache-dir", cacheDir)
			if cachedNone != 0 {
				t.Errorf("--no-cache took %d files from the cache", cachedNone)
			}
			if cold != plain || warm != plain {
				t.Fatalf("findings differ\nno cache:\n%s\ncold:\n%s\nwarm:\n%s", plain, cold, warm)
			}
			if parsed != 0 || cached == 0 {
				t.Errorf("warm run parsed %d files and took %d from the cache, want 0 parsed", parsed, cached)
			}
		})
	}
}

func TestWarmCheckEqualsColdOnSyntheticProjects(t *testing.T) {
	for _, opts := range []synth.Options{
		{Plugins: 10, Routes: 100, MigrationsPerPlugin: 2, Adapter: true, Seed: 1},
		{Plugins: 30, Routes: 200, MigrationsPerPlugin: 1, Seed: 7},
	} {
		t.Run(fmt.Sprintf("%dplugins", opts.Plugins), func(t *testing.T) {
			dir := t.TempDir()
			if err := synth.Write(dir, opts); err != nil {
				t.Fatal(err)
			}
			// Make it report something, so equality is not of two empty lists.
			plugins, _ := filepath.Glob(filepath.Join(dir, "src/server/plugins/*/index.ts"))
			b, err := os.ReadFile(plugins[0])
			if err != nil {
				t.Fatal(err)
			}
			edited := strings.Replace(string(b), "handlers: {", "handlers: { extraKey: createHandler(async () => new Response(\"\")),", 1)
			if edited == string(b) {
				edited = string(b) + "\nexport const orphanPlugin = createPlugin.define({ name: \"orphan\", service: async () => ({}) });\n"
			}
			if err := os.WriteFile(plugins[0], []byte(edited), 0o644); err != nil {
				t.Fatal(err)
			}
			cacheDir := t.TempDir()
			plain, _, _ := checkJSON(t, dir, "--no-cache")
			cold, _, _ := checkJSON(t, dir, "--cache-dir", cacheDir)
			warm, parsed, _ := checkJSON(t, dir, "--cache-dir", cacheDir)
			if plain == `{"findings":[]}` || !strings.Contains(plain, `"code"`) {
				t.Fatalf("the edited project reports nothing:\n%s", plain)
			}
			if cold != plain || warm != plain {
				t.Fatalf("findings differ\nno cache:\n%s\ncold:\n%s\nwarm:\n%s", plain, cold, warm)
			}
			if parsed != 0 {
				t.Errorf("warm run parsed %d files", parsed)
			}
		})
	}
}

// entries lists the cache's pack files.
func entries(t *testing.T, cacheDir string) []string {
	t.Helper()
	var paths []string
	err := filepath.WalkDir(cacheDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && !strings.HasPrefix(d.Name(), ".") {
			paths = append(paths, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return paths
}

// A damaged pack is ignored from the first bad entry on, and rewritten:
// the findings stay those of a run without the cache, and the next run is
// warm again.
func TestDamagedCacheEntriesAreIgnored(t *testing.T) {
	dir := fixture.Materialize(t, fixture.Load(t, filepath.Join(testenv.RepoRoot(), "analysis/analyzers/testdata/staleness/handler-key-added.txtar")))
	plain, _, _ := checkJSON(t, dir, "--no-cache")
	damages := map[string]func(t *testing.T, path string){
		"truncated": func(t *testing.T, path string) {
			b, _ := os.ReadFile(path)
			must(t, os.WriteFile(path, b[:len(b)/2], 0o644))
		},
		"empty": func(t *testing.T, path string) { must(t, os.WriteFile(path, nil, 0o644)) },
		"bit-flipped": func(t *testing.T, path string) {
			b, _ := os.ReadFile(path)
			// Inside the last entry's values, where only the checksum
			// can tell: a flipped varint still decodes.
			b[len(b)-10] ^= 0x01
			must(t, os.WriteFile(path, b, 0o644))
		},
		// Another build's entry, checksum intact: the version bytes differ.
		"other version": func(t *testing.T, path string) {
			b, _ := os.ReadFile(path)
			must(t, os.WriteFile(path, factcache.WithVersionForTest(b, "another build"), 0o644))
		},
		// Tests run as root, where chmod 000 does not stop a read; a
		// directory in the entry's place cannot be read by anyone.
		"unreadable": func(t *testing.T, path string) {
			must(t, os.Remove(path))
			must(t, os.MkdirAll(filepath.Join(path, "sub"), 0o755))
		},
		"chmod 000": func(t *testing.T, path string) { must(t, os.Chmod(path, 0)) },
	}
	for name, damage := range damages {
		t.Run(name, func(t *testing.T) {
			cacheDir := t.TempDir()
			_, total, _ := checkJSON(t, dir, "--cache-dir", cacheDir)
			paths := entries(t, cacheDir)
			if len(paths) != 1 {
				t.Fatalf("%d packs for one project", len(paths))
			}
			damage(t, paths[0])
			got, parsed, _ := checkJSON(t, dir, "--cache-dir", cacheDir)
			if got != plain {
				t.Fatalf("findings with a damaged pack differ\nwant:\n%s\ngot:\n%s", plain, got)
			}
			switch name {
			case "chmod 000": // root reads it anyway
			case "truncated", "bit-flipped":
				// The entries before the damage still count.
				if parsed == 0 {
					t.Errorf("parsed nothing: the damaged part was used")
				}
			default:
				if parsed != total {
					t.Errorf("parsed %d of %d files: a damaged pack was used", parsed, total)
				}
			}
			again, parsed, cached := checkJSON(t, dir, "--cache-dir", cacheDir)
			if again != plain || parsed != 0 || cached != total {
				t.Errorf("after the rewrite: %d parsed, %d cached (want 0, %d); same findings: %v", parsed, cached, total, again == plain)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Two check processes filling one cache directory at once both give the
// right answer, and so does the run after them.
func TestConcurrentChecksShareACache(t *testing.T) {
	bin := testenv.Binary(t)
	dir := t.TempDir()
	if err := synth.Write(dir, synth.Options{Plugins: 40, Routes: 400, MigrationsPerPlugin: 2, Adapter: true, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	want, _, _ := checkJSON(t, dir, "--no-cache")
	cacheDir := t.TempDir()
	for round := range 3 {
		outs := make([][]byte, 2)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i := range outs {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				var stderr bytes.Buffer
				cmd := exec.Command(bin, "check", "--format", "json", "--cache-dir", cacheDir, dir)
				cmd.Stderr = &stderr
				outs[i], errs[i] = cmd.Output()
				if errs[i] != nil {
					errs[i] = fmt.Errorf("%w: %s", errs[i], stderr.String())
				}
			}(i)
		}
		wg.Wait()
		for i := range outs {
			if errs[i] != nil {
				t.Fatalf("round %d, process %d: %v", round, i, errs[i])
			}
			if string(outs[i]) != want {
				t.Fatalf("round %d, process %d: findings differ\nwant:\n%s\ngot:\n%s", round, i, want, outs[i])
			}
		}
	}
	// The binary's build differs from this test's, so it asks for itself.
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "check", "--format", "json", "--stats", "--cache-dir", cacheDir, dir)
	cmd.Stderr = &stderr
	got, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	if m := statsLine.FindStringSubmatch(stderr.String()); m == nil || m[2] != "0" || string(got) != want {
		t.Errorf("after the race: %s; same findings: %v", stderr.String(), string(got) == want)
	}
}

// --no-cache reads and writes nothing: the default cache directory is never
// created.
func TestNoCacheTouchesNothing(t *testing.T) {
	root := t.TempDir()
	t.Setenv(factcache.EnvDir, filepath.Join(root, "cache"))
	t.Setenv("XDG_CACHE_HOME", filepath.Join(root, "xdg"))
	t.Setenv("HOME", filepath.Join(root, "home"))
	dir := fixture.Materialize(t, fixture.Load(t, filepath.Join(testenv.RepoRoot(), "analysis/analyzers/testdata/staleness/handler-key-added.txtar")))
	_, parsed, cached := checkJSON(t, dir, "--no-cache")
	if parsed == 0 || cached != 0 {
		t.Errorf("--no-cache: %d parsed, %d cached", parsed, cached)
	}
	ents, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 0 {
		t.Errorf("--no-cache created %s", ents[0].Name())
	}
	// Without the flag the same run does use $DONKEYLS_CACHE_DIR, so the
	// check above looked in the right place.
	checkJSON(t, dir)
	if _, err := os.Stat(filepath.Join(root, "cache")); err != nil {
		t.Errorf("the cache run did not write %s: %v", factcache.EnvDir, err)
	}
}
