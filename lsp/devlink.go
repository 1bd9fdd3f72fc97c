// The language server's link to a running `donkeyls dev`: it asks that
// process's supervisor (reload/supervisor, over reload/control) what code
// the dev server loaded, and turns the difference from the sources into
// restart-required findings. Nothing here supervises anything.

package lsp

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"path/filepath"
	"slices"
	"time"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/reload/control"
)

// CodeRestartRequired marks a plugin whose code changed since the
// supervised dev server started: plugins are built once, at start.
const CodeRestartRequired = "restart-required"

// devPoll is how often the server asks a project's `donkeyls dev`
// supervisor what code its dev server loaded. Asking is one local socket
// round trip; without a supervisor, one failed stat.
const devPoll = time.Second

// linkDev follows the project's `donkeyls dev`, when one runs: it polls its
// supervisor and re-analyzes when what the running server loaded changes
// (a restart, a start, a crash).
func (ps *projectState) linkDev(ctx context.Context) {
	t := time.NewTicker(devPoll)
	defer t.Stop()
	for {
		st, ok := ps.devStatus(ctx)
		key := devStatusKey(st, ok)
		ps.mu.Lock()
		changed := key != ps.supKey
		ps.supKey = key
		if ok {
			ps.sup = &st
		} else {
			ps.sup = nil
		}
		ps.mu.Unlock()
		if changed {
			ps.srv.log.Debug("dev supervisor", "root", ps.root, "status", key)
			ps.record(nil, false)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// devStatus asks the project's `donkeyls dev` supervisor for its status;
// false when none answers.
func (ps *projectState) devStatus(ctx context.Context) (control.Status, bool) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	c, err := control.Dial(ctx, ps.root)
	if err != nil {
		if !errors.Is(err, control.ErrNoSupervisor) {
			ps.srv.log.Debug("dev supervisor unreachable", "root", ps.root, "err", err)
		}
		return control.Status{}, false
	}
	defer c.Close()
	st, err := c.Status(ctx)
	if err != nil {
		ps.srv.log.Debug("dev supervisor status", "root", ps.root, "err", err)
		return control.Status{}, false
	}
	return st, true
}

// devServerOf names the supervised command's kind for a message, when it
// reloads some code by itself ("bun --hot, ").
func devServerOf(st *control.Status) string {
	if st.DevServer == "" {
		return ""
	}
	return st.DevServer + ", "
}

// whyRestart says why a plugin edit needs a restart under the supervised
// command (observed with server 2.5.1 under Bun 1.4.5), or why donkeyls
// dev's in-place reload of this file left the old service running.
func whyRestart(st *control.Status, path string) string {
	if e := st.HotFailed[filepath.Clean(path)]; e != "" {
		return "its new service was not reloaded in place, so the old one keeps answering: " + e + " (fix it and save, or restart)"
	}
	if st.DevServer == "bun --hot" {
		return "bun --hot runs the entry again on save, but the servers of the earlier runs keep their background services (cron jobs, job workers), so a restart is what leaves one clean server with this code"
	}
	return "plugins are built once at start, so this code takes effect after a restart"
}

// devStatusKey fingerprints what matters of a status: which server runs and
// what it loaded.
func devStatusKey(st control.Status, ok bool) string {
	if !ok {
		return "none"
	}
	paths := make([]string, 0, len(st.Loaded))
	for p := range st.Loaded {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	h := fnv.New64a()
	for _, p := range paths {
		fmt.Fprintf(h, "%s=%s\n", p, st.Loaded[p])
	}
	failed := make([]string, 0, len(st.HotFailed))
	for p, e := range st.HotFailed {
		failed = append(failed, p+"\x00"+e)
	}
	slices.Sort(failed)
	for _, f := range failed {
		fmt.Fprintf(h, "failed %s\n", f)
	}
	return fmt.Sprintf("pid %d %s loaded %d files (%016x)", st.Pid, st.State, len(paths), h.Sum64())
}

// restartFindings compares the plugins of the snapshot with what the
// running server loaded. Buffers with unsaved changes are left out: the
// server loads files from disk, and typing must not flash the finding.
func restartFindings(snap Snapshot, st *control.Status, unsaved map[string]bool, root string) []analysis.Finding {
	if st == nil || st.State != control.StateRunning {
		return nil
	}
	var out []analysis.Finding
	for _, pl := range snap.Plugins() {
		if unsaved[pl.Path] {
			continue
		}
		loaded, ok := st.LoadedHash(pl.Path)
		if ok && loaded == pl.CodeHash {
			continue
		}
		what := "an older version of"
		if !ok {
			what = "no code of"
		}
		started := ""
		if !st.StartedAt.IsZero() {
			started = ", started " + st.StartedAt.Local().Format("15:04:05")
		}
		out = append(out, analysis.Finding{
			Code:     CodeRestartRequired,
			Severity: analysis.SeverityInformation,
			Location: analysis.Location{Path: pl.Path, Range: pl.Range},
			Message: fmt.Sprintf("the dev server (%spid %d%s) runs %s plugin %q: %s",
				devServerOf(st), st.Pid, started, what, pl.Name, whyRestart(st, pl.Path)),
			Commands: []analysis.CommandRef{{Title: "Restart the dev server", Command: analysis.CommandRestart, Root: root}},
			Remedy:   analysis.RemedyRestart,
		})
	}
	return out
}
