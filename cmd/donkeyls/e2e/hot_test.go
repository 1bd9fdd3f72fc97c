package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/donkeyls/donkeyls/reload/control"
)

func (r *devRun) status() control.Status {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cl, err := control.Dial(ctx, r.root)
	if err != nil {
		r.t.Fatal(err)
	}
	defer cl.Close()
	st, err := cl.Status(ctx)
	if err != nil {
		r.t.Fatal(err)
	}
	return st
}

// greeting waits for api.hello to answer with want in its greeting and
// returns the pid that answered.
func (r *devRun) greeting(want string) int {
	r.t.Helper()
	deadline := time.Now().Add(waitLimit)
	var last string
	for time.Now().Before(deadline) {
		c := http.Client{Timeout: time.Second}
		if resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/api.hello", r.port)); err == nil {
			var h struct {
				Pid      int    `json:"pid"`
				Greeting string `json:"greeting"`
			}
			json.NewDecoder(resp.Body).Decode(&h)
			resp.Body.Close()
			if strings.Contains(h.Greeting, want) {
				return h.Pid
			}
			last = h.Greeting
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.t.Fatalf("no answer with %q within %s (last %q)", want, waitLimit, last)
	return 0
}

func (r *devRun) edit(rel, old, new string) {
	r.t.Helper()
	path := filepath.Join(r.root, rel)
	b, err := os.ReadFile(path)
	if err != nil || !bytes.Contains(b, []byte(old)) {
		r.t.Fatalf("%s does not contain %q (%v)", rel, old, err)
	}
	if err := os.WriteFile(path, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

// The binary's default: a service edit under `bun <entry>` is applied in
// the running server; SIGINT then leaves nothing behind, the preload's
// socket included.
func TestDevHotPluginsByDefault(t *testing.T) {
	r := startDev(t, "bun", "run", "src/server/index.ts")
	pid := r.serverPid()
	deadline := time.Now().Add(waitLimit)
	for r.status().HotPlugins != "on" {
		if time.Now().After(deadline) {
			t.Fatalf("hot plugins never on: %+v", r.status())
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.edit("src/server/plugins/greeter/index.ts", "(service v1)", "(service v2)")
	if got := r.greeting("(service v2)"); got != pid {
		t.Errorf("service v2 answered by pid %d, want the running %d", got, pid)
	}
	if err := r.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := r.waitExit(); err != nil {
		t.Errorf("donkeyls dev exited with %v", err)
	}
	waitGroupGone(t, pid)
	if _, err := os.Lstat(filepath.Join(r.root, control.Dir, "hot.sock")); err == nil {
		t.Errorf("the hot plugin socket outlived donkeyls dev")
	}
}

func TestDevNoHotPluginsRestarts(t *testing.T) {
	r := startDevWith(t, []string{"--no-hot-plugins"}, "bun", "run", "src/server/index.ts")
	pid := r.serverPid()
	if st := r.status(); st.HotPlugins != "" {
		t.Errorf("status hotPlugins %q with --no-hot-plugins", st.HotPlugins)
	}
	r.edit("src/server/plugins/greeter/index.ts", "(service v1)", "(service v2)")
	if got := r.greeting("(service v2)"); got == pid {
		t.Errorf("service v2 answered by the first pid %d: applied in place despite --no-hot-plugins", pid)
	}
	if _, err := os.Lstat(filepath.Join(r.root, control.Dir, "hotplugin-preload.ts")); err == nil {
		t.Errorf("the preload was written despite --no-hot-plugins")
	}
}
