package analyzers_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/analyzers"
	"github.com/donkeyls/donkeyls/analysis/names"
)

// What each finding says: the old name, the files that run again, where
// the folder was; and the fix that keeps the old name renames it back
// everywhere, so the migrations are found and recorded as before.
func TestPluginRenameMessagesAndFix(t *testing.T) {
	src, p := loadMemory(t, filepath.Join("testdata", "request", "plugin-rename.txtar"))
	var rerun, unreachable analysis.Finding
	for _, f := range analyzers.Run(t.Context(), p) {
		switch f.Code {
		case analyzers.CodePluginRenameRerunsMigrations:
			rerun = f
		case analyzers.CodeMigrationsUnreachable:
			unreachable = f
		}
	}
	for _, w := range []string{`"catalog" was named "books" at HEAD (in src/server/plugins/books)`, "001_create_books.ts", "move the folder back to src/server/plugins/books"} {
		if !strings.Contains(rerun.Message, w) {
			t.Errorf("rerun finding lacks %q: %s", w, rerun.Message)
		}
	}
	if len(rerun.Fixes) != 0 {
		t.Errorf("a renamed folder cannot be moved back by a text edit, yet a fix is offered: %v", rerun.Fixes[0].Title)
	}
	if !strings.Contains(unreachable.Message, `it was named "notes" at HEAD`) {
		t.Errorf("migrations-unreachable does not name the old name: %s", unreachable.Message)
	}
	if len(unreachable.Fixes) != 1 {
		t.Fatalf("migrations-unreachable offers %d fixes, want the one that keeps the name", len(unreachable.Fixes))
	}
	applyEdits(t, src, unreachable.Fixes[0].Edit.Edits)
	root := src.Root()
	for file, want := range map[string]string{
		"src/server/plugins/notes/index.ts": `name: "notes"`,
		"src/server/routes/api.ts":          "ctx.plugins.notes.count()",
	} {
		if b := readMemory(t, src, filepath.Join(root, filepath.FromSlash(file))); !strings.Contains(string(b), want) {
			t.Errorf("after %q, %s lacks %s:\n%s", unreachable.Fixes[0].Title, file, want, b)
		}
	}
	for _, f := range analyzers.Run(t.Context(), reload(t, src)) {
		if f.Location.Path == filepath.Join(root, "src", "server", "plugins", "notes", "index.ts") &&
			(f.Code == analyzers.CodeMigrationsUnreachable || f.Code == analyzers.CodePluginRenameRerunsMigrations) {
			t.Errorf("after the fix: %s: %s", f.Code, f.Message)
		}
	}
}

// The editor's rename warning reads the same model: it promises reruns for
// committed migrations only.
func TestRenameWarningReadsTheRecordedMigrations(t *testing.T) {
	_, p := loadMemory(t, filepath.Join("testdata", "request", "plugin-rename-none.txtar"))
	ix := names.For(p)
	warn := func(plugin string) string {
		defs := ix.Defs(names.Name{Kind: names.Plugin, Key: plugin})
		if len(defs) != 1 {
			t.Fatalf("%d definitions of %s", len(defs), plugin)
		}
		return names.RenameWarning(p, ix, names.Target{Occurrence: defs[0], Placeholder: plugin}, "renamed").Text
	}
	if w := warn("authors"); !strings.Contains(w, `1 of them is committed`) || !strings.Contains(w, `run them again as "renamed"'s`) {
		t.Errorf("committed migrations, yet the warning does not say they run again: %s", w)
	}
	if w := warn("drafts"); !strings.Contains(w, "move the folder") || strings.Contains(w, "run them again") {
		t.Errorf("migrations never committed, yet the warning says they run again (or forgets the folder): %s", w)
	}
}
