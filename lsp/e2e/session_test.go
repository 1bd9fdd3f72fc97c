package e2e

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/donkeyls/donkeyls/lsp/lsptest"
)

type action struct {
	Title       string `json:"title"`
	Kind        string `json:"kind"`
	Diagnostics []struct {
		Code string `json:"code"`
	} `json:"diagnostics"`
	Command *struct {
		Command   string `json:"command"`
		Arguments []any  `json:"arguments"`
	} `json:"command"`
	Edit json.RawMessage `json:"edit"`
}

// TestStaleRegistryRegenerateClears is the editor session of the issue: open
// a plugin whose handler was added after the last generate, get
// stale-registry, ask for code actions, run "Regenerate types" with a
// command that rewrites the outputs, and see the diagnostics clear, in the
// open plugin file and in the migration nobody opened.
func TestStaleRegistryRegenerateClears(t *testing.T) {
	root, regen := staleShop(t)
	srv := start(t)
	c := srv.client
	c.Initialize(root, lsptest.Capabilities(true), map[string]any{"trusted": true, "typegen": map[string]any{"command": regen}})

	plugin := filepath.Join(root, "src/server/plugins/books/index.ts")
	migration := filepath.Join(root, "src/server/plugins/orders/migrations/003_add_order_notes.ts")
	c.Open(plugin)
	// The first load starts without waiting for the open (no debounce at
	// start-up), so it may publish the file once as closed, without a
	// version; the open buffer's analysis then publishes it with its own.
	d := c.WaitDiagnostics(plugin, "stale-registry with the open buffer's version", func(d lsptest.Diagnostics) bool {
		return lsptest.Has(d, "stale-registry") && d.Version != nil && *d.Version == 1
	})
	var stale = d.Diagnostics[0]
	for _, x := range d.Diagnostics {
		if fmt.Sprint(x.Code) == "stale-registry" {
			stale = x
		}
	}
	// The ndjson key of handlers, 61:7 one-based.
	if stale.Range.Start.Line != 60 || stale.Range.Start.Character != 6 {
		t.Errorf("stale-registry at %d:%d, want 60:6 (0-based)", stale.Range.Start.Line, stale.Range.Start.Character)
	}
	c.WaitDiagnostics(migration, "stale-schema in a file that is not open", func(d lsptest.Diagnostics) bool {
		return lsptest.Has(d, "stale-schema") && d.Version == nil
	})

	var actions []action
	err := c.Call("textDocument/codeAction", map[string]any{
		"textDocument": map[string]any{"uri": "file://" + plugin},
		"range":        stale.Range,
		"context":      map[string]any{"diagnostics": []any{stale}},
	}, &actions)
	if err != nil {
		t.Fatalf("codeAction: %v", err)
	}
	var regenAction *action
	for i, a := range actions {
		if a.Command != nil && a.Command.Command == "donkeyls.regenerate" {
			regenAction = &actions[i]
		}
	}
	if regenAction == nil {
		t.Fatalf("no donkeyls.regenerate action among %+v", actions)
	}
	if regenAction.Kind != "quickfix" || len(regenAction.Diagnostics) == 0 || regenAction.Diagnostics[0].Code != "stale-registry" {
		t.Errorf("regenerate action %+v: want a quickfix attached to the stale-registry diagnostic", regenAction)
	}
	if len(regenAction.Command.Arguments) != 1 || regenAction.Command.Arguments[0] != root {
		t.Errorf("regenerate arguments %v, want [%s]", regenAction.Command.Arguments, root)
	}

	var result map[string]any
	if err := c.Call("workspace/executeCommand", map[string]any{
		"command": regenAction.Command.Command, "arguments": regenAction.Command.Arguments,
	}, &result); err != nil {
		t.Fatalf("executeCommand: %v", err)
	}
	if result["exitCode"] != float64(0) {
		t.Errorf("regenerate result %v, want exit code 0", result)
	}
	c.WaitDiagnostics(plugin, "stale-registry cleared", func(d lsptest.Diagnostics) bool { return !lsptest.Has(d, "stale-registry") })
	c.WaitDiagnostics(migration, "stale-schema cleared", func(d lsptest.Diagnostics) bool { return !lsptest.Has(d, "stale-schema") })

	checkRegenerateProgress(t, c)

	c.Shutdown()
	if code := srv.wait("shutdown and exit"); code != 0 {
		t.Errorf("exit code %d after shutdown+exit, want 0", code)
	}
}

// TestQuickRegenerateProgressIsShownWhole: a typegen that is done before the
// client accepted the progress token still shows its progress, whole and in
// order, once the client does (it used to show nothing: the regenerate
// progress of the session test was empty on a loaded machine).
func TestQuickRegenerateProgressIsShownWhole(t *testing.T) {
	root, regen := staleShop(t)
	srv := start(t)
	c := srv.client
	c.Initialize(root, lsptest.Capabilities(true), map[string]any{"trusted": true, "typegen": map[string]any{"command": regen}})
	plugin := filepath.Join(root, "src/server/plugins/books/index.ts")
	c.Open(plugin)
	c.WaitDiagnostics(plugin, "stale-registry", func(d lsptest.Diagnostics) bool { return lsptest.Has(d, "stale-registry") })
	c.Withhold("window/workDoneProgress/create")
	var result map[string]any
	if err := c.Call("workspace/executeCommand", map[string]any{"command": "donkeyls.regenerate", "arguments": []any{root}}, &result); err != nil {
		t.Fatalf("executeCommand: %v", err)
	}
	c.Wait("the progress token request", func() bool { return c.HeldLocked("window/workDoneProgress/create") > 0 })
	c.Answer("window/workDoneProgress/create")
	checkRegenerateProgress(t, c)
	c.Shutdown()
	srv.wait("exit")
}

// checkRegenerateProgress waits for the regenerate progress to end and
// checks it: begin (cancellable), a report with the command's output, end.
// The progress may end after the command's answer and its diagnostics: the
// server never waits for the client to accept the token.
func checkRegenerateProgress(t *testing.T, c *lsptest.Client) {
	t.Helper()
	regenerating := func(events []lsptest.Progress) (token string, kinds, messages []string) {
		for _, p := range events {
			if p.Value.Kind == "begin" && strings.Contains(p.Value.Title, "regenerating") {
				token = string(p.Token)
			}
			if token != "" && string(p.Token) == token {
				kinds = append(kinds, p.Value.Kind)
				messages = append(messages, p.Value.Message)
			}
		}
		return token, kinds, messages
	}
	c.Wait("the regenerate progress to end", func() bool {
		_, kinds, _ := regenerating(c.ProgressEventsLocked())
		return len(kinds) > 0 && kinds[len(kinds)-1] == "end"
	})
	var token string
	var kinds, messages []string
	for _, p := range c.ProgressEvents() {
		if p.Value.Kind == "begin" && strings.Contains(p.Value.Title, "regenerating") {
			token = string(p.Token)
			if !p.Value.Cancellable {
				t.Errorf("typegen progress is not cancellable: %+v", p)
			}
		}
		if token != "" && string(p.Token) == token {
			kinds = append(kinds, p.Value.Kind)
			messages = append(messages, p.Value.Message)
		}
	}
	if len(kinds) < 3 || kinds[0] != "begin" || kinds[len(kinds)-1] != "end" || !strings.Contains(strings.Join(messages, "|"), "Generat") {
		t.Errorf("regenerate progress %v %q, want begin, a report of the command's output, end", kinds, messages)
	}
}
