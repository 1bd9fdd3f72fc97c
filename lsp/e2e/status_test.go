package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.lsp.dev/protocol"

	"github.com/donkeyls/donkeyls/lsp"
	"github.com/donkeyls/donkeyls/lsp/lsptest"
	"github.com/donkeyls/donkeyls/reload/control"
)

// statusCaps are lsptest's capabilities plus the opt-in for donkeyls/status.
func statusCaps() map[string]any {
	caps := lsptest.Capabilities(true)
	caps["experimental"] = map[string]any{"donkeylsStatus": true}
	return caps
}

// statuses decodes every donkeyls/status so far; inside a Wait condition.
func statusesLocked(t *testing.T, c *lsptest.Client) []lsp.Status {
	var out []lsp.Status
	for _, raw := range c.StatusesLocked() {
		var st lsp.Status
		if err := json.Unmarshal(raw, &st); err != nil {
			t.Errorf("donkeyls/status %s: %v", raw, err)
			continue
		}
		out = append(out, st)
	}
	return out
}

// waitStatus waits for a donkeyls/status after the first `after` ones that
// satisfies cond, and returns it with its index.
func waitStatus(t *testing.T, c *lsptest.Client, after int, what string, cond func(lsp.Status) bool) (lsp.Status, int) {
	t.Helper()
	var got lsp.Status
	idx := -1
	c.Wait("a donkeyls/status: "+what, func() bool {
		all := statusesLocked(t, c)
		for i := after; i < len(all); i++ {
			if cond(all[i]) {
				got, idx = all[i], i
				return true
			}
		}
		return false
	})
	return got, idx
}

func describeStatus(st lsp.Status) string {
	return fmt.Sprintf("types %s (%d %v) failure %q, dev %s (%d), trusted %v", st.Types.State, st.Types.Stale, st.Types.Findings, st.Types.Failure, st.Dev.State, st.Dev.Restart, st.Trusted)
}

