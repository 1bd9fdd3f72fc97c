package supervisor

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/donkeyls/donkeyls/analysis/impact"
	"github.com/donkeyls/donkeyls/reload/classify"

	"github.com/donkeyls/donkeyls/internal/testenv"
)

// restartEverything is a classifier double: every changed path restarts.
type restartEverything struct{ typegenRuns int }

func (r *restartEverything) Classify(_ context.Context, changed []string) classify.Decision {
	var d classify.Decision
	for _, p := range changed {
		if filepath.Ext(p) != ".ts" {
			continue
		}
		d.Action |= impact.Restart
		d.Reasons = append(d.Reasons, impact.Reason{Path: p, Action: impact.Restart, What: "changed"})
	}
	return d
}
func (r *restartEverything) TypegenWrote()                             { r.typegenRuns++ }
func (r *restartEverything) Loaded() map[string]uint64                 { return map[string]uint64{} }
func (r *restartEverything) Fingerprint(string) (uint64, uint64, bool) { return 0, 0, false }

// lifeEvent is one line of the fake server's life log: "start PID" or
// "stop PID".
type lifeEvent struct {
	verb string
	pid  int
}

// parseLifeLog reads a life log and refuses any line that is not exactly one
// event: a torn or garbled record is a broken fake server, and skipping it
// would turn that into a wrong verdict about the supervisor.
func parseLifeLog(b []byte) ([]lifeEvent, error) {
	var events []lifeEvent
	for i, line := range strings.SplitAfter(string(b), "\n") {
		if line == "" {
			continue // after the final newline
		}
		f := strings.Split(strings.TrimSuffix(line, "\n"), " ")
		if !strings.HasSuffix(line, "\n") || len(f) != 2 || (f[0] != "start" && f[0] != "stop") {
			return nil, fmt.Errorf("life log line %d is not \"start PID\" or \"stop PID\": %q", i+1, line)
		}
		pid, err := strconv.Atoi(f[1])
		if err != nil || pid <= 0 {
			return nil, fmt.Errorf("life log line %d has no pid: %q", i+1, line)
		}
		events = append(events, lifeEvent{f[0], pid})
	}
	return events, nil
}

// checkLifetimes holds a life log to the supervisor's promise: a server
// starts only once the previous one has stopped, and each one that started
// has stopped by the end. It returns how many servers started.
func checkLifetimes(events []lifeEvent) (int, error) {
	live, seen := 0, map[int]bool{}
	for i, e := range events {
		switch {
		case e.verb == "start" && seen[e.pid]:
			return 0, fmt.Errorf("event %d: pid %d started twice: %v", i+1, e.pid, events)
		case e.verb == "start" && live != 0:
			return 0, fmt.Errorf("event %d: two servers ran at once (%d started while %d ran): %v", i+1, e.pid, live, events)
		case e.verb == "start":
			seen[e.pid], live = true, e.pid
		case e.pid != live:
			return 0, fmt.Errorf("event %d: pid %d stopped but it was not the running server: %v", i+1, e.pid, events)
		default:
			live = 0
		}
	}
	if live != 0 {
		return 0, fmt.Errorf("server %d was never stopped: %v", live, events)
	}
	return len(seen), nil
}

// TestLifeLogRefusesWhatItCannotRead: the checker of TestNeverTwoServers
// fails on a torn record (what `start $$ $(date)` wrote when SIGTERM killed
// date) instead of dropping it, and catches each broken promise.
func TestLifeLogRefusesWhatItCannotRead(t *testing.T) {
	for _, bad := range []string{
		"start 12472 \n", "start 12472 1796154861223882578\n", "start\n", "start x\n",
		"begin 1\n", "start 1", "start 1\n\nstop 1\n", "start  1\n",
	} {
		if _, err := parseLifeLog([]byte(bad)); err == nil {
			t.Errorf("parseLifeLog(%q) accepted it", bad)
		}
	}
	for log, want := range map[string]string{
		"start 1\nstart 2\nstop 2\nstop 1\n": "two servers ran at once",
		"start 1\nstop 1\nstart 2\n":         "never stopped",
		"start 1\nstop 1\nstop 1\n":          "not the running server",
		"stop 1\n":                           "not the running server",
		"start 1\nstop 1\nstart 1\nstop 1\n": "started twice",
	} {
		events, err := parseLifeLog([]byte(log))
		if err != nil {
			t.Fatalf("parseLifeLog(%q): %v", log, err)
		}
		if _, err := checkLifetimes(events); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("checkLifetimes(%q) = %v, want an error saying %q", log, err, want)
		}
	}
	events, err := parseLifeLog([]byte("start 1\nstop 1\nstart 2\nstop 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := checkLifetimes(events); n != 2 || err != nil {
		t.Errorf("checkLifetimes of two clean lifetimes = %d, %v", n, err)
	}
}

