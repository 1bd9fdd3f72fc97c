package analyzers_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/analyzers"
	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/internal/fixture"
)

// The init-shaped project: its only entry finding is entry-missing, whose
// quick fix sets entry; after it, and the client the real generator wrote
// for that config (testdata/entry/generated-client-init.ts.txt, reduced by
// hand from its output), nothing at warning level but the true glob trap.
func TestEntryMissingFixThenGenerate(t *testing.T) {
	ctx := context.Background()
	dir := fixture.Materialize(t, fixture.Load(t, filepath.Join("testdata", "entry", "init-shape.txtar")))
	p, err := project.Load(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	var fix *analysis.Fix
	for _, f := range analyzers.Run(ctx, p) {
		if f.Code == analyzers.CodeEntryMissing && len(f.Fixes) == 1 {
			fix = &f.Fixes[0]
		}
	}
	if fix == nil {
		t.Fatal("entry-missing with one quick fix not reported")
	}
	if fix.Title != "Set entry to ./src/server/index.ts" {
		t.Errorf("fix title %q", fix.Title)
	}
	applyEdits(t, fix.Edit.Edits)
	cfg, _ := os.ReadFile(filepath.Join(dir, "donkeylabs.config.ts"))
	if !strings.Contains(string(cfg), "defineConfig({\n  entry: \"./src/server/index.ts\",") {
		t.Fatalf("config after the fix:\n%s", cfg)
	}
	client, err := os.ReadFile(filepath.Join("testdata", "entry", "generated-client-init.ts.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "src", "lib", "api.ts"), client, 0o644); err != nil {
		t.Fatal(err)
	}
	p, err = project.Load(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st := p.Entry().Status; st != project.EntryRuns {
		t.Errorf("entry status %v after the fix, want it to run", st)
	}
	for _, f := range analyzers.Run(ctx, p) {
		if f.Severity <= analysis.SeverityWarning && f.Code != analyzers.CodePluginsGlobUnsupported {
			t.Errorf("%s: %s [%s]", p.Rel(f.Location.Path), f.Message, f.Code)
		}
	}
}
