package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.lsp.dev/protocol"

	"github.com/donkeyls/donkeyls/analysis/facts"
	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/internal/ossource"
	"github.com/donkeyls/donkeyls/lsp"
	"github.com/donkeyls/donkeyls/lsp/lsptest"
	"github.com/donkeyls/donkeyls/lsp/text"
	"github.com/donkeyls/donkeyls/reload/control"
)

// fakeSupervisor answers on the control socket as `donkeyls dev` does: its
// "server" loaded the project's code as it was on disk at its last start.
type fakeSupervisor struct {
	t    *testing.T
	root string

	mu       sync.Mutex
	loaded   map[string]string
	started  time.Time
	restarts []string
	state    string // "" is running
	// hotFailed is what donkeyls dev reports of in-place reloads that threw.
	hotFailed map[string]string
}

func (f *fakeSupervisor) load() {
	p, err := project.Load(context.Background(), f.root, ossource.Source{})
	if err != nil {
		f.t.Errorf("fake supervisor: %v", err)
		return
	}
	loaded := map[string]string{}
	p.EachFile(func(fl *facts.File) {
		if !fl.Kind.IsGenerated() && !fl.Missing && !fl.Unreadable {
			loaded[fl.Path] = control.FormatHash(fl.CodeHash)
		}
	})
	f.mu.Lock()
	f.loaded, f.started = loaded, time.Now()
	f.mu.Unlock()
}

func (f *fakeSupervisor) Status() control.Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	state := f.state
	if state == "" {
		state = control.StateRunning
	}
	return control.Status{Pid: os.Getpid(), StartedAt: f.started, State: state, Loaded: f.loaded, HotFailed: f.hotFailed}
}

func (f *fakeSupervisor) Restart(ctx context.Context, reason string) error {
	f.mu.Lock()
	f.restarts = append(f.restarts, reason)
	f.mu.Unlock()
	f.load()
	return nil
}

func (f *fakeSupervisor) Regenerate(ctx context.Context) error { return nil }

// TestRestartRequired: with a dev server supervised by `donkeyls dev`, a
// saved change to a plugin's code is reported as restart-required (not
// while the buffer is unsaved), offers "Restart the dev server", and clears
// once the supervisor restarted.
func TestRestartRequired(t *testing.T) {
	root, _, _ := freshShop(t, "")
	sup := &fakeSupervisor{t: t, root: root}
	sup.load()
	ln, err := control.Listen(root, sup)
	if err != nil {
		t.Fatalf("fake supervisor: %v", err)
	}
	defer ln.Close()

	srv := start(t)
	c := srv.client
	c.Initialize(root, statusCaps(), map[string]any{"trusted": true, "typegen": map[string]any{"onSave": "off"}})
	plugin := filepath.Join(root, "src/server/plugins/books/index.ts")
	src := c.Open(plugin)
	c.WaitDiagnostics(plugin, "the first publish", func(d lsptest.Diagnostics) bool { return d.Version != nil })
	waitLog(t, srv, "dev supervisor root="+root+` status="pid`, 1)
	running, n := waitStatus(t, c, 0, "dev running", func(st lsp.Status) bool { return st.Dev.State == lsp.DevRunning })
	if running.Dev.Pid != os.Getpid() || running.Dev.Supervisor != control.StateRunning || running.Dev.Restart != 0 {
		t.Errorf("status before the edit: %+v; want running under the supervisor's pid %d", running.Dev, os.Getpid())
	}

	edited := strings.Replace(src, "const rows = await handle(params, ctx);", "const rows = (await handle(params, ctx)).slice(0, 1000);", 1)
	if edited == src {
		t.Fatal("fixture moved: no handler body to edit")
	}
	v := c.Replace(plugin, edited)
	d := c.WaitDiagnostics(plugin, "the unsaved edit analyzed", func(d lsptest.Diagnostics) bool { return d.Version != nil && *d.Version == v })
	if lsptest.Has(d, "restart-required") {
		t.Errorf("restart-required for an unsaved buffer")
	}
	c.Save(plugin, edited)
	d = c.WaitDiagnostics(plugin, "restart-required after the save", func(d lsptest.Diagnostics) bool { return lsptest.Has(d, "restart-required") })
	var diag protocol.Diagnostic
	for _, x := range d.Diagnostics {
		if x.Code == "restart-required" {
			diag = x
		}
	}
	if !strings.Contains(diag.Message, `"books"`) {
		t.Errorf("message %q does not name the plugin", diag.Message)
	}
	if got := dataJSON(t, diag); got != `{"fix":"restart"}` {
		t.Errorf("restart-required data %s, want {\"fix\":\"restart\"}", got)
	}
	needed, n := waitStatus(t, c, n+1, "restart needed", func(st lsp.Status) bool { return st.Dev.State == lsp.DevRestartNeeded })
	if needed.Dev.Restart != 1 {
		t.Errorf("status after the save: %+v; want restartNeeded with 1 finding", needed.Dev)
	}
	var actions []action
	if err := c.Call("textDocument/codeAction", map[string]any{
		"textDocument": map[string]any{"uri": text.FileURI(plugin)},
		"range":        diag.Range,
		"context":      map[string]any{"diagnostics": []any{diag}},
	}, &actions); err != nil {
		t.Fatal(err)
	}
	var restart *action
	for i, a := range actions {
		if a.Command != nil && a.Command.Command == "donkeyls.restart" {
			restart = &actions[i]
		}
	}
	if restart == nil {
		t.Fatalf("no restart action among %+v", actions)
	}
	if err := c.Call("workspace/executeCommand", map[string]any{"command": restart.Command.Command, "arguments": restart.Command.Arguments}, nil); err != nil {
		t.Fatalf("restart: %v", err)
	}
	c.WaitMessage("restarted the dev server")
	c.WaitDiagnostics(plugin, "restart-required cleared after the restart", func(d lsptest.Diagnostics) bool { return !lsptest.Has(d, "restart-required") })
	waitStatus(t, c, n+1, "running again after the restart", func(st lsp.Status) bool { return st.Dev.State == lsp.DevRunning && st.Dev.Restart == 0 })
	sup.mu.Lock()
	if len(sup.restarts) != 1 {
		t.Errorf("supervisor got %d restart requests, want 1", len(sup.restarts))
	}
	sup.mu.Unlock()
	c.Shutdown()
	srv.wait("exit")
}

