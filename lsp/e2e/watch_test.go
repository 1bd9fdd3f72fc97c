package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/donkeyls/donkeyls/lsp/lsptest"
	"github.com/donkeyls/donkeyls/lsp/text"
)

// TestOutputsRewrittenOutsideTheEditor: the client cannot watch files, so
// the server watches the folder itself. The generator run from a terminal
// rewrites the outputs and the stale diagnostics disappear without the
// user touching anything in the editor.
func TestOutputsRewrittenOutsideTheEditor(t *testing.T) {
	root, regen := staleShop(t)
	srv := start(t)
	c := srv.client
	c.Initialize(root, lsptest.Capabilities(false), nil)
	plugin := filepath.Join(root, "src/server/plugins/books/index.ts")
	migration := filepath.Join(root, "src/server/plugins/orders/migrations/003_add_order_notes.ts")
	c.Open(plugin)
	c.WaitDiagnostics(plugin, "stale-registry", func(d lsptest.Diagnostics) bool { return lsptest.Has(d, "stale-registry") })
	c.WaitDiagnostics(migration, "stale-schema", func(d lsptest.Diagnostics) bool { return lsptest.Has(d, "stale-schema") })
	for _, r := range c.Registrations() {
		if r.Method == "workspace/didChangeWatchedFiles" {
			t.Errorf("registered file watching with a client that cannot do it")
		}
	}

	out, err := exec.Command("sh", "-c", strings.TrimPrefix(regen, "sh ")).CombinedOutput()
	if err != nil {
		t.Fatalf("running the generator stand-in: %v\n%s", err, out)
	}
	c.WaitDiagnostics(plugin, "stale-registry cleared by the rewritten registry", func(d lsptest.Diagnostics) bool { return !lsptest.Has(d, "stale-registry") })
	c.WaitDiagnostics(migration, "stale-schema cleared by the rewritten schema", func(d lsptest.Diagnostics) bool { return len(d.Diagnostics) == 0 })

	// A plugin folder created afterwards is watched too: the new plugin is
	// not in the registry; removing the folder again clears that.
	dir := filepath.Join(root, "src/server/plugins/reviews")
	newPlugin := filepath.Join(dir, "index.ts")
	writeFile(t, newPlugin, `import { createPlugin } from "@donkeylabs/server";

// Customer reviews of books.
export const reviewsPlugin = createPlugin.define({
  name: "reviews",
  service: async (ctx) => ({
    list: async () => [],
  }),
});
`)
	c.WaitDiagnostics(newPlugin, "stale-registry for a plugin created on disk", func(d lsptest.Diagnostics) bool { return lsptest.Has(d, "stale-registry") })
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	c.WaitDiagnostics(newPlugin, "cleared once the plugin folder is deleted", func(d lsptest.Diagnostics) bool { return len(d.Diagnostics) == 0 })
	c.Shutdown()
	srv.wait("exit")
}

// TestClientWatchesFiles: a client that can watch files gets a
// registration for the project's TypeScript, package.json and lockfiles,
// and its change events drive the analysis.
func TestClientWatchesFiles(t *testing.T) {
	root, regen := staleShop(t)
	srv := start(t)
	c := srv.client
	c.Initialize(root, lsptest.Capabilities(true), nil)
	plugin := filepath.Join(root, "src/server/plugins/books/index.ts")
	c.Open(plugin)
	c.WaitDiagnostics(plugin, "stale-registry", func(d lsptest.Diagnostics) bool { return lsptest.Has(d, "stale-registry") })
	var globs string
	c.Wait("a didChangeWatchedFiles registration", func() bool {
		for _, r := range c.RegistrationsLocked() {
			if r.Method == "workspace/didChangeWatchedFiles" {
				globs = fmt.Sprint(r.RegisterOptions)
				return true
			}
		}
		return false
	})
	for _, g := range []string{"**/*.{ts,tsx,mts}", "**/migrations/*.{js,mjs}", "package.json", "bun.lock"} {
		if !strings.Contains(globs, g) {
			t.Errorf("watchers %s do not cover %s", globs, g)
		}
	}
	if out, err := exec.Command("sh", "-c", strings.TrimPrefix(regen, "sh ")).CombinedOutput(); err != nil {
		t.Fatalf("generator stand-in: %v\n%s", err, out)
	}
	c.Notify("workspace/didChangeWatchedFiles", map[string]any{"changes": []any{
		map[string]any{"uri": text.FileURI(filepath.Join(root, ".@donkeylabs/server/registry.d.ts")), "type": 2},
	}})
	c.WaitDiagnostics(plugin, "stale-registry cleared", func(d lsptest.Diagnostics) bool { return !lsptest.Has(d, "stale-registry") })
	c.Shutdown()
	srv.wait("exit")
}

// TestCheckoutOfManyFilesAnalyzesOnce writes 500 files at once, as a branch
// checkout does, and counts the analyses the server ran for them.
func TestCheckoutOfManyFilesAnalyzesOnce(t *testing.T) {
	root, _ := staleShop(t)
	srv := start(t)
	c := srv.client
	c.Initialize(root, lsptest.Capabilities(false), nil)
	plugin := filepath.Join(root, "src/server/plugins/books/index.ts")
	c.Open(plugin)
	c.WaitDiagnostics(plugin, "stale-registry", func(d lsptest.Diagnostics) bool { return lsptest.Has(d, "stale-registry") })
	before := strings.Count(readLog(t, srv), "DEBUG analyzed ")

	dir := filepath.Join(root, "src/server/routes/generated")
	for i := range 500 {
		writeFile(t, filepath.Join(dir, fmt.Sprintf("r%03d.ts", i)), fmt.Sprintf(`import { createRouter } from "@donkeylabs/server";
import { z } from "zod";

export const r%03dRouter = createRouter("r%03d");
r%03dRouter.route("get").typed({
  input: z.object({ id: z.string() }),
  handle: async (input, ctx) => ctx.plugins.books.get(input.id),
});
`, i, i, i))
	}
	// Let the burst settle (the watcher's and the server's debounce), then
	// count. The checkout must cost a handful of analyses at most, not 500.
	deadline := time.Now().Add(lsptest.Timeout)
	var after int
	for {
		time.Sleep(500 * time.Millisecond)
		n := strings.Count(readLog(t, srv), "DEBUG analyzed ")
		if n > before && n == after {
			break
		}
		after = n
		if time.Now().After(deadline) {
			t.Fatalf("no analysis after the checkout within %s", lsptest.Timeout)
		}
	}
	if runs := after - before; runs > 2 {
		t.Errorf("500 files written at once caused %d analyses, want 1 (2 if the watcher split the burst)", runs)
	}
	if !strings.Contains(readLog(t, srv), "load=true") {
		t.Errorf("a new directory of routes did not reload the project")
	}
	c.Shutdown()
	srv.wait("exit")
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
