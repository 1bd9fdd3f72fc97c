// The server's own file watcher, the fallback for clients that cannot watch
// files (no dynamic registration of workspace/didChangeWatchedFiles): it
// runs reload/watch on each project root and feeds its batches in where the
// client's notifications would have come.

package lsp

import (
	"context"
	"io"
	"path/filepath"

	"go.lsp.dev/protocol"

	"github.com/donkeyls/donkeyls/reload/watch"
)

// clientWatchGlobs are what the server asks a client to watch when it can
// (then no fallback watcher runs): every TypeScript file (sources,
// migrations, generated outputs), the JavaScript migrations the generator
// runs, and what the configuration is read from.
func clientWatchGlobs() []map[string]any {
	return []map[string]any{
		{"globPattern": "**/*.{ts,tsx,mts}"},
		{"globPattern": "**/migrations/*.{js,mjs}"},
		{"globPattern": "**/package.json"},
		{"globPattern": "**/{bun.lock,bun.lockb,pnpm-lock.yaml,yarn.lock,package-lock.json}"},
	}
}

// fallbackWatchFolder records that the client cannot watch files for us, so
// that the projects discovered under dir are watched by our own watcher. Only
// project roots are watched: a folder of `/` or a home directory would
// otherwise cost an inotify watch per directory of the whole tree.
//
// The folder itself gets one shallow watch, so that a project created in it
// (a donkeylabs.config.ts written at its root) is discovered.
func (s *Server) fallbackWatchFolder(dir string) {
	s.mu.Lock()
	s.selfWatch = true
	s.mu.Unlock()
	s.log.Debug("watching the projects under the folder ourselves", "folder", dir)
	w, err := watch.New(s.work, dir, watch.Options{Ignore: fallbackWatchIgnores, Shallow: true})
	if err != nil {
		s.log.Warn("cannot watch", "dir", dir, "err", err)
		return
	}
	s.mu.Lock()
	s.watchers = append(s.watchers, w)
	if s.folderWatch == nil {
		s.folderWatch = map[string]io.Closer{}
	}
	if old := s.folderWatch[dir]; old != nil {
		_ = old.Close()
	}
	s.folderWatch[dir] = w
	s.mu.Unlock()
	s.forwardFallbackWatch(w, "watch-error:"+dir)
}

// forwardFallbackWatch hands a watcher's batches to the ordered goroutine, in their
// place among the client's edits, and shows its first error.
func (s *Server) forwardFallbackWatch(w *watch.Watcher, errKey string) {
	s.goWork(func() {
		for batch := range w.Batches() {
			b := batch
			s.disp.Enqueue(func(context.Context) { s.filesChanged(b) })
		}
	})
	s.goWork(func() {
		for err := range w.Errors() {
			s.log.Warn("file watcher", "err", err)
			// Only the first problem is shown; an inotify limit otherwise
			// repeats for every directory.
			s.showOnce(errKey, protocol.MessageTypeWarning, "donkeyls file watcher: %v", err)
		}
	})
}

// fallbackWatchProject starts our watcher on a project's root. Batches are
// handled on the ordered goroutine, in their place among the client's edits.
func (s *Server) fallbackWatchProject(ps *projectState) {
	dir := ps.root
	w, err := watch.New(ps.ctx, dir, watch.Options{Ignore: fallbackWatchIgnores})
	if err != nil {
		s.log.Warn("cannot watch", "dir", dir, "err", err)
		s.showOnce("watch:"+dir, protocol.MessageTypeWarning,
			"donkeyls cannot watch %s for changes made outside the editor (%v); diagnostics follow only edits made in the editor.", dir, err)
		return
	}
	s.mu.Lock()
	s.watchers = append(s.watchers, w)
	s.mu.Unlock()
	ps.mu.Lock()
	ps.watcher = w
	ps.mu.Unlock()
	s.log.Debug("watching", "dir", dir)
	s.forwardFallbackWatch(w, "watch-error:"+dir)
}

// fallbackWatchIgnores leaves out the `donkeyls dev` socket directory; the
// watcher itself skips node_modules and .git.
func fallbackWatchIgnores(path string, isDir bool) bool {
	return isDir && filepath.Base(path) == ".donkeyls"
}