// A plugin edit donkeyls dev tried to apply in place but whose new service
// threw: restart-required stays, and says why the old code still runs.
func TestRestartRequiredSaysWhyAnInPlaceReloadFailed(t *testing.T) {
	root, _, _ := freshShop(t, "")
	sup := &fakeSupervisor{t: t, root: root}
	sup.load()
	ln, err := control.Listen(root, sup)
	if err != nil {
		t.Fatalf("fake supervisor: %v", err)
	}
	defer ln.Close()

	srv := start(t)
	c := srv.client
	c.Initialize(root, statusCaps(), map[string]any{"trusted": true, "typegen": map[string]any{"onSave": "off"}})
	plugin := filepath.Join(root, "src/server/plugins/books/index.ts")
	src := c.Open(plugin)
	c.WaitDiagnostics(plugin, "the first publish", func(d lsptest.Diagnostics) bool { return d.Version != nil })
	waitStatus(t, c, 0, "dev running", func(st lsp.Status) bool { return st.Dev.State == lsp.DevRunning })

	edited := strings.Replace(src, "const db = ctx.db;", `const db = ctx.db;
      if (db) throw new Error("no catalogue today");`, 1)
	if edited == src {
		t.Fatal("fixture moved: no service body to edit")
	}
	sup.mu.Lock()
	sup.hotFailed = map[string]string{plugin: `plugin "books"'s service threw: Error: no catalogue today`}
	sup.mu.Unlock()
	c.Replace(plugin, edited)
	c.Save(plugin, edited)
	d := c.WaitDiagnostics(plugin, "restart-required with the reload's error", func(d lsptest.Diagnostics) bool {
		for _, x := range d.Diagnostics {
			if x.Code == "restart-required" && strings.Contains(x.Message, "no catalogue today") {
				return true
			}
		}
		return false
	})
	for _, x := range d.Diagnostics {
		if x.Code == "restart-required" && !strings.Contains(x.Message, "old one keeps answering") {
			t.Errorf("message %q does not say the old service still answers", x.Message)
		}
	}
}
