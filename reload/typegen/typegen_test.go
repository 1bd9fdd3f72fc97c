package typegen

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// waitFor polls cond until it holds or the timeout expires.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// invocations counts the lines a fake generator appended to its log.
func invocations(t *testing.T, log string) int {
	t.Helper()
	b, err := os.ReadFile(log)
	if errors.Is(err, os.ErrNotExist) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "\n")
}

// alive reports whether pid is a live (not zombie) process.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

func readPid(t *testing.T, path string) int {
	t.Helper()
	var pid int
	waitFor(t, 5*time.Second, "pid file "+path, func() bool {
		b, err := os.ReadFile(path)
		if err != nil {
			return false
		}
		pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil
	})
	return pid
}

func TestRunSuccessInProjectRoot(t *testing.T) {
	dir := t.TempDir()
	r := NewRunner(Options{Dir: dir, Command: `echo "generated registry.d.ts"; pwd; echo warn >&2`})
	res := r.Run(context.Background())
	if res.Err != nil || res.ExitCode != 0 {
		t.Fatalf("Run = exit %d, err %v; want exit 0, nil\n%s", res.ExitCode, res.Err, res.Output)
	}
	for _, want := range []string{"generated registry.d.ts", dir, "warn"} {
		if !strings.Contains(res.Output, want) {
			t.Errorf("output %q lacks %q", res.Output, want)
		}
	}
	if res.Command == "" || res.Duration <= 0 {
		t.Errorf("Result lacks command or duration: %+v", res)
	}
	if r.Running() {
		t.Error("Running() after the run finished")
	}
}

func TestRunFailureReportsExitCodeAndOutput(t *testing.T) {
	r := NewRunner(Options{Dir: t.TempDir(), Command: `echo "Failed to import migration 002_bad.ts" >&2; exit 3`})
	res := r.Run(context.Background())
	if res.ExitCode != 3 {
		t.Errorf("ExitCode = %d, want 3", res.ExitCode)
	}
	if res.Err == nil || !strings.Contains(res.Err.Error(), "exit status 3") {
		t.Errorf("Err = %v, want one mentioning exit status 3", res.Err)
	}
	if !strings.Contains(res.Output, "Failed to import migration") {
		t.Errorf("output lost the error message: %q", res.Output)
	}
}

func TestRunCannotStart(t *testing.T) {
	r := NewRunner(Options{Dir: filepath.Join(t.TempDir(), "missing"), Command: "true"})
	res := r.Run(context.Background())
	if res.ExitCode != -1 || res.Err == nil {
		t.Fatalf("Run in a missing directory = exit %d, err %v; want -1 and an error", res.ExitCode, res.Err)
	}
	res = NewRunner(Options{Dir: t.TempDir()}).Run(context.Background())
	if res.ExitCode != -1 || res.Err == nil {
		t.Fatalf("Run without a command = exit %d, err %v; want -1 and an error", res.ExitCode, res.Err)
	}
}

func TestOnLineInOrderAndOutputTail(t *testing.T) {
	var mu sync.Mutex
	var lines []string
	// 3000 lines of ~50 bytes: ~150 KiB, more than the kept tail.
	r := NewRunner(Options{
		Dir:     t.TempDir(),
		Command: `i=1; while [ $i -le 3000 ]; do echo "line $i ................................"; i=$((i+1)); done; printf "no newline at end"`,
		OnLine: func(l string) {
			mu.Lock()
			lines = append(lines, l)
			mu.Unlock()
		},
	})
	res := r.Run(context.Background())
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(lines) != 3001 {
		t.Fatalf("OnLine got %d lines, want 3001", len(lines))
	}
	for i := range 3000 {
		if !strings.HasPrefix(lines[i], fmt.Sprintf("line %d ", i+1)) {
			t.Fatalf("line %d = %q: out of order", i, lines[i])
		}
	}
	if lines[3000] != "no newline at end" {
		t.Errorf("last partial line = %q", lines[3000])
	}
	if len(res.Output) > 64<<10 {
		t.Errorf("Output is %d bytes, want at most 64 KiB", len(res.Output))
	}
	if !strings.HasSuffix(res.Output, "line 3000 ................................\nno newline at end") {
		t.Errorf("Output does not end with the last output: ...%q", res.Output[len(res.Output)-80:])
	}
	if strings.Contains(res.Output, "line 1 ") {
		t.Error("Output kept the head instead of the tail")
	}
}

