// Package e2e drives the real donkeyls binary over a pipe, as an editor does.
package e2e

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/donkeyls/donkeyls/internal/fixture"
	"github.com/donkeyls/donkeyls/internal/testenv"
	"github.com/donkeyls/donkeyls/lsp/lsptest"
)

// server is one running donkeyls serve process.
type server struct {
	t       *testing.T
	cmd     *exec.Cmd
	client  *lsptest.Client
	logPath string
	stderr  *bytes.Buffer
	stdout  io.ReadCloser // the read end of the server's stdout
	exited  chan struct{}
	err     error
}

// start runs `donkeyls serve --log FILE` with its stdio on pipes.
func start(t *testing.T) *server {
	t.Helper()
	return startEnv(t, nil)
}

// startEnv is start with extra environment variables.
func startEnv(t *testing.T, env []string) *server {
	t.Helper()
	return startWith(t, startOptions{env: env})
}

// startOptions are the less common ways to start the server.
type startOptions struct {
	env  []string // extra environment variables
	args []string // extra arguments after `serve --log FILE`
	// keepStdin leaves the server's stdin open when the client stops
	// reading (the client normally closes both ends).
	keepStdin bool
}

// startWith is start with options.
func startWith(t *testing.T, opts startOptions) *server {
	t.Helper()
	bin := testenv.Binary(t)
	logPath := filepath.Join(t.TempDir(), "donkeyls.log")
	cmd := exec.Command(bin, append([]string{"serve", "--log", logPath}, opts.args...)...)
	if opts.env != nil {
		cmd.Env = append(os.Environ(), opts.env...)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, cmd: cmd, logPath: logPath, stderr: &bytes.Buffer{}, stdout: stdout, exited: make(chan struct{})}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting donkeyls: %v", err)
	}
	go func() {
		s.err = cmd.Wait()
		close(s.exited)
	}()
	var w io.WriteCloser = stdin
	if opts.keepStdin {
		w = nopCloser{stdin}
	}
	s.client = lsptest.New(t, stdout, w)
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			_ = cmd.Process.Kill()
			<-s.exited
		}
		if g := s.client.Garbage(); len(g) > 0 {
			t.Errorf("the server wrote something other than protocol to stdout: %q", g)
		}
		if t.Failed() {
			s.dumpLog()
		}
	})
	return s
}

func (s *server) dumpLog() {
	b, _ := os.ReadFile(s.logPath)
	lines := strings.Split(string(b), "\n")
	if len(lines) > 80 {
		lines = lines[len(lines)-80:]
	}
	s.t.Logf("donkeyls log (tail):\n%s\nstderr:\n%s", strings.Join(lines, "\n"), s.stderr.String())
}

// wait waits for the process to exit and returns its exit code.
func (s *server) wait(what string) int {
	s.t.Helper()
	select {
	case <-s.exited:
	case <-time.After(15 * time.Second):
		s.t.Fatalf("donkeyls did not exit within 15s after %s", what)
	}
	if s.err == nil {
		return 0
	}
	if ee, ok := s.err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	s.t.Fatalf("donkeyls: %v", s.err)
	return -1
}

// staleShop writes the shop-stale fixture (two generated outputs stale)
// and returns its root and a typegen command that rewrites those outputs
// the way `donkeylabs generate` does.
func staleShop(t *testing.T) (root, regen string) {
	t.Helper()
	root = fixture.Project(t, "shop-stale")
	return root, fixture.RegenerateScript(t, "shop-stale", root)
}

// alive reports whether a process exists (and is not a zombie we own).
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// Field 3 is the state; Z is a zombie, already dead.
	if i := bytes.LastIndexByte(b, ')'); i >= 0 && i+2 < len(b) {
		return b[i+2] != 'Z'
	}
	return true
}

func readLog(t *testing.T, s *server) string {
	t.Helper()
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		t.Fatalf("reading the server log: %v", err)
	}
	return string(b)
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// rawJSON embeds JSON bytes as they are.
type rawJSON []byte

func (r rawJSON) MarshalJSON() ([]byte, error) { return r, nil }