// TestNeverTwoServers: a server that takes its time to shut down is gone
// before the next one starts, however fast the edits come.
func TestNeverTwoServers(t *testing.T) {
	root := t.TempDir()
	life := filepath.Join(root, "life.log")
	// Logs its start, and on SIGTERM takes 300ms to clean up before logging
	// its stop. Each record is one write by the echo builtin, and dash runs
	// the trap only between commands, so a SIGTERM can never tear a line.
	// One sent before the start is recorded finds no start line and logs
	// nothing: that server never ran as far as the log is concerned.
	server := `trap 'if grep -qx "start $$" life.log; then sleep 0.3; echo "stop $$" >> life.log; fi; exit 0' TERM
echo "start $$" >> life.log
while :; do sleep 0.02; done`
	out := &testenv.Output{}
	sup, err := New(Options{
		Root: root, Command: []string{"/bin/sh", "-c", server}, Grace: 5 * time.Second,
		Debounce: 20 * time.Millisecond, Classifier: &restartEverything{}, Stdout: out, NoControl: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sup.Run(ctx) }()
	stopped := false
	t.Cleanup(func() { // a failed wait must not leave the supervisor running
		if !stopped {
			cancel()
			<-done
		}
	})

	waitCount := func(n int) {
		t.Helper()
		deadline := time.Now().Add(waitLimit)
		for {
			b, _ := os.ReadFile(life)
			if strings.Count(string(b), "start ") >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("fewer than %d server starts after %s:\n%s\n%s", n, waitLimit, b, out.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitCount(1)
	// Edits keep arriving while servers are being stopped.
	for i := range 6 {
		os.WriteFile(filepath.Join(root, "plugin.ts"), []byte(strconv.Itoa(i)), 0o644)
		time.Sleep(60 * time.Millisecond)
	}
	waitCount(2)
	time.Sleep(time.Second)
	cancel()
	stopped = true
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	b, err := os.ReadFile(life)
	if err != nil {
		t.Fatal(err)
	}
	events, err := parseLifeLog(b)
	if err != nil {
		t.Fatalf("%v\nsupervisor output:\n%s", err, out.String())
	}
	n, err := checkLifetimes(events)
	if err != nil {
		t.Fatalf("%v\nsupervisor output:\n%s", err, out.String())
	}
	if n < 2 {
		t.Fatalf("only %d servers started: %v", n, events)
	}
}

// TestBackoffGrowsAndCaps: consecutive crashes double the wait, up to the cap.
func TestBackoffGrowsAndCaps(t *testing.T) {
	s, err := New(Options{Root: "/", Command: []string{"true"}, Classifier: &restartEverything{},
		BackoffMin: time.Second, BackoffMax: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{1, 2, 4, 8, 16, 30, 30}
	for i, w := range want {
		if got := s.backoff(i + 1); got != w*time.Second {
			t.Errorf("backoff after %d crashes = %s, want %s", i+1, got, w*time.Second)
		}
	}
}

func TestDevServerOf(t *testing.T) {
	scripts := map[string]string{
		"dev": "bun --hot run src/server/index.ts", "start": "bun run src/server/index.ts",
		"vite": "bun --bun vite dev", "watch": "bun --watch src/server/index.ts",
	}
	cases := []struct {
		argv          []string
		want          DevServer
		routes, plugs bool
	}{
		{[]string{"bun", "--hot", "run", "src/index.ts"}, BunHot, true, false},
		{[]string{"bun", "run", "src/index.ts"}, PlainServer, false, false},
		{[]string{"bun", "run", "dev"}, BunHot, true, false},
		{[]string{"npm", "run", "start"}, PlainServer, false, false},
		// The adapter's Vite plugin reloads no server code (observed: a
		// saved route kept answering its old body).
		{[]string{"/usr/local/bin/vite", "dev"}, ViteAdapter, false, false},
		{[]string{"bun", "run", "vite"}, ViteAdapter, false, false},
		{[]string{"bun", "--watch", "run", "src/index.ts"}, BunWatch, true, true},
		{[]string{"pnpm", "watch"}, BunWatch, true, true},
	}
	for _, c := range cases {
		got := DevServerOf(c.argv, scripts)
		if got != c.want || got.ReloadsRoutes() != c.routes || got.ReloadsPlugins() != c.plugs {
			t.Errorf("DevServerOf(%q) = %s (routes %v, plugins %v), want %s (routes %v, plugins %v)",
				c.argv, got, got.ReloadsRoutes(), got.ReloadsPlugins(), c.want, c.routes, c.plugs)
		}
	}
}

// TestRestartSaysWhyTheServerNeverStarted: a restart of a server whose
// command is not installed answers with the cause, once and plainly (it
// used to be "the server is not running (crashed); see the donkeyls dev
// output").
func TestRestartSaysWhyTheServerNeverStarted(t *testing.T) {
	root := t.TempDir()
	out := &testenv.Output{}
	sup, err := New(Options{
		Root: root, Command: []string{"donkeyls-test-no-such-bun", "run", "src/server/index.ts"}, Grace: time.Second,
		Debounce: 20 * time.Millisecond, Classifier: &restartEverything{}, Stdout: out, Stderr: out, NoControl: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sup.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	rctx, rcancel := context.WithTimeout(ctx, waitLimit)
	defer rcancel()
	err = sup.Restart(rctx, "requested from the editor")
	want := "the dev server never started: donkeyls-test-no-such-bun not found on PATH"
	if err == nil || err.Error() != want {
		t.Fatalf("Restart = %v, want %q\n%s", err, want, out.String())
	}
}
