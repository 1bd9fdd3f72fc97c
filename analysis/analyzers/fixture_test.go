package analyzers_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/donkeyls/donkeyls/analysis/analyzers"
	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/internal/fixture"
	"github.com/donkeyls/donkeyls/internal/memsource"
)

// The fixture format is described in internal/fixture. Analyzer fixtures
// compare the staleness and trap codes unless they name their own.
var defaultCodes = append(append([]string{}, analyzers.StalenessCodes...),
	analyzers.CodeSchemaUnknown, analyzers.CodePluginsGlobUnsupported,
	analyzers.CodePluginExportSkipped, analyzers.CodePluginNameMisread,
	analyzers.CodeEntryMissing, analyzers.CodeEntryRunEmpty, analyzers.CodeUnmountedRouter,
	analyzers.CodeConfigInvalid)

// findingsOf runs every analyzer over every project src holds and renders
// the findings whose codes the fixture compares.
func findingsOf(t *testing.T, src *memsource.Source, codes map[string]bool) []string {
	t.Helper()
	ctx := context.Background()
	dir := src.Root()
	roots, err := project.Discover(ctx, src, dir)
	if err != nil {
		t.Fatalf("discover: %v", err)
	}
	var got []string
	for _, root := range roots {
		p, err := project.Load(ctx, root, src)
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
	slices.Sort(got)
	return got
}

// loadMemory builds a fixture in memory and loads its one project.
func loadMemory(t *testing.T, path string) (*memsource.Source, *project.Project) {
	t.Helper()
	src := fixture.Memory(t, fixture.Load(t, path))
	p, err := project.Load(context.Background(), src.Root(), src)
	if err != nil {
		t.Fatal(err)
	}
	return src, p
}

// reload loads src's project again, as a fresh process would.
func reload(t *testing.T, src *memsource.Source) *project.Project {
	t.Helper()
	p, err := project.Load(context.Background(), src.Root(), src)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// readMemory reads a file of a fixture built in memory.
func readMemory(t *testing.T, src *memsource.Source, path string) []byte {
	t.Helper()
	b, err := src.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeMemory writes a file of a fixture built in memory.
func writeMemory(t *testing.T, src *memsource.Source, path string, b []byte) {
	t.Helper()
	if err := src.WriteFile(path, b); err != nil {
		t.Fatal(err)
	}
}

func runFixtures(t *testing.T, group string) {
	paths, err := filepath.Glob(filepath.Join("testdata", group, "*.txtar"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures in testdata/%s", group)
	}
	for _, path := range paths {
		fx := fixture.Load(t, path)
		codes := fx.Codes
		if codes == nil {
			codes = map[string]bool{}
			for _, c := range defaultCodes {
				codes[c] = true
			}
		}
		t.Run(strings.TrimSuffix(fx.Name, ".txtar"), func(t *testing.T) {
			got := findingsOf(t, fixture.Memory(t, fx), codes)
			want := fx.Want
			if len(fx.Marks) > 0 {
				// Marked fixtures compare lines, not columns.
				want = append(append([]string{}, fx.Marks...), fx.Want...)
				slices.Sort(want)
				for i, g := range got {
					loc, code, _ := strings.Cut(g, " ")
					if k := strings.LastIndex(loc, ":"); k >= 0 {
						loc = loc[:k]
					}
					got[i] = loc + " " + code
				}
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("findings differ\n got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
		})
	}
}

func TestStaleness(t *testing.T) { runFixtures(t, "staleness") }

func TestTraps(t *testing.T) { runFixtures(t, "traps") }

func TestEntryRun(t *testing.T) { runFixtures(t, "entry") }

func TestRequestTraps(t *testing.T) { runFixtures(t, "request") }

// TestFixturesNeverTouchTheDisk: every fixture is laid out in memory at a
// root that exists on no disk, and loads through its memsource.Source alone.
// A read that went to the operating system instead (a forgotten os.Stat, a
// git run) would find nothing there and change the fixture's findings, and
// the fixture would fail; here each root is checked to be absent, and each
// project to have been read at all.
func TestFixturesNeverTouchTheDisk(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "*", "*.txtar"))
	more, _ := filepath.Glob(filepath.Join("testdata", "*", "*", "*.txtar"))
	paths = append(paths, more...)
	if len(paths) < 100 {
		t.Fatalf("only %d fixtures", len(paths))
	}
	for _, path := range paths {
		fx := fixture.Load(t, path)
		src := fixture.Memory(t, fx)
		if _, err := os.Stat(src.Root()); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("%s: the fixture's root %s exists on disk (%v): a read through the OS could succeed", path, src.Root(), err)
		}
		roots, err := project.Discover(context.Background(), src, src.Root())
		if err != nil || len(roots) == 0 {
			t.Errorf("%s: no project in memory: %v", path, err)
			continue
		}
		p, err := project.Load(context.Background(), roots[0], src)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if p.Source() != src || len(p.Files()) == 0 {
			t.Errorf("%s: the project was not read from its memsource", path)
		}
	}
}
