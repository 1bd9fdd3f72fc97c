package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/donkeyls/donkeyls/internal/testenv"
	"github.com/donkeyls/donkeyls/lsp/lsptest"
)

// hostileShop is the up-to-date shop whose gen:types script creates
// the file pwned, as any repository's script could do anything: the script
// runs through `bun run gen:types`, exactly as the default command would
// run it.
func hostileShop(t *testing.T) (root, pwned string) {
	t.Helper()
	root, _, _ = freshShop(t, "")
	pwned = filepath.Join(t.TempDir(), "pwned")
	pkgPath := filepath.Join(root, "package.json")
	pkg, err := os.ReadFile(pkgPath)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(pkg), `"gen:types": "donkeylabs generate"`, `"gen:types": `+quote(fmt.Sprintf("touch %q", pwned)), 1)
	if edited == string(pkg) {
		t.Fatal("fixture moved: no gen:types script")
	}
	writeFile(t, pkgPath, edited)
	return root, pwned
}

// makeStale saves an edit of the books plugin that makes the registry stale
// (a new handler key): on-save typegen would run.
func makeStale(t *testing.T, c *lsptest.Client, plugin, src, key string) string {
	t.Helper()
	line := fmt.Sprintf("      %s: createHandler<ExportFn>(async () => new Response(\"<rows/>\")),\n", key)
	edited := strings.Replace(src, ndjsonKey, line+ndjsonKey, 1)
	if edited == src {
		t.Fatal("fixture moved: no handlers object to extend")
	}
	c.Replace(plugin, edited)
	c.Save(plugin, edited)
	return edited
}

// revert saves the plugin as it was: the outputs are up to date again.
func revert(c *lsptest.Client, plugin, src string) {
	c.Replace(plugin, src)
	c.Save(plugin, src)
}

// TestUntrustedProjectRunsNothing: with default settings (a client that
// says nothing about trust) no way of opening, editing or saving, no
// command and no workspace setting runs the project's gen:types script; the
// refusal is shown once per kind, however often it happens. Trusted through
// initializationOptions, the same save runs it.
func TestUntrustedProjectRunsNothing(t *testing.T) {
	bun := testenv.Bun(t)
	env := []string{"PATH=" + filepath.Dir(bun) + ":" + os.Getenv("PATH")}
	root, pwned := hostileShop(t)
	wsPwned := filepath.Join(filepath.Dir(pwned), "pwned-by-workspace-settings")
	wsCommand := fmt.Sprintf("touch %q", wsPwned)

	srv := startEnv(t, env)
	c := srv.client
	// What a repository's own settings could answer: a command, typegen on
	// every save, and a claim of trust.
	c.Settings = []byte(fmt.Sprintf(`{"trusted": true, "typegen": {"command": %q, "onSave": "always"}}`, wsCommand))
	c.Initialize(root, lsptest.Capabilities(true), nil)
	plugin := filepath.Join(root, "src/server/plugins/books/index.ts")
	src := c.Open(plugin)
	waitLog(t, srv, "DEBUG settings ", 1)
	waitLog(t, srv, "workspace setting donkeyls.typegen.command ignored", 1)
	waitLog(t, srv, "DEBUG analyzed ", 1)

	makeStale(t, c, plugin, src, "xml")
	waitLog(t, srv, "refused to run typegen on save", 1)
	revert(c, plugin, src)
	makeStale(t, c, plugin, src, "csv")
	waitLog(t, srv, "refused to run typegen on save", 2)
	revert(c, plugin, src)

	for range 2 {
		err := c.Call("workspace/executeCommand", map[string]any{"command": "donkeyls.regenerate", "arguments": []any{root}}, nil)
		if err == nil || !strings.Contains(err.Error(), "not trusted") {
			t.Errorf("regenerate in an untrusted project answered %v, want a refusal", err)
		}
		err = c.Call("workspace/executeCommand", map[string]any{"command": "donkeyls.restart", "arguments": []any{root}}, nil)
		if err == nil || !strings.Contains(err.Error(), "not trusted") {
			t.Errorf("restart in an untrusted project answered %v, want a refusal", err)
		}
	}

	// Pushed settings are workspace settings too.
	c.Notify("workspace/didChangeConfiguration", map[string]any{"settings": map[string]any{"donkeyls": json.RawMessage(c.Settings)}})
	waitLog(t, srv, "DEBUG settings ", 2)
	makeStale(t, c, plugin, src, "tsv")
	waitLog(t, srv, "refused to run typegen on save", 3)
	if err := c.Call("workspace/executeCommand", map[string]any{"command": "donkeyls.regenerate", "arguments": []any{root}}, nil); err == nil {
		t.Errorf("regenerate ran after didChangeConfiguration claimed trust")
	}

	for _, kind := range []string{"run typegen on save", "regenerate types", "restart the dev server"} {
		n := 0
		for _, m := range c.Messages() {
			if strings.Contains(m.Message, "did not "+kind) {
				n++
				if !strings.Contains(m.Message, ":DonkeyTrust") || !strings.Contains(m.Message, "Workspace Trust") || !strings.Contains(m.Message, `"trusted": true`) {
					t.Errorf("the refusal does not say how to trust the project in each editor: %s", m.Message)
				}
			}
		}
		if n != 1 {
			t.Errorf("%d messages for %q, want exactly one per session", n, kind)
		}
	}
	c.Shutdown()
	srv.wait("exit")
	for _, p := range []string{pwned, wsPwned} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("a project command ran in an untrusted project: %s exists (%v)", p, err)
		}
	}

	// The user trusts it: the same kind of save runs the gen:types script.
	srv = startEnv(t, env)
	c = srv.client
	c.Initialize(root, lsptest.Capabilities(true), map[string]any{"trusted": true})
	src = c.Open(plugin)
	waitLog(t, srv, "DEBUG analyzed ", 1)
	makeStale(t, c, plugin, src, "yaml")
	waitLog(t, srv, "INFO  typegen done ", 1)
	if _, err := os.Stat(pwned); err != nil {
		t.Errorf("trusted: on-save typegen did not run the gen:types script: %v", err)
	}
	c.Shutdown()
	srv.wait("exit")
}

