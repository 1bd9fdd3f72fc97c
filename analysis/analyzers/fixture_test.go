package analyzers_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/donkeyls/donkeyls/analysis/analyzers"
	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/internal/fixture"
)

// The fixture format is described in internal/fixture. Analyzer fixtures
// compare the staleness and trap codes unless they name their own.
var defaultCodes = append(append([]string{}, analyzers.StalenessCodes...),
	analyzers.CodeSchemaUnknown, analyzers.CodePluginsGlobUnsupported,
	analyzers.CodePluginExportSkipped, analyzers.CodePluginNameMisread,
	analyzers.CodeEntryMissing, analyzers.CodeEntryRunEmpty, analyzers.CodeUnmountedRouter,
	analyzers.CodeConfigInvalid)

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
		fx := fixture.Load(t, path)
		codes := fx.Codes
		if codes == nil {
			codes = map[string]bool{}
			for _, c := range defaultCodes {
				codes[c] = true
			}
		}
		t.Run(strings.TrimSuffix(fx.Name, ".txtar"), func(t *testing.T) {
			dir := fixture.Materialize(t, fx)
			got := findingsOf(t, dir, codes)
			want := fx.Want
			if len(fx.Marks) > 0 {
				// Marked fixtures compare lines, not columns.
				want = append(append([]string{}, fx.Marks...), fx.Want...)
				sort.Strings(want)
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

// The example ships with deliberate staleness (see examples/bookshop/README.md);
// made fresh, it must report nothing at warning level or above.
func TestFreshProjectIsQuiet(t *testing.T) {
	dir := fixture.Materialize(t, fixture.Fixture{Base: "bookshop", Arch: &txtar.Archive{}})
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

func TestRequestTraps(t *testing.T) { runFixtures(t, "request") }
