package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSupervisor records what the socket asked of it.
type fakeSupervisor struct {
	mu       sync.Mutex
	status   Status
	restarts []string
	regens   int
	regenErr error
	block    chan struct{} // when set, Restart waits for it
}

func (f *fakeSupervisor) Status() Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.status
}

func (f *fakeSupervisor) Restart(ctx context.Context, reason string) error {
	if f.block != nil {
		select {
		case <-f.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.restarts = append(f.restarts, reason)
	f.status.Pid++
	f.status.LastRestartReason = reason
	return nil
}

func (f *fakeSupervisor) Regenerate(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.regens++
	return f.regenErr
}

func listen(t *testing.T, root string, h Handler) *Server {
	t.Helper()
	s, err := Listen(root, h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func dial(t *testing.T, root string) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func ctx5(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestStatusRestartRegenerate(t *testing.T) {
	root := t.TempDir()
	plugin := filepath.Join(root, "src/server/plugins/users/index.ts")
	started := time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)
	f := &fakeSupervisor{status: Status{
		Pid: 4242, StartedAt: started, State: StateRunning, LastRestartReason: "initial start",
		Loaded: map[string]string{plugin: FormatHash(0xdeadbeef)},
	}}
	s := listen(t, root, f)

	dirInfo, err := os.Stat(filepath.Join(root, Dir))
	if err != nil {
		t.Fatal(err)
	}
	if dirInfo.Mode().Perm() != 0o700 {
		t.Errorf(".donkeyls mode %v, want 0700", dirInfo.Mode().Perm())
	}
	sockInfo, err := os.Lstat(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if sockInfo.Mode()&os.ModeSocket == 0 || sockInfo.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, want a socket with 0600", sockInfo.Mode())
	}

	c := dial(t, root)
	st, err := c.Status(ctx5(t))
	if err != nil {
		t.Fatal(err)
	}
	if st.Pid != 4242 || st.State != StateRunning || !st.StartedAt.Equal(started) || st.LastRestartReason != "initial start" {
		t.Errorf("status = %+v", st)
	}
	if h, ok := st.LoadedHash(plugin); !ok || h != 0xdeadbeef {
		t.Errorf("LoadedHash(plugin) = %x, %v; want deadbeef", h, ok)
	}
	if _, ok := st.LoadedHash(filepath.Join(root, "other.ts")); ok {
		t.Error("LoadedHash reports a file the server never loaded")
	}

	if err := c.Restart(ctx5(t), "users plugin service changed"); err != nil {
		t.Fatal(err)
	}
	if err := c.Restart(ctx5(t), ""); err != nil {
		t.Fatal(err)
	}
	st, err = c.Status(ctx5(t))
	if err != nil {
		t.Fatal(err)
	}
	if st.Pid != 4244 || len(f.restarts) != 2 || f.restarts[0] != "users plugin service changed" || f.restarts[1] == "" {
		t.Errorf("after two restarts: pid %d, reasons %q", st.Pid, f.restarts)
	}

	if err := c.Regenerate(ctx5(t)); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.regenErr = errors.New("typegen command \"bun run gen:types\" failed: exit status 1")
	f.mu.Unlock()
	err = c.Regenerate(ctx5(t))
	if err == nil || !strings.Contains(err.Error(), "exit status 1") {
		t.Errorf("failed regenerate returned %v, want the typegen failure", err)
	}
	if f.regens != 2 {
		t.Errorf("regenerate ran %d times, want 2", f.regens)
	}
}

func TestNoSupervisor(t *testing.T) {
	root := t.TempDir()
	_, err := Dial(ctx5(t), root)
	if !errors.Is(err, ErrNoSupervisor) {
		t.Fatalf("Dial without a supervisor = %v, want ErrNoSupervisor", err)
	}
	if !strings.Contains(err.Error(), "donkeyls dev") {
		t.Errorf("error %q does not say how to start a supervisor", err)
	}
}

// staleSocket leaves a socket file nobody listens on, as a crashed
// supervisor does.
func staleSocket(t *testing.T, root string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(root, Dir), 0o700); err != nil {
		t.Fatal(err)
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: SocketPath(root), Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	if _, err := os.Lstat(SocketPath(root)); err != nil {
		t.Fatalf("stale socket was not left behind: %v", err)
	}
}

func TestStaleSocketIsDetectedAndReplaced(t *testing.T) {
	root := t.TempDir()
	staleSocket(t, root)
	if _, err := Dial(ctx5(t), root); !errors.Is(err, ErrNoSupervisor) {
		t.Fatalf("Dial on a stale socket = %v, want ErrNoSupervisor", err)
	}
	listen(t, root, &fakeSupervisor{status: Status{Pid: 7, State: StateRunning}})
	st, err := dial(t, root).Status(ctx5(t))
	if err != nil || st.Pid != 7 {
		t.Fatalf("after replacing the stale socket: %+v, %v", st, err)
	}
}

func TestSecondSupervisorIsRefused(t *testing.T) {
	root := t.TempDir()
	listen(t, root, &fakeSupervisor{status: Status{Pid: 1}})
	_, err := Listen(root, &fakeSupervisor{})
	if !errors.Is(err, ErrAlreadyRunning) {
		t.Fatalf("second Listen = %v, want ErrAlreadyRunning", err)
	}
	// The first one still answers.
	if _, err := dial(t, root).Status(ctx5(t)); err != nil {
		t.Fatalf("first supervisor stopped answering: %v", err)
	}
}

func TestNonSocketFileIsLeftAlone(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, Dir), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(SocketPath(root), []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Listen(root, &fakeSupervisor{}); err == nil {
		t.Fatal("Listen replaced a regular file")
	}
	if b, _ := os.ReadFile(SocketPath(root)); string(b) != "mine" {
		t.Fatal("the user's file was changed")
	}
}

func TestLongProjectPath(t *testing.T) {
	root := filepath.Join(t.TempDir(), strings.Repeat("a-rather-long-directory-name/", 5))
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	if len(SocketPath(root)) <= 108 {
		t.Fatalf("test path too short to exercise the limit: %d", len(SocketPath(root)))
	}
	s := listen(t, root, &fakeSupervisor{status: Status{Pid: 99}})
	st, err := dial(t, root).Status(ctx5(t))
	if err != nil || st.Pid != 99 {
		t.Fatalf("status over a long socket path: %+v, %v", st, err)
	}
	s.Close()
	if _, err := os.Lstat(SocketPath(root)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket still exists after Close: %v", err)
	}
}

func TestCloseRemovesSocketAndEndsClients(t *testing.T) {
	root := t.TempDir()
	s := listen(t, root, &fakeSupervisor{})
	c := dial(t, root)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(SocketPath(root)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket still exists after Close: %v", err)
	}
	if _, err := c.Status(ctx5(t)); !errors.Is(err, ErrNoSupervisor) {
		t.Errorf("status after the supervisor stopped = %v, want ErrNoSupervisor", err)
	}
	if _, err := Dial(ctx5(t), root); !errors.Is(err, ErrNoSupervisor) {
		t.Errorf("Dial after Close = %v, want ErrNoSupervisor", err)
	}
}

func TestCancelledRequestReturnsPromptly(t *testing.T) {
	root := t.TempDir()
	f := &fakeSupervisor{block: make(chan struct{})}
	listen(t, root, f)
	c := dial(t, root)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- c.Restart(ctx, "x") }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled Restart = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Restart did not return after cancel")
	}
	close(f.block)
	// The abandoned connection is not reused for a mismatched answer.
	if _, err := c.Status(ctx5(t)); err == nil {
		t.Error("a connection with an abandoned request answered the next one")
	}
	if _, err := dial(t, root).Status(ctx5(t)); err != nil {
		t.Errorf("a new connection does not work: %v", err)
	}
}

func TestProtocolOnTheWire(t *testing.T) {
	root := t.TempDir()
	listen(t, root, &fakeSupervisor{status: Status{Pid: 5, State: StateCrashed, Loaded: map[string]string{}}})
	conn, err := net.Dial("unix", SocketPath(root))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(conn)
	roundTrip := func(line string) map[string]any {
		t.Helper()
		if _, err := conn.Write([]byte(line + "\n")); err != nil {
			t.Fatal(err)
		}
		b, err := r.ReadBytes('\n')
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("response %q is not JSON: %v", b, err)
		}
		return m
	}
	m := roundTrip(`not json`)
	if m["ok"] != false || m["error"] == nil {
		t.Errorf("bad request answered %v", m)
	}
	m = roundTrip(`{"op":"launch"}`)
	if m["ok"] != false || !strings.Contains(m["error"].(string), "unknown op") {
		t.Errorf("unknown op answered %v", m)
	}
	m = roundTrip(`{"op":"status"}`)
	if m["ok"] != true || m["pid"] != float64(5) || m["state"] != "crashed" {
		t.Errorf("status answered %v", m)
	}
	if _, ok := m["startedAt"]; ok {
		t.Errorf("status of a server that never started has startedAt: %v", m)
	}
	if _, ok := m["loaded"].(map[string]any); !ok {
		t.Errorf("status lacks the loaded map: %v", m)
	}
}

// TestRefusesSymlinkedDir: a repository can ship .donkeyls as a symlink.
// Following it would chmod its target and put the socket there.
func TestRefusesSymlinkedDir(t *testing.T) {
	root := t.TempDir()
	target := t.TempDir()
	if err := os.Chmod(target, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, filepath.Join(root, Dir)); err != nil {
		t.Fatal(err)
	}
	s, err := Listen(root, &fakeSupervisor{})
	if err == nil {
		s.Close()
		t.Fatal("Listen followed a symlinked .donkeyls")
	}
	if !strings.Contains(err.Error(), "symlink") {
		t.Errorf("error does not say why: %v", err)
	}
	st, err := os.Stat(target)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o755 {
		t.Errorf("the symlink's target was chmod'ed to %v", st.Mode().Perm())
	}
	if _, err := os.Lstat(filepath.Join(target, SocketName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a socket was created in the symlink's target: %v", err)
	}
}

// TestRefusesForeignDir: a .donkeyls owned by someone else could be
// swapped or read by them; it is refused with the owner named. Tests do not
// run as two users, so the expected owner is what differs.
func TestRefusesForeignDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), Dir)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	err := ensureDir(dir, os.Getuid()+1)
	if err == nil || !strings.Contains(err.Error(), "owned by uid") {
		t.Fatalf("a foreign-owned directory was accepted: %v", err)
	}
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o755 {
		t.Errorf("a foreign-owned directory was chmod'ed to %v", st.Mode().Perm())
	}
	if err := ensureDir(dir, os.Getuid()); err != nil {
		t.Fatalf("our own directory: %v", err)
	}
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o700 {
		t.Errorf("our directory is %v, want 0700", st.Mode().Perm())
	}
	file := filepath.Join(t.TempDir(), Dir)
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := ensureDir(file, os.Getuid()); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("a file called .donkeyls: %v", err)
	}
}

// TestListenRefusesForeignDir is the same through Listen, where the test
// can hand the directory to another user (it runs as root in CI).
func TestListenRefusesForeignDir(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("handing a directory to another user needs root; TestRefusesForeignDir covers the check")
	}
	root := t.TempDir()
	dir := filepath.Join(root, Dir)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	s, err := Listen(root, &fakeSupervisor{})
	if err == nil {
		s.Close()
		t.Fatal("Listen used a .donkeyls owned by another user")
	}
	if !strings.Contains(err.Error(), "owned by uid 65534") {
		t.Errorf("error does not say why: %v", err)
	}
}
