package supervisor

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/donkeyls/donkeyls/analysis/impact"
	"github.com/donkeyls/donkeyls/reload/classify"
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
func (r *restartEverything) TypegenWrote()             { r.typegenRuns++ }
func (r *restartEverything) Loaded() map[string]uint64 { return map[string]uint64{} }

// lifetimes reads "start PID NANOS" / "stop PID NANOS" lines.
func lifetimes(t *testing.T, path string) (starts, stops map[int]int64, order []string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	starts, stops = map[int]int64{}, map[int]int64{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		pid, _ := strconv.Atoi(f[1])
		ts, _ := strconv.ParseInt(f[2], 10, 64)
		if f[0] == "start" {
			starts[pid] = ts
		} else {
			stops[pid] = ts
		}
		order = append(order, f[0])
	}
	return starts, stops, order
}

// TestNeverTwoServers: a server that takes its time to shut down is gone
// before the next one starts, however fast the edits come.
func TestNeverTwoServers(t *testing.T) {
	root := t.TempDir()
	life := filepath.Join(root, "life.log")
	// Logs its start, and on SIGTERM takes 300ms to clean up before logging its stop.
	server := `trap 'sleep 0.3; echo "stop $$ $(date +%s%N)" >> life.log; exit 0' TERM
echo "start $$ $(date +%s%N)" >> life.log
while :; do sleep 0.02; done`
	out := &syncBuffer{}
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
	for i := 0; i < 6; i++ {
		os.WriteFile(filepath.Join(root, "plugin.ts"), []byte(strconv.Itoa(i)), 0o644)
		time.Sleep(60 * time.Millisecond)
	}
	waitCount(2)
	time.Sleep(time.Second)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	starts, stops, order := lifetimes(t, life)
	if len(starts) < 2 {
		t.Fatalf("only %d servers started", len(starts))
	}
	for i := 1; i < len(order); i++ {
		if order[i] == "start" && order[i-1] == "start" {
			t.Fatalf("two servers ran at once: %v", order)
		}
	}
	if order[len(order)-1] != "stop" || len(stops) != len(starts) {
		t.Errorf("not every server was stopped: %d starts, %d stops (%v)", len(starts), len(stops), order)
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

func TestReloadsRoutes(t *testing.T) {
	scripts := map[string]string{"dev": "bun --hot run src/server/index.ts", "start": "bun run src/server/index.ts", "vite": "vite dev"}
	cases := []struct {
		argv []string
		want bool
	}{
		{[]string{"bun", "--hot", "run", "src/index.ts"}, true},
		{[]string{"bun", "run", "src/index.ts"}, false},
		{[]string{"bun", "run", "dev"}, true},
		{[]string{"npm", "run", "start"}, false},
		{[]string{"/usr/local/bin/vite", "dev"}, true},
		{[]string{"bun", "--watch", "run", "src/index.ts"}, false},
	}
	for _, c := range cases {
		if got := ReloadsRoutes(c.argv, scripts); got != c.want {
			t.Errorf("ReloadsRoutes(%q) = %v, want %v", c.argv, got, c.want)
		}
	}
}

// TestRestartSaysWhyTheServerNeverStarted: a restart of a server whose
// command is not installed answers with the cause, once and plainly (it
// used to be "the server is not running (crashed); see the donkeyls dev
// output").
func TestRestartSaysWhyTheServerNeverStarted(t *testing.T) {
	root := t.TempDir()
	out := &syncBuffer{}
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
