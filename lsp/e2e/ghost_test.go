package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/donkeyls/donkeyls/lsp/lsptest"
	"github.com/donkeyls/donkeyls/lsp/text"
)

// quiet is how long a test that asserts something never happens waits for
// it: several debounce periods (100ms) for an analysis that was pending.
const quiet = time.Second

// TestFolderRemovedWhileAnalysisPending: the folder goes away right after an
// edit, before the debounced analysis ran. Nothing is published for it
// afterwards, and what it had published is cleared.
func TestFolderRemovedWhileAnalysisPending(t *testing.T) {
	root, _, _ := freshShop(t, "")
	srv := start(t)
	c := srv.client
	c.Initialize(root, lsptest.Capabilities(true), nil)
	admin := filepath.Join(root, "src/server/routes/admin.ts")
	c.Open(admin)
	c.WaitDiagnostics(admin, "route-direct-db", func(d lsptest.Diagnostics) bool { return lsptest.Has(d, "route-direct-db") })

	c.Change(admin, lsptest.Edit{Text: "// edited\n"})
	c.Notify("workspace/didChangeWorkspaceFolders", map[string]any{"event": map[string]any{
		"added":   []any{},
		"removed": []any{map[string]any{"uri": text.FileURI(root), "name": filepath.Base(root)}},
	}})
	c.WaitDiagnostics(admin, "cleared when its folder was removed", func(d lsptest.Diagnostics) bool { return len(d.Diagnostics) == 0 })
	time.Sleep(quiet)
	if d, _ := c.Latest(admin); len(d.Diagnostics) != 0 {
		t.Fatalf("diagnostics of a removed folder came back after it was cleared: %v\n%s", lsptest.Codes(d), c.Dump())
	}
	c.Shutdown()
	srv.wait("exit")
}

// TestNonCanonicalURIsClearedAfterClose: a client that spells a file URI
// another way (localhost host, dot segments, percent-encoded letters) gets
// diagnostics under its own spelling while the buffer is open, and sees
// them cleared under that spelling once it closes it.
func TestNonCanonicalURIsClearedAfterClose(t *testing.T) {
	root, _, _ := freshShop(t, "")
	admin := filepath.Join(root, "src/server/routes/admin.ts")
	canonical := text.FileURI(admin)
	spellings := map[string]string{
		"localhost":   strings.Replace(canonical, "file://", "file://localhost", 1),
		"dot-dot":     strings.Replace(canonical, "/routes/", "/routes/../routes/", 1),
		"dot":         strings.Replace(canonical, "/routes/", "/./routes/", 1),
		"percent":     strings.Replace(canonical, "/routes/", "/%72outes/", 1),
		"double-dash": strings.Replace(canonical, "/src/", "//src/", 1),
	}
	content, err := os.ReadFile(admin)
	if err != nil {
		t.Fatal(err)
	}
	for name, uri := range spellings {
		t.Run(name, func(t *testing.T) {
			srv := start(t)
			c := srv.client
			c.Initialize(root, lsptest.Capabilities(true), nil)
			c.Notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{
				"uri": uri, "languageId": "typescript", "version": 1, "text": string(content),
			}})
			c.Wait("route-direct-db under "+uri, func() bool {
				d, ok := c.LatestLocked(uri)
				return ok && lsptest.Has(d, "route-direct-db")
			})
			c.Notify("textDocument/didClose", map[string]any{"textDocument": map[string]any{"uri": uri}})
			c.Wait("cleared under "+uri+" after didClose", func() bool {
				d, ok := c.LatestLocked(uri)
				return ok && len(d.Diagnostics) == 0
			})
			// The file on disk still has its finding, now under our spelling.
			c.WaitDiagnostics(admin, "route-direct-db under the canonical URI", func(d lsptest.Diagnostics) bool { return lsptest.Has(d, "route-direct-db") })
			c.Shutdown()
			srv.wait("exit")
		})
	}
}

// TestConfigDeletedClearsDiagnostics: deleting donkeylabs.config.ts makes
// the folder no project: its diagnostics are cleared. Restoring it brings
// them back.
func TestConfigDeletedClearsDiagnostics(t *testing.T) {
	root, _, _ := freshShop(t, "")
	srv := start(t)
	c := srv.client
	c.Initialize(root, lsptest.Capabilities(true), nil)
	admin := filepath.Join(root, "src/server/routes/admin.ts")
	c.Open(admin)
	c.WaitDiagnostics(admin, "route-direct-db", func(d lsptest.Diagnostics) bool { return lsptest.Has(d, "route-direct-db") })

	config := filepath.Join(root, "donkeylabs.config.ts")
	saved, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(config); err != nil {
		t.Fatal(err)
	}
	watched := func(kind int) {
		c.Notify("workspace/didChangeWatchedFiles", map[string]any{"changes": []any{map[string]any{"uri": text.FileURI(config), "type": kind}}})
	}
	watched(3) // deleted
	c.WaitDiagnostics(admin, "cleared once the config is gone", func(d lsptest.Diagnostics) bool { return len(d.Diagnostics) == 0 })
	c.WaitMessage("is no longer a donkeylabs project")

	if err := os.WriteFile(config, saved, 0o644); err != nil {
		t.Fatal(err)
	}
	watched(1) // created
	c.WaitDiagnostics(admin, "back once the config is restored", func(d lsptest.Diagnostics) bool { return lsptest.Has(d, "route-direct-db") })
	c.Shutdown()
	srv.wait("exit")
}