// TestCallsDuringARunShareOneFollowUp is the contract the language server
// relies on: saves during a run cause exactly one more run, and every caller
// gets a result from a run that started after its call.
func TestCallsDuringARunShareOneFollowUp(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "runs.log")
	gate := filepath.Join(dir, "gate")
	// Each run logs its start, then blocks until the test opens the gate.
	cmd := `echo start >> runs.log; n=$(wc -l < runs.log); while [ ! -e gate ]; do sleep 0.02; done; echo "run $n"`
	r := NewRunner(Options{Dir: dir, Command: cmd})

	first := make(chan Result, 1)
	go func() { first <- r.Run(context.Background()) }()
	waitFor(t, 5*time.Second, "the first run to start", func() bool { return invocations(t, log) == 1 })
	if !r.Running() {
		t.Fatal("Running() = false during a run")
	}

	const n = 5
	results := make(chan Result, n)
	for range n {
		go func() { results <- r.Run(context.Background()) }()
	}
	waitFor(t, 5*time.Second, "the follow-up callers to queue", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.next != nil && r.next.waiters == n
	})
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}

	if res := <-first; !strings.Contains(res.Output, "run 1") {
		t.Errorf("first caller got %q, want run 1", res.Output)
	}
	for range n {
		select {
		case res := <-results:
			if res.Err != nil || !strings.Contains(res.Output, "run 2") {
				t.Errorf("queued caller got %q (err %v), want run 2", res.Output, res.Err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("timed out waiting for the queued callers")
		}
	}
	if got := invocations(t, log); got != 2 {
		t.Errorf("generator ran %d times, want 2 (one run plus one shared follow-up)", got)
	}
	waitFor(t, 5*time.Second, "the runner to go idle", func() bool { return !r.Running() })
}

func TestCancelKillsTheWholeGroup(t *testing.T) {
	dir := t.TempDir()
	// The generator spawns a grandchild, as `bun run gen:types` does.
	r := NewRunner(Options{Dir: dir, Command: `sleep 300 & echo $! > child.pid; wait`})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan Result, 1)
	go func() { done <- r.Run(ctx) }()
	child := readPid(t, filepath.Join(dir, "child.pid"))
	cancel()
	var res Result
	select {
	case res = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context was cancelled")
	}
	if !errors.Is(res.Err, context.Canceled) || res.ExitCode != -1 {
		t.Errorf("cancelled Run = exit %d, err %v; want -1 wrapping context.Canceled", res.ExitCode, res.Err)
	}
	waitFor(t, 5*time.Second, fmt.Sprintf("grandchild %d to die", child), func() bool { return !alive(child) })
	waitFor(t, 5*time.Second, "the runner to go idle", func() bool { return !r.Running() })
}

func TestTimeoutEscalatesToSIGKILL(t *testing.T) {
	// The shell ignores SIGTERM only once its trap is set, and the 200 ms
	// timeout runs from the start of Run: on a loaded machine the SIGTERM
	// can land first, ending the shell before the case under test exists.
	// Such an attempt proves nothing, so it is run again (bounded).
	for attempt := 1; attempt <= 5; attempt++ {
		dir := t.TempDir()
		pidFile := filepath.Join(dir, "sh.pid")
		r := NewRunner(Options{Dir: dir, Timeout: 200 * time.Millisecond,
			Command: `trap "" TERM; echo $$ > sh.pid.tmp && mv sh.pid.tmp sh.pid; while true; do sleep 0.05; done`})
		done := make(chan Result, 1)
		go func() { done <- r.Run(context.Background()) }()
		pid, res, early := 0, Result{}, false
		waitFor(t, 15*time.Second, "the generator to start or the run to end", func() bool {
			select {
			case res = <-done:
				early = true
				return true
			default:
			}
			b, err := os.ReadFile(pidFile)
			if err != nil {
				return false
			}
			pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
			return err == nil
		})
		if early {
			if _, err := os.Stat(pidFile); err != nil {
				t.Logf("attempt %d: the timeout ended the shell before its trap was set; again", attempt)
				continue
			}
			b, _ := os.ReadFile(pidFile)
			pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		} else {
			select {
			case res = <-done:
			case <-time.After(15 * time.Second):
				t.Fatal("a generator ignoring SIGTERM was never killed")
			}
		}
		if !errors.Is(res.Err, context.DeadlineExceeded) || res.ExitCode != -1 {
			t.Errorf("timed-out Run = exit %d, err %v; want -1 wrapping DeadlineExceeded", res.ExitCode, res.Err)
		}
		if alive(pid) {
			t.Errorf("generator %d still alive after its timeout", pid)
		}
		return
	}
	t.Fatal("in 5 attempts the shell never got as far as ignoring SIGTERM")
}

func TestCancelledFollowUpNeverRuns(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "runs.log")
	gate := filepath.Join(dir, "gate")
	r := NewRunner(Options{Dir: dir, Command: `echo start >> runs.log; while [ ! -e gate ]; do sleep 0.02; done`})
	first := make(chan Result, 1)
	go func() { first <- r.Run(context.Background()) }()
	waitFor(t, 5*time.Second, "the first run to start", func() bool { return invocations(t, log) == 1 })

	ctx, cancel := context.WithCancel(context.Background())
	queued := make(chan Result, 1)
	go func() { queued <- r.Run(ctx) }()
	waitFor(t, 5*time.Second, "the follow-up to queue", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.next != nil
	})
	cancel()
	if res := <-queued; !errors.Is(res.Err, context.Canceled) {
		t.Errorf("cancelled queued call: err %v, want context.Canceled", res.Err)
	}
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if res := <-first; res.Err != nil {
		t.Fatalf("first run: %v", res.Err)
	}
	waitFor(t, 5*time.Second, "the runner to go idle", func() bool { return !r.Running() })
	if got := invocations(t, log); got != 1 {
		t.Errorf("generator ran %d times, want 1: a follow-up nobody waits for must not run", got)
	}
}

func TestSetCommandTakesEffectAtNextRun(t *testing.T) {
	r := NewRunner(Options{Dir: t.TempDir(), Command: "echo old"})
	if res := r.Run(context.Background()); strings.TrimSpace(res.Output) != "old" {
		t.Fatalf("first run output %q", res.Output)
	}
	r.SetCommand("echo new")
	res := r.Run(context.Background())
	if strings.TrimSpace(res.Output) != "new" || res.Command != "echo new" {
		t.Fatalf("after SetCommand: output %q, command %q", res.Output, res.Command)
	}
}
