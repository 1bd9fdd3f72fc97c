package procgroup

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain doubles as a helper process: a parent that starts a group and is
// then killed with SIGKILL, as donkeyls might be.
func TestMain(m *testing.M) {
	if os.Getenv("PROCGROUP_HELPER") == "1" {
		p, err := Start(Cmd{Path: "/bin/sh", Args: []string{"-c", "sleep 300 & echo $!; wait"}, Stdout: os.Stdout})
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println(p.Pid())
		<-p.Done()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// alive reports whether pid is a live (not zombie) process.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

func waitDead(t *testing.T, pid int, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("%s (pid %d) still alive after 10s", what, pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func readPid(t *testing.T, path string) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				return pid
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no pid in %s after 10s", path)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestStopKillsTheWholeGroup(t *testing.T) {
	dir := t.TempDir()
	p, err := Start(Cmd{Path: "/bin/sh", Args: []string{"-c", "sleep 300 & echo $! > child; wait"}, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	child := readPid(t, filepath.Join(dir, "child"))
	p.Stop(context.Background(), 5*time.Second)
	select {
	case <-p.Done():
	default:
		t.Fatal("Stop returned before the leader was reaped")
	}
	waitDead(t, child, "the leader's child")
	if d := p.ExitDescription(); !strings.Contains(d, "terminated") {
		t.Errorf("ExitDescription = %q, want killed by SIGTERM", d)
	}
}

func TestStopEscalatesToSIGKILL(t *testing.T) {
	dir := t.TempDir()
	p, err := Start(Cmd{Path: "/bin/sh", Args: []string{"-c", `trap "" TERM; echo ready > ready; while true; do sleep 0.05; done`}, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	readPidOrWord(t, filepath.Join(dir, "ready"))
	done := make(chan struct{})
	go func() { p.Stop(context.Background(), 200*time.Millisecond); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Stop never escalated past an ignored SIGTERM")
	}
	if d := p.ExitDescription(); !strings.Contains(d, "killed") {
		t.Errorf("ExitDescription = %q, want killed by SIGKILL", d)
	}
}

func readPidOrWord(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never written", path)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestLeftoversDieWithTheLeader(t *testing.T) {
	dir := t.TempDir()
	p, err := Start(Cmd{Path: "/bin/sh", Args: []string{"-c", "sleep 300 & echo $! > child; exit 3"}, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("leader exit not seen")
	}
	if p.ExitCode() != 3 || p.ExitDescription() != "exit code 3" {
		t.Errorf("exit = %d (%s), want 3", p.ExitCode(), p.ExitDescription())
	}
	waitDead(t, readPid(t, filepath.Join(dir, "child")), "a background child of an exited leader")
	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Errorf("Signal after exit = %v, want a no-op", err)
	}
}

func TestStartFailure(t *testing.T) {
	if _, err := Start(Cmd{Path: filepath.Join(t.TempDir(), "no-such-program")}); err == nil {
		t.Fatal("Start of a missing program succeeded")
	}
}

// TestWatchdogKillsTheGroupWhenTheParentIsKilled: SIGKILL to the parent
// (donkeyls) leaves nothing of the group it started.
func TestWatchdogKillsTheGroupWhenTheParentIsKilled(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	parent := exec.Command(exe, "-test.run=^$")
	parent.Env = append(os.Environ(), "PROCGROUP_HELPER=1")
	out, err := parent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	defer parent.Process.Kill()
	pids := make(chan []int, 1)
	go func() {
		sc := bufio.NewScanner(out)
		var got []int
		for len(got) < 2 && sc.Scan() {
			if pid, err := strconv.Atoi(strings.TrimSpace(sc.Text())); err == nil {
				got = append(got, pid)
			}
		}
		pids <- got
		io.Copy(io.Discard, out)
	}()
	var got []int
	select {
	case got = <-pids:
	case <-time.After(10 * time.Second):
		t.Fatal("the helper never reported its group")
	}
	if len(got) != 2 {
		t.Fatalf("helper reported %v, want two pids", got)
	}
	for _, pid := range got {
		if !alive(pid) {
			t.Fatalf("pid %d not running before the parent was killed", pid)
		}
	}
	if err := parent.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	parent.Wait()
	for _, pid := range got {
		waitDead(t, pid, "a member of a killed parent's group")
	}
}
