package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/donkeyls/donkeyls/lsp/lsptest"
	"github.com/donkeyls/donkeyls/lsp/rpc"
)

// slowTypegen is a typegen command that records the pid of a long sleep
// (the grandchild that must not outlive anything) and waits for it.
func slowTypegen(t *testing.T) (cmd, pidFile string) {
	pidFile = filepath.Join(t.TempDir(), "sleep.pid")
	return fmt.Sprintf("echo generating; sleep 60 & echo $! > %s; wait", pidFile), pidFile
}

func waitPid(t *testing.T, pidFile string) int {
	t.Helper()
	deadline := time.Now().Add(lsptest.Timeout)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(pidFile); err == nil && strings.HasSuffix(string(b), "\n") {
			pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err == nil {
				return pid
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the typegen command never started (no %s)", pidFile)
	return 0
}

func waitGone(t *testing.T, pid int, what string) {
	t.Helper()
	deadline := time.Now().Add(lsptest.Timeout)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d (%s) still alive %s later", pid, what, lsptest.Timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestCancelSlowRequest cancels a regenerate whose command runs for a
// minute, once by a numeric id and once by a string id: each answers
// RequestCancelled and its process group is gone.
func TestCancelSlowRequest(t *testing.T) {
	root, _ := staleShop(t)
	srv := start(t)
	c := srv.client
	cmd, pidFile := slowTypegen(t)
	c.Initialize(root, lsptest.Capabilities(true), map[string]any{"trusted": true, "typegen": map[string]any{"command": cmd}})
	for _, id := range []any{int32(1 << 30), "regen-by-string"} {
		_ = os.Remove(pidFile)
		reply := c.Send(id, "workspace/executeCommand", map[string]any{"command": "donkeyls.regenerate", "arguments": []any{root}})
		pid := waitPid(t, pidFile)
		c.Notify("$/cancelRequest", map[string]any{"id": id})
		r := lsptest.Await(t, reply, fmt.Sprintf("the cancelled regenerate (id %v)", id))
		if lsptest.ErrCode(r.Err) != int(rpc.CodeRequestCancelled) {
			t.Errorf("id %v: reply %v / %s, want RequestCancelled (-32800)", id, r.Err, r.Result)
		}
		waitGone(t, pid, "the cancelled typegen's sleep")
	}
	c.Shutdown()
	srv.wait("exit")
}

// TestCancelFromProgress cancels a run from the progress UI
// (window/workDoneProgress/cancel), as VS Code's notification button does.
func TestCancelFromProgress(t *testing.T) {
	root, _ := staleShop(t)
	srv := start(t)
	c := srv.client
	cmd, pidFile := slowTypegen(t)
	c.Initialize(root, lsptest.Capabilities(true), map[string]any{"trusted": true, "typegen": map[string]any{"command": cmd}})
	reply := c.Send("regen", "workspace/executeCommand", map[string]any{"command": "donkeyls.regenerate", "arguments": []any{root}})
	pid := waitPid(t, pidFile)
	var token []byte
	c.Wait("a cancellable regenerate progress", func() bool {
		for _, p := range c.ProgressEventsLocked() {
			if p.Value.Kind == "begin" && p.Value.Cancellable {
				token = p.Token
				return true
			}
		}
		return false
	})
	c.Notify("window/workDoneProgress/cancel", map[string]any{"token": rawJSON(token)})
	r := lsptest.Await(t, reply, "the regenerate cancelled from its progress")
	if r.Err == nil {
		t.Errorf("regenerate cancelled from progress returned %s, want an error", r.Result)
	}
	waitGone(t, pid, "the cancelled typegen's sleep")
	c.Wait("the progress to end", func() bool {
		ps := c.ProgressEventsLocked()
		return len(ps) > 0 && ps[len(ps)-1].Value.Kind == "end" && ps[len(ps)-1].Value.Message == "cancelled"
	})
	c.Shutdown()
	srv.wait("exit")
}

// TestExitWithoutShutdownLeavesNoChild sends exit while a typegen runs and
// no shutdown came first: the server exits with 1 and takes the whole
// process group with it.
func TestExitWithoutShutdownLeavesNoChild(t *testing.T) {
	root, _ := staleShop(t)
	srv := start(t)
	c := srv.client
	cmd, pidFile := slowTypegen(t)
	c.Initialize(root, lsptest.Capabilities(true), map[string]any{"trusted": true, "typegen": map[string]any{"command": cmd}})
	c.Send("regen", "workspace/executeCommand", map[string]any{"command": "donkeyls.regenerate", "arguments": []any{root}})
	pid := waitPid(t, pidFile)
	c.Notify("exit", nil)
	if code := srv.wait("exit without shutdown"); code != 1 {
		t.Errorf("exit code %d, want 1 (exit without shutdown)", code)
	}
	waitGone(t, pid, "typegen's sleep after the server exited")
}

// TestClosedInputLeavesNoChild closes the server's stdin while a typegen
// runs, as an editor that crashed does.
func TestClosedInputLeavesNoChild(t *testing.T) {
	root, _ := staleShop(t)
	srv := start(t)
	c := srv.client
	cmd, pidFile := slowTypegen(t)
	c.Initialize(root, lsptest.Capabilities(true), map[string]any{"trusted": true, "typegen": map[string]any{"command": cmd}})
	c.Send("regen", "workspace/executeCommand", map[string]any{"command": "donkeyls.regenerate", "arguments": []any{root}})
	pid := waitPid(t, pidFile)
	_ = c.Conn().Close()
	if code := srv.wait("stdin closed"); code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	waitGone(t, pid, "typegen's sleep after the editor went away")
}
