package analyzers_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/donkeyls/donkeyls/analysis/analyzers"
	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/internal/testenv"
)

// Fixtures are txtar archives under testdata/<group>/. Each one starts from a
// base project, applies its own files on top, and lists the findings it
// expects in its comment:
//
//	base: bookshop            (examples/bookshop made fresh: the default)
//	base: none                (the archive is the whole project)
//	codes: a,b                (compare only these codes; default: staleness and traps)
//	want: path:line:col code  (1-based line and UTF-16 column; one per finding)
//
// Archive members replace files. Two special suffixes edit instead:
//
//	-- path.edit --   blocks of "<<<<\nold\n====\nnew\n>>>>": old must occur once
//	-- .delete --     one path per line, removed (directories recursively)
//
// The expected set must match exactly, so a fixture with no want lines
// asserts silence.

var defaultCodes = append(append([]string{}, analyzers.StalenessCodes...),
	analyzers.CodeSchemaUnknown, analyzers.CodePluginsGlobUnsupported,
	analyzers.CodePluginExportSkipped, analyzers.CodePluginNameMisread)

type fixture struct {
	name  string
	base  string
	codes map[string]bool
	want  []string
	arch  *txtar.Archive
}

func loadFixture(t *testing.T, path string) fixture {
	t.Helper()
	arch, err := txtar.ParseFile(path)
	if err != nil {
		t.Fatalf("reading fixture: %v", err)
	}
	fx := fixture{name: filepath.Base(path), base: "bookshop", arch: arch, codes: map[string]bool{}}
	for _, c := range defaultCodes {
		fx.codes[c] = true
	}
	for _, line := range strings.Split(string(arch.Comment), "\n") {
		line = strings.TrimSpace(line)
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		switch key {
		case "base":
			fx.base = val
		case "codes":
			fx.codes = map[string]bool{}
			for _, c := range strings.Split(val, ",") {
				fx.codes[strings.TrimSpace(c)] = true
			}
		case "want":
			fx.want = append(fx.want, val)
		}
	}
	sort.Strings(fx.want)
	return fx
}

// materialize writes the fixture's project into a fresh directory.
func materialize(t *testing.T, fx fixture) string {
	t.Helper()
	dir := t.TempDir()
	switch fx.base {
	case "none":
	case "bookshop":
		copyTree(t, filepath.Join(testenv.RepoRoot(), "examples", "bookshop"), dir)
		applyArchive(t, dir, loadFixture(t, filepath.Join("testdata", "bookshop-fresh.txtar")).arch)
	default:
		t.Fatalf("unknown base %q", fx.base)
	}
	applyArchive(t, dir, fx.arch)
	return dir
}

func applyArchive(t *testing.T, dir string, arch *txtar.Archive) {
	t.Helper()
	for _, f := range arch.Files {
		switch {
		case f.Name == ".delete":
			for _, p := range strings.Split(string(f.Data), "\n") {
				if p = strings.TrimSpace(p); p != "" {
					if err := os.RemoveAll(filepath.Join(dir, filepath.FromSlash(p))); err != nil {
						t.Fatal(err)
					}
				}
			}
		case strings.HasSuffix(f.Name, ".edit"):
			target := filepath.Join(dir, filepath.FromSlash(strings.TrimSuffix(f.Name, ".edit")))
			b, err := os.ReadFile(target)
			if err != nil {
				t.Fatalf("edit of %s: %v", f.Name, err)
			}
			s := string(b)
			for _, block := range strings.Split(string(f.Data), ">>>>\n") {
				if strings.TrimSpace(block) == "" {
					continue
				}
				block = strings.TrimPrefix(block, "<<<<\n")
				old, new, ok := strings.Cut(block, "====\n")
				if !ok {
					t.Fatalf("%s: edit block without ====", f.Name)
				}
				if n := strings.Count(s, old); n != 1 {
					t.Fatalf("%s: %q occurs %d times, want exactly once", f.Name, old, n)
				}
				s = strings.Replace(s, old, new, 1)
			}
			if err := os.WriteFile(target, []byte(s), 0o644); err != nil {
				t.Fatal(err)
			}
		default:
			target := filepath.Join(dir, filepath.FromSlash(f.Name))
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(target, f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		if d.IsDir() {
			if d.Name() == "node_modules" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o644)
	})
	if err != nil {
		t.Fatalf("copying %s: %v", from, err)
	}
}

// findingsOf runs every analyzer over every project under dir and renders
// the findings whose codes the fixture compares.
func findingsOf(t *testing.T, dir string, codes map[string]bool) []string {
	t.Helper()
	ctx := context.Background()
	roots, err := project.Discover(ctx, dir)
	if err != nil {
		t.Fatalf("discover: %v", err)
	}
	var got []string
	for _, root := range roots {
		p, err := project.Load(ctx, root, nil)
		if err != nil {
			t.Fatalf("load: %v", err)
		}
		for _, f := range analyzers.Run(ctx, p) {
			if !codes[f.Code] {
				continue
			}
			rel, _ := filepath.Rel(dir, f.Location.Path)
			s := f.Location.Range.Start
			got = append(got, fmt.Sprintf("%s:%d:%d %s", filepath.ToSlash(rel), s.Line+1, s.Col+1, f.Code))
			if testing.Verbose() {
				t.Logf("%s:%d:%d %s: %s", filepath.ToSlash(rel), s.Line+1, s.Col+1, f.Code, f.Message)
			}
		}
	}
	sort.Strings(got)
	return got
}

func runFixtures(t *testing.T, group string) {
	paths, err := filepath.Glob(filepath.Join("testdata", group, "*.txtar"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures in testdata/%s", group)
	}
	for _, path := range paths {
		fx := loadFixture(t, path)
		t.Run(strings.TrimSuffix(fx.name, ".txtar"), func(t *testing.T) {
			dir := materialize(t, fx)
			got := findingsOf(t, dir, fx.codes)
			if strings.Join(got, "\n") != strings.Join(fx.want, "\n") {
				t.Errorf("findings differ\n got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(fx.want, "\n  "))
			}
		})
	}
}

func TestStaleness(t *testing.T) { runFixtures(t, "staleness") }

func TestTraps(t *testing.T) { runFixtures(t, "traps") }

// The example ships with deliberate staleness (see examples/bookshop/README.md);
// made fresh, it must report nothing at warning level or above.
func TestFreshProjectIsQuiet(t *testing.T) {
	dir := materialize(t, fixture{base: "bookshop", arch: &txtar.Archive{}})
	ctx := context.Background()
	p, err := project.Load(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range analyzers.Run(ctx, p) {
		if f.Severity <= 2 {
			rel, _ := filepath.Rel(dir, f.Location.Path)
			t.Errorf("%s:%s: %s [%s]", rel, f.Location.Range, f.Message, f.Code)
		}
	}
}
