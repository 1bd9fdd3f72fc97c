// Package e2e tests the donkeyls binary's dev command as a user runs it: the
// real binary, the fixture app (reload/testdata/app) under a real Bun,
// signals from outside, and the language server (the binary too) talking to
// it over the control socket. A package of its own, as lsp/e2e is, so the
// tests can reach the program only as a user does.
package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/donkeyls/donkeyls/internal/fixture"
	"github.com/donkeyls/donkeyls/internal/testenv"
	"github.com/donkeyls/donkeyls/reload/control"
)

const waitLimit = 30 * time.Second

// groupMembers lists the live processes whose process group is pgid.
func groupMembers(pgid int) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		// After the command: state ppid pgrp ...
		f := strings.Fields(s[i+1:])
		if len(f) < 3 || f[0] == "Z" {
			continue
		}
		if g, err := strconv.Atoi(f[2]); err == nil && g == pgid {
			out = append(out, pid)
		}
	}
	return out
}

type devRun struct {
	t    *testing.T
	cmd  *exec.Cmd
	out  *testenv.Output
	root string
	port int
	done chan error
}

// startDev runs `donkeyls dev` on a copy of the fixture. The dev command is
// `bun run dev` (a package.json script), so the server group has a script
// runner and the server below it, as in real projects.
func startDev(t *testing.T, devArgs ...string) *devRun {
	t.Helper()
	return startDevWith(t, nil, devArgs...)
}

// startDevWith is startDev with extra flags for `donkeyls dev` itself.
func startDevWith(t *testing.T, flags []string, devArgs ...string) *devRun {
	t.Helper()
	bin := testenv.Binary(t)
	bun := testenv.Bun(t)
	root := t.TempDir()
	fixture.CopyTree(t, filepath.Join(testenv.RepoRoot(), "reload", "testdata", "app"), root)
	port := testenv.FreePort(t)
	args := append([]string{"dev", "--port", strconv.Itoa(port), "--typegen", "bun scripts/generate.ts"}, flags...)
	args = append(append(args, root, "--"), devArgs...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(),
		"PATH="+filepath.Dir(bun)+string(os.PathListSeparator)+os.Getenv("PATH"),
		"PORT="+strconv.Itoa(port))
	out := &testenv.Output{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &devRun{t: t, cmd: cmd, out: out, root: root, port: port, done: make(chan error, 1)}
	go func() { r.done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		if t.Failed() {
			t.Logf("donkeyls dev output:\n%s", out.String())
		}
	})
	return r
}

// serverPid waits for the dev server to answer and returns the pid the
// supervisor reports, which is also the group id.
func (r *devRun) serverPid() int {
	r.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for time.Now().Before(deadline) {
		c := http.Client{Timeout: time.Second}
		if resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/api.hello", r.port)); err == nil {
			resp.Body.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			cl, err := control.Dial(ctx, r.root)
			if err == nil {
				st, err := cl.Status(ctx)
				cl.Close()
				cancel()
				if err == nil && st.State == control.StateRunning {
					return st.Pid
				}
			} else {
				cancel()
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.t.Fatalf("the dev server never answered on port %d within %s", r.port, waitLimit)
	return 0
}

func (r *devRun) waitExit() error {
	r.t.Helper()
	select {
	case err := <-r.done:
		return err
	case <-time.After(waitLimit):
		r.t.Fatalf("donkeyls dev did not exit within %s", waitLimit)
	}
	return nil
}

func waitGroupGone(t *testing.T, pgid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		left := groupMembers(pgid)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes of the server group %d still alive 10s after donkeyls dev ended: %v", pgid, left)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestSignalsLeaveNoOrphans(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			r := startDev(t, "bun", "run", "dev")
			pgid := r.serverPid()
			if n := len(groupMembers(pgid)); n < 2 {
				t.Fatalf("expected the script runner and the server in group %d, found %d process(es)", pgid, n)
			}
			if err := r.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			err := r.waitExit()
			if sig != syscall.SIGKILL && err != nil {
				t.Errorf("donkeyls dev exited with %v after %s, want exit 0", err, sig)
			}
			waitGroupGone(t, pgid)
			if sig == syscall.SIGKILL {
				return
			}
			if _, err := os.Lstat(control.SocketPath(r.root)); err == nil {
				t.Errorf("the control socket outlived donkeyls dev after %s", sig)
			}
			if !strings.Contains(r.out.String(), "stopped pid") {
				t.Errorf("no stop message after %s", sig)
			}
		})
	}
}

func TestStaleSocketAfterACrashIsReplaced(t *testing.T) {
	r := startDev(t, "bun", "run", "src/server/index.ts")
	pgid := r.serverPid()
	r.cmd.Process.Signal(syscall.SIGKILL)
	r.waitExit()
	waitGroupGone(t, pgid)
	if _, err := os.Lstat(control.SocketPath(r.root)); err != nil {
		t.Fatalf("SIGKILL should leave the socket behind for this test: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := control.Dial(ctx, r.root); err == nil {
		t.Fatal("Dial succeeded on a dead supervisor's socket")
	}

	// A new run in the same project takes over.
	bin := testenv.Binary(t)
	bun := testenv.Bun(t)
	port := testenv.FreePort(t)
	cmd := exec.Command(bin, "dev", "--port", strconv.Itoa(port), r.root, "--", bun, "run", "src/server/index.ts")
	cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port))
	out := &testenv.Output{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r2 := &devRun{t: t, cmd: cmd, out: out, root: r.root, port: port, done: make(chan error, 1)}
	go func() { r2.done <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	pgid2 := r2.serverPid()
	cmd.Process.Signal(syscall.SIGTERM)
	if err := r2.waitExit(); err != nil {
		t.Errorf("second donkeyls dev: %v\n%s", err, out.String())
	}
	waitGroupGone(t, pgid2)
}

func TestSecondSupervisorIsRefused(t *testing.T) {
	r := startDev(t, "bun", "run", "src/server/index.ts")
	r.serverPid()
	bin := testenv.Binary(t)
	second := exec.Command(bin, "dev", r.root, "--", "true")
	out, err := second.CombinedOutput()
	if err == nil {
		t.Fatalf("a second donkeyls dev on the same project started:\n%s", out)
	}
	if !strings.Contains(string(out), "already running") {
		t.Errorf("the refusal does not say why:\n%s", out)
	}
	r.cmd.Process.Signal(syscall.SIGINT)
	r.waitExit()
}

func TestUsageErrors(t *testing.T) {
	bin := testenv.Binary(t)
	empty := t.TempDir()
	out, err := exec.Command(bin, "dev", empty).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
		t.Errorf("dev on a directory without a project: %v, want exit 2\n%s", err, out)
	}
	if !strings.Contains(string(out), "no donkeylabs project") {
		t.Errorf("unhelpful message:\n%s", out)
	}
	out, err = exec.Command(bin, "dev", "--grace", "soon").CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
		t.Errorf("bad --grace: %v, want exit 2\n%s", err, out)
	}
}