// TestStatusNotification: the server tells a client that opted in the
// state of the project: stale with its counts after the first analysis,
// one more after an edit that makes the registry staler, nothing for
// keystrokes that change nothing, generating while Regenerate runs and
// until its outputs are read again (never a stale count from before in
// between), fresh after it, failed when the command fails.
func TestStatusNotification(t *testing.T) {
	root, regen := staleShop(t)
	// The generator waits for the test to see it running.
	gate := filepath.Join(t.TempDir(), "gate")
	gated := fmt.Sprintf("i=0; while [ ! -e %q ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done; %s", gate, regen)
	srv := start(t)
	c := srv.client
	c.Initialize(root, statusCaps(), map[string]any{"trusted": true, "typegen": map[string]any{"command": gated, "onSave": "off"}})

	// After the first analysis: shop-stale is stale in two places.
	first, n := waitStatus(t, c, 0, "stale after the load", func(st lsp.Status) bool { return st.Types.State == lsp.TypesStale })
	if first.Root != root || first.Types.Stale != 2 || first.Types.Findings["stale-registry"] != 1 || first.Types.Findings["stale-schema"] != 1 ||
		first.Dev.State != lsp.DevStopped || !first.Trusted || first.Types.Command != gated {
		t.Errorf("first status: %s, root %q, command %q; want stale (2: stale-registry 1, stale-schema 1), dev stopped, trusted, in %s", describeStatus(first), first.Root, first.Types.Command, root)
	}

	// An edit that adds a handler key: the registry lacks one more.
	plugin := filepath.Join(root, "src/server/plugins/books/index.ts")
	src := c.Open(plugin)
	c.WaitDiagnostics(plugin, "the opened plugin analysed", func(d lsptest.Diagnostics) bool { return d.Version != nil })
	if all := c.Statuses(); len(all) != n+1 {
		t.Errorf("opening a file as it is on disk sent %d more statuses: %s", len(all)-n-1, all[n+1:])
	}
	edited := makeStale(t, c, plugin, src, "xml")
	staler, n := waitStatus(t, c, n+1, "3 stale after the edit", func(st lsp.Status) bool { return st.Types.Stale == 3 })
	if staler.Types.State != lsp.TypesStale || staler.Types.Findings["stale-registry"] != 2 {
		t.Errorf("after the stale edit: %s; want stale-registry 2", describeStatus(staler))
	}

	// Keystrokes in a comment change nothing a user sees: no status.
	before := len(c.Statuses())
	text := edited
	var v int32
	for i := range 20 {
		text = strings.Replace(text, "\n", fmt.Sprintf("\n// keystroke %d\n", i), 1)
		v = c.Replace(plugin, text)
	}
	c.WaitDiagnostics(plugin, "the burst analysed", func(d lsptest.Diagnostics) bool { return d.Version != nil && *d.Version == v })
	if got := c.Statuses(); len(got) != before {
		t.Errorf("20 keystrokes that change nothing sent %d statuses: %s", len(got)-before, got[before:])
	}

	revert(c, plugin, src)
	_, n = waitStatus(t, c, n+1, "back to 2 stale", func(st lsp.Status) bool { return st.Types.Stale == 2 })

	// Regenerate: generating while it runs, fresh after.
	reply := c.Send(101, "workspace/executeCommand", map[string]any{"command": "donkeyls.regenerate", "arguments": []any{root}})
	gen, g := waitStatus(t, c, n+1, "generating", func(st lsp.Status) bool { return st.Types.State == lsp.TypesGenerating })
	if gen.Types.Stale != 2 {
		t.Errorf("while generating: %s; want the 2 stale findings still counted", describeStatus(gen))
	}
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := lsptest.Await(t, reply, "regenerate"); r.Err != nil {
		t.Fatalf("regenerate: %v", r.Err)
	}
	fresh, f := waitStatus(t, c, g+1, "fresh after Regenerate", func(st lsp.Status) bool { return st.Types.State != lsp.TypesGenerating })
	if fresh.Types.State != lsp.TypesFresh || fresh.Types.Stale != 0 || len(fresh.Types.Findings) != 0 {
		t.Errorf("after Regenerate: %s; want fresh with no stale finding (the first status after generating)", describeStatus(fresh))
	}

	// A failing command: failed, with the message the user was shown.
	failing := "echo 'error: Cannot find module \"@donkeylabs/server\"' >&2; exit 3"
	c.Notify("workspace/didChangeConfiguration", map[string]any{"settings": map[string]any{"donkeyls": map[string]any{"typegen": map[string]any{"command": failing, "onSave": "off"}}}})
	_, f = waitStatus(t, c, f+1, "the new command", func(st lsp.Status) bool { return st.Types.Command == failing })
	if err := c.Call("workspace/executeCommand", map[string]any{"command": "donkeyls.regenerate", "arguments": []any{root}}, nil); err != nil {
		t.Fatalf("regenerate: %v", err)
	}
	failed, _ := waitStatus(t, c, f+1, "failed", func(st lsp.Status) bool { return st.Types.State == lsp.TypesFailed })
	m := c.WaitMessage("type generation failed")
	if failed.Types.Failure != m.Message || !strings.Contains(failed.Types.Failure, "status 3") {
		t.Errorf("failed status says %q; the message shown was %q", failed.Types.Failure, m.Message)
	}

	// The whole session sent few statuses: one per change of state.
	if all := c.Statuses(); len(all) > 16 {
		t.Errorf("%d statuses in the session, want one per change:\n%s", len(all), all)
	}
	c.Shutdown()
	srv.wait("exit")
}

