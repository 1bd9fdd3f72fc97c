// Package procgroup starts a command as the leader of its own process group
// and stops the whole group, so nothing the command spawned outlives it.
//
// When the leader exits, whatever is left of its group is killed before the
// leader is reaped: while the leader is an unreaped zombie its pid (and so the
// group id) cannot be reused, which makes signalling the group safe.
//
// Even SIGKILL of donkeyls itself must not orphan the group, and nothing in
// a dying process can react to that. So every group gets a watchdog: a tiny
// shell, outside the group, blocked reading a pipe only we hold open. When we
// die the kernel closes the pipe, and the watchdog kills the group. The pipe
// and the shell are plain POSIX, so this holds on macOS as on Linux.
//
// Seeing the leader exit without reaping it is the one OS-specific part:
// waitid(WNOWAIT) on Linux, a kqueue NOTE_EXIT on macOS and the BSDs.
package procgroup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Cmd describes what to start.
type Cmd struct {
	Path string
	Args []string // without the program name
	Dir  string
	Env  []string // nil inherits the environment
	// Output receives stdout and stderr. When both should be combined in
	// order, pass one writer: a single pipe then carries both.
	Stdout io.Writer
	Stderr io.Writer
}

// Process is a started process group.
type Process struct {
	cmd     *exec.Cmd
	pid     int
	started time.Time
	done    chan struct{}

	watchdog *exec.Cmd
	lifeline *os.File // the watchdog's stdin; closing it fires the watchdog

	mu      sync.Mutex
	reaping bool // the leader is about to be reaped: its pid may be reused afterwards
	err     error
	state   *exitState
}

type exitState struct {
	code   int // -1 when killed by a signal
	signal syscall.Signal
}

// Start starts c in a new process group.
func Start(c Cmd) (*Process, error) {
	cmd := exec.Command(c.Path, c.Args...)
	cmd.Dir = c.Dir
	cmd.Env = c.Env
	cmd.Stdout = c.Stdout
	cmd.Stderr = c.Stderr
	// No Pdeathsig: it fires when the OS thread that forked exits, which
	// the Go runtime may do at any time; the watchdog covers our death.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// A grandchild that left the group (setsid) may still hold the output
	// pipe; do not let it block Wait forever.
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", c.Path, err)
	}
	p := &Process{cmd: cmd, pid: cmd.Process.Pid, started: time.Now(), done: make(chan struct{})}
	p.watchdog, p.lifeline = startWatchdog(p.pid)
	go p.wait()
	return p, nil
}

// startWatchdog starts the process that kills group pgid once we are gone.
// Without one (no /bin/sh) the group is still stopped on every path but our
// own SIGKILL.
func startWatchdog(pgid int) (*exec.Cmd, *os.File) {
	r, w, err := os.Pipe() // close-on-exec: no other child inherits w
	if err != nil {
		return nil, nil
	}
	dog := exec.Command("/bin/sh", "-c", "read -r _; kill -s KILL -- -"+strconv.Itoa(pgid)+" 2>/dev/null")
	dog.Stdin = r
	dog.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = dog.Start()
	r.Close()
	if err != nil {
		w.Close()
		return nil, nil
	}
	return dog, w
}

func (p *Process) wait() {
	defer close(p.done)
	if err := waitExitedUnreaped(p.pid); err != nil {
		// The leader's exit cannot be seen without reaping it (no kqueue
		// left, say): reap first, then kill what is left. Members left in
		// the group keep its id from being reused, so only an empty group
		// risks a stray signal.
		p.reap()
		_ = syscall.Kill(-p.pid, syscall.SIGKILL)
		p.stopWatchdog()
		return
	}
	p.mu.Lock()
	_ = syscall.Kill(-p.pid, syscall.SIGKILL)
	p.reaping = true
	p.mu.Unlock()
	// The watchdog goes before the leader is reaped, so it can never signal
	// a reused group id.
	p.stopWatchdog()
	p.reap()
}

func (p *Process) stopWatchdog() {
	if p.watchdog != nil {
		_ = p.watchdog.Process.Kill()
		_ = p.watchdog.Wait()
		p.lifeline.Close()
	}
}

// reap waits for the leader and records how it ended.
func (p *Process) reap() {
	err := p.cmd.Wait()
	st := &exitState{code: -1}
	if ps := p.cmd.ProcessState; ps != nil {
		st.code = ps.ExitCode()
		if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			st.signal = ws.Signal()
		}
	}
	p.mu.Lock()
	p.reaping = true
	p.err = err
	p.state = st
	p.mu.Unlock()
}

// Pid is the leader's process id, which is also the group id.
func (p *Process) Pid() int { return p.pid }

// StartedAt is when the process was started.
func (p *Process) StartedAt() time.Time { return p.started }

// Done is closed once the leader has exited, the rest of its group has been
// killed and the leader has been reaped.
func (p *Process) Done() <-chan struct{} { return p.done }

// Err is what Wait returned: nil for exit 0, an *exec.ExitError otherwise.
// Valid after Done.
func (p *Process) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// ExitCode is the leader's exit code, -1 when it was killed by a signal or
// has not exited. Valid after Done.
func (p *Process) ExitCode() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state == nil {
		return -1
	}
	return p.state.code
}

// ExitDescription says how the leader ended, for a log line: "exit code 1",
// "killed by signal terminated".
func (p *Process) ExitDescription() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.state == nil:
		return "still running"
	case p.state.signal != 0:
		return "killed by signal " + p.state.signal.String()
	default:
		return fmt.Sprintf("exit code %d", p.state.code)
	}
}

// Signal sends sig to the whole group. It does nothing once the leader has
// been reaped, because the group id may then belong to someone else.
func (p *Process) Signal(sig syscall.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.reaping {
		return nil
	}
	if err := syscall.Kill(-p.pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signalling process group %d: %w", p.pid, err)
	}
	return nil
}

// Stop sends SIGTERM to the group, then SIGKILL after grace, and returns
// once the leader has been reaped. Cancelling ctx skips the rest of the grace
// period (SIGKILL at once) but Stop still waits for the exit, which SIGKILL
// makes prompt.
func (p *Process) Stop(ctx context.Context, grace time.Duration) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.Signal(syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.done:
		return
	case <-t.C:
	case <-ctx.Done():
	}
	_ = p.Signal(syscall.SIGKILL)
	<-p.done
}
