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
	// The message comes before the projects found are added. A request on a
	// file no project holds is answered only once discovery has finished:
	// from then on the log names every project and each is watched.
	var loc any
	if err := c.Call("textDocument/definition", map[string]any{
		"textDocument": map[string]string{"uri": "file:///donkeyls-no-such-dir/x.ts"},
		"position":     map[string]int{"line": 0, "character": 0},
	}, &loc); err != nil {
		t.Fatalf("definition after discovery: %v", err)
	}
	pid := srv.cmd.Process.Pid
	watches := inotifyWatches(t, pid)
	hwm := statusKB(t, pid, "VmHWM")
	// What / holds depends on the machine (other checkouts, benchmark
	// projects left in /tmp), so the bounds are those of the projects this
	// search really found: their directories may be watched, nothing around
	// them (one shallow watch per workspace folder aside).
	roots := projectsInLog(readLog(t, srv))
	dirs, files := 0, 0
	for _, r := range roots {
		d, f := treeSize(r)
		dirs, files = dirs+d, files+f
	}
	t.Logf("after discovery: %d projects (%d directories, %d files), %d inotify watches, peak RSS %d MB", len(roots), dirs, files, watches, hwm/1024)
	if budget := dirs + len(roots) + 8; watches > budget {
		t.Errorf("%d inotify watches, but the %d projects found hold only %d directories: something outside them is watched", watches, len(roots), dirs)
	}
	// Memory follows what is loaded: with only small projects under /, the
	// search itself must stay small.
	if files < 2000 && hwm > 100*1024 {
		t.Errorf("peak RSS %d MB with %d project files loaded, want below 100 MB", hwm/1024, files)
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
	for line := range strings.SplitSeq(string(b), "\n") {
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
	root, _, _ := freshShop(t, "")
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

// projectsInLog lists the project roots the server said it opened.
func projectsInLog(log string) []string {
	var roots []string
	for line := range strings.SplitSeq(log, "\n") {
		_, root, ok := strings.Cut(line, " INFO  project root=")
		if !ok {
			continue
		}
		if r, err := strconv.Unquote(root); err == nil {
			root = r
		}
		if filepath.IsAbs(root) {
			roots = append(roots, root)
		}
	}
	return roots
}

// treeSize counts the directories and files under root, without following
// links.
func treeSize(root string) (dirs, files int) {
	_ = filepath.WalkDir(root, func(_ string, d os.DirEntry, err error) error {
		switch {
		case err != nil:
			return nil
		case d.IsDir():
			dirs++
		default:
			files++
		}
		return nil
	})
	return dirs, files
}
