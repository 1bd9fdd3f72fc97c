// Package watch reports changes under a project directory as debounced,
// deduplicated batches of paths. It watches recursively (fsnotify holds one
// inotify watch per directory), picks up directories created later, skips
// node_modules and .git, and never loses a change: whatever happens while the
// consumer is busy with a batch lands in the next one.
package watch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/donkeyls/donkeyls/internal/pseudofs"
)

// DefaultDebounce is the quiet time that ends a burst when Options.Debounce is 0.
const DefaultDebounce = 100 * time.Millisecond

// maxBurst bounds how long a burst that never goes quiet (a build writing
// for seconds) holds back its batch, in multiples of the debounce.
const maxBurst = 20

// Options configure a Watcher.
type Options struct {
	// Ignore, when set, reports paths (absolute) to leave out, in addition
	// to node_modules and .git. An ignored directory is not descended into.
	// isDir is false for a path that no longer exists.
	Ignore func(path string, isDir bool) bool
	// Debounce is how long the tree must stay quiet before a batch is
	// delivered; 0 means DefaultDebounce.
	Debounce time.Duration
	// Shallow watches the root directory alone: its files, and its
	// subdirectories appearing or vanishing, but nothing inside them.
	Shallow bool
}

// Watcher watches one directory tree.
type Watcher struct {
	root     string
	shallow  bool
	ignore   func(string, bool) bool
	debounce time.Duration
	fsw      *fsnotify.Watcher
	// add is fsw.Add; tests replace it to simulate the kernel's limits.
	add func(string) error

	batches chan []string
	errs    chan error

	cancel    context.CancelFunc
	done      chan struct{}
	closeOnce sync.Once

	// limitReported keeps a full watch table from flooding Errors.
	limitReported bool
}

// New starts watching root. Errors that do not stop the watcher (a
// directory that cannot be watched, the kernel's watch limit) arrive on
// Errors; New fails only when no watcher can be created at all.
func New(ctx context.Context, root string, opts Options) (*Watcher, error) {
	return newWatcher(ctx, root, opts, nil)
}

// newWatcher is New with the kernel's Add replaceable for tests.
func newWatcher(ctx context.Context, root string, opts Options, add func(string) error) (*Watcher, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("watching %s: %w", root, err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("watching %s: %w", root, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("watching %s: not a directory", root)
	}
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, limitError(abs, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	w := &Watcher{
		root:     abs,
		shallow:  opts.Shallow,
		ignore:   opts.Ignore,
		debounce: opts.Debounce,
		fsw:      fsw,
		add:      fsw.Add,
		batches:  make(chan []string),
		errs:     make(chan error, 16),
		cancel:   cancel,
		done:     make(chan struct{}),
	}
	if w.debounce <= 0 {
		w.debounce = DefaultDebounce
	}
	if add != nil {
		w.add = add
	}
	w.addTree(abs, nil)
	go w.loop(ctx)
	return w, nil
}

// Batches delivers one sorted, deduplicated batch of absolute paths per
// burst of changes. A batch may name directories (created, removed or
// renamed ones) and paths that no longer exist. It is closed by Close.
func (w *Watcher) Batches() <-chan []string { return w.batches }

// Errors reports problems that do not stop watching. It is closed by Close.
func (w *Watcher) Errors() <-chan error { return w.errs }

// Close stops watching and closes both channels. It is safe to call twice.
func (w *Watcher) Close() error {
	var err error
	w.closeOnce.Do(func() {
		w.cancel()
		<-w.done
		err = w.fsw.Close()
	})
	return err
}

// Root is the watched directory, absolute.
func (w *Watcher) Root() string { return w.root }

func (w *Watcher) ignored(path string, isDir bool) bool {
	rel, err := filepath.Rel(w.root, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return true
	}
	for part := range strings.SplitSeq(filepath.ToSlash(rel), "/") {
		if part == "node_modules" || part == ".git" {
			return true
		}
	}
	return w.ignore != nil && w.ignore(path, isDir)
}

// addTree watches dir and every directory below it. When found is not nil,
// every file already inside is added to it: files created in a new directory
// before its watch existed would otherwise never be reported.
func (w *Watcher) addTree(dir string, found map[string]struct{}) {
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == dir && errors.Is(err, fs.ErrNotExist) {
				return nil // gone again before we got to it
			}
			w.report(fmt.Errorf("watching %s: %w", path, err))
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if w.ignored(path, d.IsDir()) || d.IsDir() && pseudofs.Skip(path) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !d.IsDir() {
			if found != nil {
				found[path] = struct{}{}
			}
			return nil
		}
		if w.shallow && path != w.root {
			return fs.SkipDir
		}
		if err := w.add(path); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return fs.SkipDir
			}
			w.report(limitError(path, err))
			if errors.Is(err, syscall.ENOSPC) {
				// The watch table is full; every further Add fails the same way.
				return fs.SkipAll
			}
			return fs.SkipDir
		}
		if found != nil && path != dir {
			found[path] = struct{}{}
		}
		return nil
	})
}