// TestUntrustedQuickFixSaysSo: in an untrusted project the Regenerate types
// quick fix is still offered, so the user learns what the finding needs, but
// never looks as if it would just run: disabled with the reason for clients
// that show disabled actions, titled so for the others; trusted, it is the
// plain action.
func TestUntrustedQuickFixSaysSo(t *testing.T) {
	for _, tc := range []struct {
		name     string
		trusted  bool
		disabled bool
		command  string // typegen.command in initializationOptions
		title    string
		reason   string
	}{
		{name: "untrusted", title: "Regenerate types (bun run gen:types): needs a trusted project"},
		{name: "untrusted-disabledSupport", disabled: true, title: "Regenerate types (bun run gen:types)", reason: "not trusted"},
		{name: "trusted", trusted: true, title: "Regenerate types (bun run gen:types)"},
		// The title names the command that really runs: a configured one
		// replaces the project's script (it said bun run gen:types here).
		{name: "trusted-configured", trusted: true, command: "sh scripts/gen.sh --fast", title: "Regenerate types (sh scripts/gen.sh --fast)"},
		{name: "untrusted-configured", command: "sh scripts/gen.sh --fast", title: "Regenerate types (sh scripts/gen.sh --fast): needs a trusted project"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root, _ := staleShop(t)
			srv := start(t)
			c := srv.client
			caps := lsptest.Capabilities(true)
			if tc.disabled {
				caps["textDocument"].(map[string]any)["codeAction"].(map[string]any)["disabledSupport"] = true
			}
			opts := map[string]any{"trusted": tc.trusted}
			if tc.command != "" {
				opts["typegen"] = map[string]any{"command": tc.command}
			}
			c.Initialize(root, caps, opts)
			plugin := filepath.Join(root, "src/server/plugins/books/index.ts")
			c.Open(plugin)
			d := c.WaitDiagnostics(plugin, "stale-registry", func(d lsptest.Diagnostics) bool { return lsptest.Has(d, "stale-registry") })
			var diags []any
			for _, x := range d.Diagnostics {
				if x.Code == "stale-registry" {
					diags = append(diags, x)
				}
			}
			var actions []struct {
				Title    string `json:"title"`
				Disabled *struct {
					Reason string `json:"reason"`
				} `json:"disabled"`
				Command *struct {
					Title   string `json:"title"`
					Command string `json:"command"`
				} `json:"command"`
			}
			if err := c.Call("textDocument/codeAction", map[string]any{
				"textDocument": map[string]any{"uri": "file://" + plugin},
				"range":        d.Diagnostics[0].Range,
				"context":      map[string]any{"diagnostics": diags},
			}, &actions); err != nil {
				t.Fatal(err)
			}
			found := false
			for _, a := range actions {
				if a.Command == nil || a.Command.Command != "donkeyls.regenerate" {
					continue
				}
				found = true
				if a.Title != tc.title {
					t.Errorf("title %q, want %q", a.Title, tc.title)
				}
				switch {
				case tc.reason == "" && a.Disabled != nil:
					t.Errorf("disabled (%s), want enabled", a.Disabled.Reason)
				case tc.reason != "" && (a.Disabled == nil || !strings.Contains(a.Disabled.Reason, tc.reason)):
					t.Errorf("disabled = %+v, want a reason saying %q", a.Disabled, tc.reason)
				}
			}
			if !found {
				t.Errorf("no Regenerate types action in %+v", actions)
			}
			c.Shutdown()
			srv.wait("exit")
		})
	}
}