// TestStatusOnlyForClientsThatAsk: a client that does not announce
// experimental.donkeylsStatus gets no donkeyls/status.
func TestStatusOnlyForClientsThatAsk(t *testing.T) {
	root, _ := staleShop(t)
	srv := start(t)
	c := srv.client
	c.Initialize(root, lsptest.Capabilities(true), nil)
	plugin := filepath.Join(root, "src/server/plugins/books/index.ts")
	c.Open(plugin)
	c.WaitDiagnostics(plugin, "stale-registry", func(d lsptest.Diagnostics) bool { return lsptest.Has(d, "stale-registry") })
	c.Shutdown()
	srv.wait("exit")
	if got := c.Statuses(); len(got) != 0 {
		t.Errorf("a client that did not ask got %d statuses: %s", len(got), got)
	}
}

// TestDiagnosticDataSaysWhatFixesIt: every diagnostic carries data; a
// staleness finding's says regenerate, a migration's migrate, and a finding
// that only an edit fixes has none.
func TestDiagnosticDataSaysWhatFixesIt(t *testing.T) {
	root, _ := staleShop(t)
	srv := start(t)
	c := srv.client
	c.Initialize(root, lsptest.Capabilities(true), nil)
	plugin := filepath.Join(root, "src/server/plugins/books/index.ts")
	c.Open(plugin)
	var diags []protocol.Diagnostic
	c.Wait("stale-registry, stale-schema and route-direct-db published", func() bool {
		diags = diags[:0]
		codes := map[string]bool{}
		for _, d := range c.LatestAllLocked() {
			for _, x := range d.Diagnostics {
				codes[fmt.Sprint(x.Code)] = true
				diags = append(diags, x)
			}
		}
		return codes["stale-registry"] && codes["stale-schema"] && codes["route-direct-db"]
	})
	want := map[string]string{"stale-registry": `{"fix":"regenerate"}`, "stale-schema": `{"fix":"migrate"}`, "route-direct-db": `{}`}
	for _, x := range diags {
		code := fmt.Sprint(x.Code)
		if w, ok := want[code]; ok {
			if got := dataJSON(t, x); got != w {
				t.Errorf("%s: data %s, want %s", code, got, w)
			}
		}
	}
	c.Shutdown()
	srv.wait("exit")
}

func dataJSON(t *testing.T, d protocol.Diagnostic) string {
	t.Helper()
	if d.Data == nil {
		return "(none)"
	}
	b, err := json.Marshal(d.Data)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestStatusWhileTheSupervisorGenerates: while `donkeyls dev` runs the
// generator itself, the types are generating, and the dev server is
// reported with the supervisor's own state.
func TestStatusWhileTheSupervisorGenerates(t *testing.T) {
	root, _ := staleShop(t)
	sup := &fakeSupervisor{t: t, root: root}
	sup.load()
	ln, err := control.Listen(root, sup)
	if err != nil {
		t.Fatalf("fake supervisor: %v", err)
	}
	defer ln.Close()
	srv := start(t)
	c := srv.client
	c.Initialize(root, statusCaps(), map[string]any{"typegen": map[string]any{"onSave": "off"}})
	_, n := waitStatus(t, c, 0, "stale with the dev server running", func(st lsp.Status) bool {
		return st.Types.State == lsp.TypesStale && st.Dev.State == lsp.DevRunning
	})
	sup.mu.Lock()
	sup.state = control.StateTypegen
	sup.mu.Unlock()
	gen, n := waitStatus(t, c, n+1, "generating", func(st lsp.Status) bool { return st.Types.State == lsp.TypesGenerating })
	if gen.Dev.Supervisor != control.StateTypegen || gen.Dev.State != lsp.DevRunning || gen.Types.Stale != 2 {
		t.Errorf("while the supervisor generates: %s, supervisor %q; want generating with the 2 stale findings, the server still running, the supervisor's state typegen", describeStatus(gen), gen.Dev.Supervisor)
	}
	sup.mu.Lock()
	sup.state = ""
	sup.mu.Unlock()
	waitStatus(t, c, n+1, "stale again once it is done", func(st lsp.Status) bool {
		return st.Types.State == lsp.TypesStale && st.Dev.State == lsp.DevRunning
	})
	c.Shutdown()
	srv.wait("exit")
}
