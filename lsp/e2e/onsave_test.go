package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/donkeyls/donkeyls/internal/fixture"
	"github.com/donkeyls/donkeyls/lsp/lsptest"
)

// freshShop is the shop fixture with every output up to date, and a typegen
// command that appends one line per run to a counter file (after sleeping,
// when asked to, so that saves can arrive during a run).
func freshShop(t *testing.T, sleep string) (root, command, counter string) {
	t.Helper()
	root = t.TempDir()
	fixture.Base(t, fixture.Fixture{Base: "shop"}, root)
	counter = filepath.Join(t.TempDir(), "runs")
	command = fmt.Sprintf("echo run >> %s", counter)
	if sleep != "" {
		command = fmt.Sprintf("echo run >> %s; sleep %s", counter, sleep)
	}
	return root, command, counter
}

func runs(t *testing.T, counter string) int {
	b, err := os.ReadFile(counter)
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "run\n")
}

// waitLog waits until the server log holds n occurrences of substr.
func waitLog(t *testing.T, srv *server, substr string, n int) {
	t.Helper()
	deadline := time.Now().Add(lsptest.Timeout)
	for strings.Count(readLog(t, srv), substr) < n {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %d× %q in the server log", lsptest.Timeout, n, substr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

const ndjsonKey = "      ndjson: createHandler<ExportFn>(async (req, _def, handle, ctx) => {"

// TestOnSaveWhenStale: saving an edit the table says needs nothing (a
// service method body) runs nothing; saving an edit that makes the registry
// stale (a new handler key) runs typegen once.
func TestOnSaveWhenStale(t *testing.T) {
	root, command, counter := freshShop(t, "")
	srv := start(t)
	c := srv.client
	c.Initialize(root, lsptest.Capabilities(true), map[string]any{"trusted": true, "typegen": map[string]any{"command": command}})
	plugin := filepath.Join(root, "src/server/plugins/books/index.ts")
	src := c.Open(plugin)
	waitLog(t, srv, "DEBUG analyzed ", 1)

	bodyOnly := strings.Replace(src, "const rows = await handle(params, ctx);", "const rows = await handle(params, ctx); // the body changed", 1)
	if bodyOnly == src {
		t.Fatal("fixture moved: no handler body to edit")
	}
	c.Replace(plugin, bodyOnly)
	c.Save(plugin, bodyOnly)
	waitLog(t, srv, "saved: outputs still up to date file=index.ts", 1)

	xmlKey := "      xml: createHandler<ExportFn>(async () => new Response(\"<rows/>\")),\n"
	withKey := strings.Replace(bodyOnly, ndjsonKey, xmlKey+ndjsonKey, 1)
	if withKey == bodyOnly {
		t.Fatal("fixture moved: no handlers object to extend")
	}
	c.Replace(plugin, withKey)
	c.Save(plugin, withKey)
	waitLog(t, srv, "INFO  typegen done ", 1)
	if n := runs(t, counter); n != 1 {
		t.Errorf("typegen ran %d times, want once (for the handler key, not for the body edit)", n)
	}
	c.Shutdown()
	srv.wait("exit")
}

// TestOnSaveAlwaysCoalesces: with onSave "always", five saves during a run
// cause exactly one more run.
func TestOnSaveAlwaysCoalesces(t *testing.T) {
	root, command, counter := freshShop(t, "2")
	srv := start(t)
	c := srv.client
	c.Initialize(root, lsptest.Capabilities(true), map[string]any{"trusted": true, "typegen": map[string]any{"command": command, "onSave": "always"}})
	plugin := filepath.Join(root, "src/server/plugins/books/index.ts")
	src := c.Open(plugin)
	waitLog(t, srv, "DEBUG analyzed ", 1)
	c.Save(plugin, src)
	deadline := time.Now().Add(lsptest.Timeout)
	for runs(t, counter) < 1 {
		if time.Now().After(deadline) {
			t.Fatal("the first save never ran typegen")
		}
		time.Sleep(10 * time.Millisecond)
	}
	for i := range 5 {
		edited := src + fmt.Sprintf("// save %d\n", i)
		c.Replace(plugin, edited)
		c.Save(plugin, edited)
	}
	// Six callers finish: the first run's and five sharing the follow-up.
	waitLog(t, srv, "INFO  typegen done ", 6)
	if n := runs(t, counter); n != 2 {
		t.Errorf("typegen ran %d times for a save and five saves during its run, want 2", n)
	}
	c.Shutdown()
	srv.wait("exit")
}

// TestOnSaveOffWhenUntrusted: an untrusted workspace never runs typegen, on
// save or on request, whatever the settings say, and workspace settings
// cannot make it trusted.
func TestOnSaveOffWhenUntrusted(t *testing.T) {
	root, command, counter := freshShop(t, "")
	srv := start(t)
	c := srv.client
	c.Settings = []byte(`{"trusted": true, "typegen": {"onSave": "always"}}`)
	c.Initialize(root, lsptest.Capabilities(true), map[string]any{"trusted": false, "typegen": map[string]any{"command": command, "onSave": "always"}})
	plugin := filepath.Join(root, "src/server/plugins/books/index.ts")
	src := c.Open(plugin)
	waitLog(t, srv, "DEBUG settings ", 1) // the workspace/configuration answer was applied
	waitLog(t, srv, "DEBUG analyzed ", 1)
	c.Save(plugin, src)
	waitLog(t, srv, "refused to run typegen on save", 1)
	if err := c.Call("workspace/executeCommand", map[string]any{"command": "donkeyls.regenerate", "arguments": []any{root}}, nil); err == nil {
		t.Errorf("regenerate succeeded in an untrusted workspace")
	}
	c.WaitMessage("not trusted")
	if n := runs(t, counter); n != 0 {
		t.Errorf("typegen ran %d times in an untrusted workspace", n)
	}
	c.Shutdown()
	srv.wait("exit")
}

// TestSavingGeneratedOutputDoesNotLoop: saving the registry (or the
// generator writing it) never starts typegen.
func TestSavingGeneratedOutputDoesNotLoop(t *testing.T) {
	root, command, counter := freshShop(t, "")
	srv := start(t)
	c := srv.client
	c.Initialize(root, lsptest.Capabilities(true), map[string]any{"trusted": true, "typegen": map[string]any{"command": command, "onSave": "always"}})
	registry := filepath.Join(root, ".@donkeylabs/server/registry.d.ts")
	src := c.Open(registry)
	waitLog(t, srv, "DEBUG analyzed ", 1)
	c.Save(registry, src)
	waitLog(t, srv, "saved: a generated output, no typegen file=registry.d.ts", 1)
	if n := runs(t, counter); n != 0 {
		t.Errorf("saving a generated output ran typegen %d times", n)
	}
	c.Shutdown()
	srv.wait("exit")
}
