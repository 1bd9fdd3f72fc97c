package e2e

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/donkeyls/donkeyls/lsp/lsptest"
)

// TestRootOfWholeFilesystem: a workspace folder of file:/// is searched
// within its bounds (here a small --max-dirs, so the test stays quick),
// /proc, /sys and /dev never, and the user is told which limit stopped the
// search and what to open instead. Only projects are watched, so the server
// holds few inotify watches and little memory.
func TestRootOfWholeFilesystem(t *testing.T) {
	srv := startWith(t, startOptions{args: []string{"--max-dirs", "3000"}})
	c := srv.client
	c.Initialize("/", lsptest.Capabilities(false), nil)
	msg := c.WaitMessage("stopped searching / for projects at its limit of 3000 directories")
	if !strings.Contains(msg.Message, "donkeylabs.config.ts") {
		t.Errorf("the message does not say what to open instead: %q", msg.Message)
	}
	pid := srv.cmd.Process.Pid
	watches := inotifyWatches(t, pid)
	hwm := statusKB(t, pid, "VmHWM")
	t.Logf("after discovery: %d inotify watches, peak RSS %d MB", watches, hwm/1024)
	// Each project found is watched: a few hundred directories at most
	// among 3,000, against one watch per directory of the whole tree.
	if watches > 1000 {
		t.Errorf("%d inotify watches for a search of 3000 directories", watches)
	}
	if hwm > 100*1024 {
		t.Errorf("peak RSS %d MB, want below 100 MB", hwm/1024)
	}
	if strings.Contains(readLog(t, srv), "/proc/") {
		t.Errorf("the log mentions /proc: something walked it")
	}
	c.Shutdown()
	srv.wait("exit")
}

// inotifyWatches counts the inotify watches the process holds.
func inotifyWatches(t *testing.T, pid int) int {
	t.Helper()
	dir := fmt.Sprintf("/proc/%d/fdinfo", pid)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Skipf("cannot read %s: %v", dir, err)
	}
	n := 0
	for _, e := range entries {
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "inotify wd:") {
				n++
			}
		}
		f.Close()
	}
	return n
}

// statusKB reads one kB field of /proc/PID/status.
func statusKB(t *testing.T, pid int, field string) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("cannot read the process status: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return n
		}
	}
	t.Fatalf("no %s in the process status", field)
	return 0
}

// TestProjectCreatedInFolderLater: the client cannot watch files and the
// folder holds no project yet; writing donkeylabs.config.ts into it (as a
// project generator does) makes it one, though only projects are watched
// deeply.
func TestProjectCreatedInFolderLater(t *testing.T) {
	root, _, _ := freshBookshop(t, "")
	config := filepath.Join(root, "donkeylabs.config.ts")
	saved, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(config); err != nil {
		t.Fatal(err)
	}
	srv := start(t)
	c := srv.client
	c.Initialize(root, lsptest.Capabilities(false), nil)
	admin := filepath.Join(root, "src/server/routes/admin.ts")
	c.Open(admin)
	waitLog(t, srv, "no donkeylabs project under", 1)
	if err := os.WriteFile(config, saved, 0o644); err != nil {
		t.Fatal(err)
	}
	c.WaitDiagnostics(admin, "route-direct-db once the folder became a project", func(d lsptest.Diagnostics) bool { return lsptest.Has(d, "route-direct-db") })
	c.Shutdown()
	srv.wait("exit")
}