// report hands err to Errors without ever blocking the event loop: when the
// consumer does not read errors, the oldest are what it gets.
func (w *Watcher) report(err error) {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EMFILE) {
		if w.limitReported {
			return
		}
		w.limitReported = true
	}
	select {
	case w.errs <- err:
	default:
	}
}

func (w *Watcher) loop(ctx context.Context) {
	defer close(w.done)
	defer close(w.errs)
	defer close(w.batches)

	pending := map[string]struct{}{}
	var ready []string // a batch waiting for the consumer
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	var burstStart time.Time
	arm := func() {
		now := time.Now()
		if burstStart.IsZero() {
			burstStart = now
		}
		d := w.debounce
		if limit := burstStart.Add(maxBurst * w.debounce).Sub(now); limit < d {
			d = max(limit, 0)
		}
		timer.Reset(d)
	}

	for {
		var out chan<- []string
		if len(ready) > 0 {
			out = w.batches
		}
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.fsw.Events:
			if !ok {
				return
			}
			if w.handle(ev, pending) {
				arm()
			}
		case err, ok := <-w.fsw.Errors:
			if !ok {
				return
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				// The kernel dropped events: we no longer know what changed,
				// so report everything and let the consumer compare contents.
				w.report(fmt.Errorf("watching %s: the kernel's inotify event queue overflowed (fs.inotify.max_queued_events); rescanning every file", w.root))
				w.addTree(w.root, pending)
				arm()
				continue
			}
			w.report(fmt.Errorf("watching %s: %w", w.root, err))
		case <-timer.C:
			if w.midSave(pending) && time.Since(burstStart) < maxBurst*w.debounce {
				arm()
				continue
			}
			ready = merge(ready, pending)
			pending = map[string]struct{}{}
			burstStart = time.Time{}
		case out <- ready:
			ready = nil
		}
	}
}

// midSave reports whether a changed file is empty now. A save is rarely one
// step: editors truncate and rewrite in place, or create the file and then
// write it, and a writer that stalls in between (a loaded machine, a slow
// disk) leaves an empty file for longer than the debounce. Cutting the burst
// then hands the consumer that torn moment (a plugin "removed", a needless
// typegen and restart); holding it until the write lands, or until the
// burst cap for a file emptied for good, hands it the save.
func (w *Watcher) midSave(pending map[string]struct{}) bool {
	for path := range pending {
		if st, err := os.Lstat(path); err == nil && st.Mode().IsRegular() && st.Size() == 0 {
			return true
		}
	}
	return false
}

// handle records one event and reports whether it is a change worth a batch.
func (w *Watcher) handle(ev fsnotify.Event, pending map[string]struct{}) bool {
	if ev.Op == fsnotify.Chmod || ev.Name == "" {
		// Attribute changes (touch, editors' metadata) change no content.
		return false
	}
	path := filepath.Clean(ev.Name)
	var isDir bool
	if ev.Has(fsnotify.Create) {
		if st, err := os.Lstat(path); err == nil && st.IsDir() {
			isDir = true
		}
	}
	if w.ignored(path, isDir) {
		return false
	}
	if isDir && !w.shallow {
		w.addTree(path, pending)
	}
	if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
		w.forgetTree(path)
	}
	pending[path] = struct{}{}
	return true
}

// forgetTree drops the watches below a directory that was removed or moved
// away: inotify would keep reporting a moved directory under its old name.
func (w *Watcher) forgetTree(path string) {
	prefix := path + string(filepath.Separator)
	for _, p := range w.fsw.WatchList() {
		if p == path || strings.HasPrefix(p, prefix) {
			_ = w.fsw.Remove(p)
		}
	}
}

func merge(ready []string, pending map[string]struct{}) []string {
	if len(pending) == 0 {
		return ready
	}
	for _, p := range ready {
		pending[p] = struct{}{}
	}
	out := make([]string, 0, len(pending))
	for p := range pending {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// limitError explains the kernel limits users hit on big trees, with the
// setting to raise.
func limitError(path string, err error) error {
	switch {
	case errors.Is(err, syscall.ENOSPC):
		return fmt.Errorf("watching %s: the inotify watch limit is reached (fs.inotify.max_user_watches = %s); "+
			"raise it with `sudo sysctl fs.inotify.max_user_watches=524288` (add it to /etc/sysctl.d/ to keep it): %w",
			path, readLimit("max_user_watches"), err)
	case errors.Is(err, syscall.EMFILE):
		return fmt.Errorf("watching %s: the inotify instance limit is reached (fs.inotify.max_user_instances = %s); "+
			"raise it with `sudo sysctl fs.inotify.max_user_instances=1024` (add it to /etc/sysctl.d/ to keep it): %w",
			path, readLimit("max_user_instances"), err)
	}
	return fmt.Errorf("watching %s: %w", path, err)
}

func readLimit(name string) string {
	b, err := os.ReadFile("/proc/sys/fs/inotify/" + name)
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}
