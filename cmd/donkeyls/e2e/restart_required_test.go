package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/donkeyls/donkeyls/internal/testenv"
	"github.com/donkeyls/donkeyls/lsp/lsptest"
	"github.com/donkeyls/donkeyls/lsp/text"
)

// TestRestartRequiredWithRealSupervisor: `donkeyls dev` runs the fixture app
// under a real Bun; the language server (the real binary too) learns over
// the control socket what code that server loaded. A saved edit to a
// plugin's service method that the supervisor has not acted on yet (it is
// told to wait, as it does between a save and its decision) is published as
// restart-required; the quick fix restarts the server through the
// supervisor, the new server answers with the new code, and the diagnostic
// clears.
func TestRestartRequiredWithRealSupervisor(t *testing.T) {
	bun := testenv.Bun(t)
	r := startDevWith(t, []string{"--debounce", "10m"}, bun, "run", "src/server/index.ts")
	before := r.serverPid()
	if got := r.greet(); !strings.Contains(got, "service v1") {
		t.Fatalf("the first server greets %q, want service v1", got)
	}

	c := startServe(t)
	c.Initialize(r.root, lsptest.Capabilities(true), map[string]any{"trusted": true, "typegen": map[string]any{"onSave": "off"}})
	plugin := filepath.Join(r.root, "src/server/plugins/greeter/index.ts")
	src := c.Open(plugin)
	c.WaitDiagnostics(plugin, "the first publish", func(d lsptest.Diagnostics) bool { return d.Version != nil })

	edited := strings.Replace(src, "(service v1)", "(service v2)", 1)
	if edited == src {
		t.Fatal("fixture moved: no service v1 in the greeter plugin")
	}
	c.Replace(plugin, edited)
	c.Save(plugin, edited)
	d := c.WaitDiagnostics(plugin, "restart-required after the save", func(d lsptest.Diagnostics) bool { return lsptest.Has(d, "restart-required") })

	var diag json.RawMessage
	for _, x := range d.Diagnostics {
		if x.Code == "restart-required" {
			if !strings.Contains(x.Message, "greeter") {
				t.Errorf("restart-required message %q does not name the plugin", x.Message)
			}
			diag, _ = json.Marshal(x)
		}
	}
	var actions []struct {
		Title   string `json:"title"`
		Command *struct {
			Command   string `json:"command"`
			Arguments []any  `json:"arguments"`
		} `json:"command"`
	}
	var rng struct {
		Range any `json:"range"`
	}
	json.Unmarshal(diag, &rng)
	if err := c.Call("textDocument/codeAction", map[string]any{
		"textDocument": map[string]any{"uri": text.FileURI(plugin)},
		"range":        rng.Range,
		"context":      map[string]any{"diagnostics": []json.RawMessage{diag}},
	}, &actions); err != nil {
		t.Fatal(err)
	}
	var args []any
	found := false
	for _, a := range actions {
		if a.Command != nil && a.Command.Command == "donkeyls.restart" {
			found, args = true, a.Command.Arguments
		}
	}
	if !found {
		t.Fatalf("no donkeyls.restart action for restart-required among %+v", actions)
	}
	if err := c.Call("workspace/executeCommand", map[string]any{"command": "donkeyls.restart", "arguments": args}, nil); err != nil {
		t.Fatalf("restart: %v", err)
	}

	deadline := time.Now().Add(waitLimit)
	for !strings.Contains(r.greet(), "service v2") {
		if time.Now().After(deadline) {
			t.Fatalf("the restarted server still greets %q", r.greet())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if after := r.serverPid(); after == before {
		t.Errorf("the server kept pid %d: it was not restarted", before)
	}
	c.WaitDiagnostics(plugin, "restart-required cleared after the restart", func(d lsptest.Diagnostics) bool { return !lsptest.Has(d, "restart-required") })
	c.Shutdown()
}

// greet asks the fixture's greeter route, "" when the server does not answer.
func (r *devRun) greet() string {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/api.hello", r.port))
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// startServe runs `donkeyls serve` over pipes and returns a test client.
func startServe(t *testing.T) *lsptest.Client {
	t.Helper()
	cmd := exec.Command(testenv.Binary(t), "serve", "--log", filepath.Join(t.TempDir(), "serve.log"))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		stdin.Close()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	return lsptest.New(t, stdout, stdin)
}
