// Package typegen runs a project's type generator (`donkeylabs generate`, or
// whatever the user configured) one run at a time. Requests that arrive while
// a run is in progress share exactly one follow-up run, so a burst of saves
// never queues a burst of generator runs and no request is answered with a
// run that started before it.
package typegen

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"time"

	"github.com/donkeyls/donkeyls/reload/internal/procgroup"
)

// DefaultTimeout bounds a run when Options.Timeout is 0.
const DefaultTimeout = 120 * time.Second

// maxOutput is how much of a run's output Result keeps (the tail).
const maxOutput = 64 << 10

// killGrace is how long a cancelled run gets between SIGTERM and SIGKILL.
const killGrace = 2 * time.Second

// Options configure a Runner.
type Options struct {
	Dir     string        // project root: the command's working directory
	Command string        // a shell command, run as `sh -c Command` in its own process group
	Timeout time.Duration // 0 means 120s
	// OnLine, when set, receives each output line (stdout and stderr) as it
	// arrives; it is called from one goroutine at a time.
	OnLine func(line string)
}

// Result is what one run did.
type Result struct {
	Command  string
	ExitCode int    // -1 when it could not start, timed out or was cancelled
	Output   string // combined stdout+stderr, at most the last 64 KiB
	Duration time.Duration
	// Err is nil only for exit 0; it wraps context.Canceled,
	// context.DeadlineExceeded, the exec error or "exit status N".
	Err error
}

// Runner runs the typegen command, one run at a time.
type Runner struct {
	mu      sync.Mutex
	opts    Options
	current *run // the run in progress, nil when idle
	next    *run // the follow-up shared by calls that arrived during current
}

// run is one execution shared by every caller waiting on it.
type run struct {
	done    chan struct{}
	res     Result
	waiters int
	ctx     context.Context
	cancel  context.CancelFunc
}

// NewRunner returns an idle runner.
func NewRunner(opts Options) *Runner {
	return &Runner{opts: opts}
}

// SetCommand changes the command; it takes effect at the next run.
func (r *Runner) SetCommand(cmd string) {
	r.mu.Lock()
	r.opts.Command = cmd
	r.mu.Unlock()
}

// Running reports whether a run is in progress.
func (r *Runner) Running() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.current != nil
}

// Run runs the command once. When a run is already in progress it does not
// start a second one: it arranges exactly one more run after the current one
// (every call arriving during the run shares it) and returns that run's
// Result. Cancelling ctx returns promptly; the run is killed (SIGTERM to its
// process group, SIGKILL 2s later) once no caller is waiting for it any more,
// which for a run with one caller means at once.
func (r *Runner) Run(ctx context.Context) Result {
	r.mu.Lock()
	var rn *run
	if r.current == nil {
		rn = newRun()
		r.current = rn
		r.startLocked(rn)
	} else {
		if r.next == nil {
			r.next = newRun()
		}
		rn = r.next
	}
	rn.waiters++
	r.mu.Unlock()

	select {
	case <-rn.done:
		return rn.res
	case <-ctx.Done():
	}

	r.mu.Lock()
	rn.waiters--
	if rn.waiters == 0 {
		if rn == r.next {
			// Not started yet and nobody wants it: never start it.
			r.next = nil
		} else {
			rn.cancel()
		}
	}
	cmd := r.opts.Command
	r.mu.Unlock()
	return Result{Command: cmd, ExitCode: -1, Err: fmt.Errorf("typegen cancelled: %w", ctx.Err())}
}

func newRun() *run {
	ctx, cancel := context.WithCancel(context.Background())
	return &run{done: make(chan struct{}), ctx: ctx, cancel: cancel}
}

// startLocked starts rn; r.mu is held.
func (r *Runner) startLocked(rn *run) {
	opts := r.opts
	go func() {
		res := execute(rn.ctx, opts)
		rn.cancel()
		r.mu.Lock()
		rn.res = res
		close(rn.done)
		r.current = nil
		if r.next != nil {
			r.current, r.next = r.next, nil
			r.startLocked(r.current)
		}
		r.mu.Unlock()
	}()
}

// execute runs the command once and reports what happened.
func execute(ctx context.Context, opts Options) Result {
	start := time.Now()
	res := Result{Command: opts.Command, ExitCode: -1}
	if opts.Command == "" {
		res.Err = errors.New("no typegen command configured")
		return finish(res, start)
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	out := newTail(maxOutput, opts.OnLine)
	p, err := procgroup.Start(procgroup.Cmd{
		Path:   "/bin/sh",
		Args:   []string{"-c", opts.Command},
		Dir:    opts.Dir,
		Stdout: out,
		Stderr: out,
	})
	if err != nil {
		res.Err = fmt.Errorf("typegen command %q: %w", opts.Command, err)
		return finish(res, start)
	}

	select {
	case <-p.Done():
	case <-ctx.Done():
		_ = p.Signal(syscall.SIGTERM)
		t := time.NewTimer(killGrace)
		select {
		case <-p.Done():
		case <-t.C:
			_ = p.Signal(syscall.SIGKILL)
			<-p.Done()
		}
		t.Stop()
	}
	out.flush()
	res.Output = out.String()

	switch {
	case ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		res.Err = fmt.Errorf("typegen command %q timed out after %s: %w", opts.Command, timeout, context.DeadlineExceeded)
	case ctx.Err() != nil:
		res.Err = fmt.Errorf("typegen command %q cancelled: %w", opts.Command, ctx.Err())
	case p.Err() != nil:
		res.ExitCode = p.ExitCode()
		res.Err = fmt.Errorf("typegen command %q failed: %w", opts.Command, p.Err())
	default:
		res.ExitCode = 0
	}
	return finish(res, start)
}

func finish(res Result, start time.Time) Result {
	res.Duration = time.Since(start)
	return res
}
