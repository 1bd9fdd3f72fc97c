package lsp

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"go.lsp.dev/protocol"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/internal/ossource"
	"github.com/donkeyls/donkeyls/internal/pseudofs"
	"github.com/donkeyls/donkeyls/internal/srcfile"
	"github.com/donkeyls/donkeyls/lsp/settings"
	"github.com/donkeyls/donkeyls/lsp/text"
	"github.com/donkeyls/donkeyls/reload/control"
	"github.com/donkeyls/donkeyls/reload/typegen"
)

// projectState is one project of the workspace: its current snapshot, what
// changed since, and the worker that turns changes into diagnostics.
type projectState struct {
	srv  *Server
	root string
	kick chan struct{}
	done chan struct{}
	// ready is closed after the first load, successful or not.
	ready     chan struct{}
	readyOnce sync.Once
	// ctx ends the project's goroutines: at shutdown, or when it is retired.
	ctx    context.Context
	cancel context.CancelFunc

	mu        sync.Mutex
	snap      Snapshot           // last analyzed; nil until the first load
	analyzed  []analysis.Finding // the analyzers' findings on snap
	findings  []analysis.Finding // analyzed plus restart-required: what was published
	versions  map[string]int32   // open-document version of each path's content in snap
	dirty     map[string]uint64
	seq       uint64
	wantLoad  uint64 // a full Load is needed while wantLoad != loaded
	loaded    uint64
	published map[string]publishedEntry // canonical path -> what was last published
	// retired is set once the project left the workspace: it publishes
	// nothing more. Written holding both pubMu and mu, so either guards a read.
	retired bool
	loadErr string
	// firstDirs are the listings of the discovery that found the project,
	// for its first load only; nil after.
	firstDirs *project.Listings

	runner        *typegen.Runner
	runnerTimeout time.Duration
	lines         map[*progress]struct{} // progress reports fed by the runner's output
	lastFailure   string                 // the failed run last shown to the user

	sup    *control.Status // what the supervised dev server loaded; nil without one
	supKey string

	tracker statusTracker // typegen runs and failures, for donkeyls/status
	status  statusSender

	watcher io.Closer // our own watcher on the root, when the client has none

	// pubMu is held across one publish, and across retire's clearing, so
	// retire never clears a file that a publish then sends again.
	pubMu sync.Mutex
}

func newProjectState(s *Server, root string) *projectState {
	return &projectState{
		srv:       s,
		root:      root,
		kick:      make(chan struct{}, 1),
		done:      make(chan struct{}),
		ready:     make(chan struct{}),
		versions:  map[string]int32{},
		dirty:     map[string]uint64{},
		wantLoad:  1,
		published: map[string]publishedEntry{},
		lines:     map[*progress]struct{}{},
		status:    newStatusSender(),
	}
}

// discover finds the projects under a workspace folder and starts each;
// with dirs, the search lists directories through it and each project's
// first load reads the same listings (nil: both read the disk). A
// folder that is a project itself starts loading at once: the search of
// the whole tree for nested ones (a walk as long as the load's own on a
// large project) runs beside it, and finds that root again.
func (s *Server) discover(dir string, dirs *project.Listings) {
	if isProjectRoot(dir) {
		s.disp.Enqueue(func(context.Context) { s.addProject(dir, dirs) })
	}
	var src project.Source
	if dirs != nil {
		src = dirs
	}
	roots, err := s.engine.Discover(s.work, src, dir)
	var limit *project.LimitError
	switch {
	case errors.As(err, &limit):
		// The folder is far too big (`/`, a home directory): say so once,
		// and still serve what was found.
		s.log.Warn("searching for projects", "err", err)
		s.showOnce("discover-limit:"+dir, protocol.MessageTypeWarning, "donkeyls %v", err)
	case err != nil:
		s.log.Info("no donkeylabs project under the folder", "folder", dir, "err", err)
		return
	}
	s.disp.Enqueue(func(context.Context) {
		for _, root := range roots {
			s.addProject(root, dirs)
		}
	})
}

// isProjectRoot reports whether dir holds the project's config, which is
// what makes discovery list a directory as a root (read through the Source
// discovery reads).
func isProjectRoot(dir string) bool {
	if pseudofs.Skip(dir) {
		return false
	}
	st, err := ossource.Source{}.Stat(filepath.Join(dir, project.ConfigFile))
	return err == nil && !st.IsDir()
}

// addProject starts a project unless it is known already; its first load
// lists directories through dirs when that is not nil.
func (s *Server) addProject(root string, dirs *project.Listings) {
	root = filepath.Clean(root)
	s.mu.Lock()
	for _, ps := range s.projects {
		if ps.root == root {
			s.mu.Unlock()
			return
		}
	}
	ps := newProjectState(s, root)
	ps.firstDirs = dirs
	ps.ctx, ps.cancel = context.WithCancel(s.work)
	s.projects = append(s.projects, ps)
	set := s.settings
	selfWatch := s.selfWatch && !s.watchedByAncestor(root)
	s.mu.Unlock()
	ps.configureRunner(set)
	if selfWatch {
		s.fallbackWatchProject(ps)
	}
	s.log.Info("project", "root", root)
	s.goWork(func() { ps.loop(ps.ctx) })
	s.goWork(func() { ps.linkDev(ps.ctx) })
	s.goWork(func() { ps.sendStatuses(ps.ctx) })
	ps.statusChanged()
	ps.poke()
}

// watchedByAncestor reports whether a project enclosing root already has
// our watcher, which sees root's files too (a nested project). Discovery
// lists roots sorted, so an enclosing project comes first. s.mu is held.
func (s *Server) watchedByAncestor(root string) bool {
	for _, ps := range s.projects {
		if ps.root == root || !within(ps.root, root) {
			continue
		}
		ps.mu.Lock()
		w := ps.watcher
		ps.mu.Unlock()
		if w != nil {
			return true
		}
	}
	return false
}

// removeFolder forgets the projects under dir and clears their diagnostics.
func (s *Server) removeFolder(dir string) {
	s.mu.Lock()
	var keep, gone []*projectState
	for _, ps := range s.projects {
		if within(dir, ps.root) {
			gone = append(gone, ps)
		} else {
			keep = append(keep, ps)
		}
	}
	s.projects = keep
	for i, f := range s.folders {
		if f == dir {
			s.folders = append(s.folders[:i:i], s.folders[i+1:]...)
			break
		}
	}
	fw := s.folderWatch[dir]
	delete(s.folderWatch, dir)
	s.mu.Unlock()
	if fw != nil {
		_ = fw.Close()
	}
	for _, ps := range gone {
		ps.retire()
	}
}

// projectFor is the project with the longest root containing path.
func (s *Server) projectFor(path string) *projectState {
	s.mu.Lock()
	defer s.mu.Unlock()
	var best *projectState
	for _, ps := range s.projects {
		if within(ps.root, path) && (best == nil || len(ps.root) > len(best.root)) {
			best = ps
		}
	}
	return best
}

// projectByRoot finds a project by its root directory.
func (s *Server) projectByRoot(root string) *projectState {
	root = filepath.Clean(root)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ps := range s.projects {
		if ps.root == root {
			return ps
		}
	}
	return nil
}

// within reports whether path is dir or lies below it.
func within(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	if err != nil {
		return false
	}
	return rel == "." || (rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel))
}

// poke wakes the worker without blocking.
func (ps *projectState) poke() {
	select {
	case ps.kick <- struct{}{}:
	default:
	}
}

// markDirty records that path's content changed, then wakes the worker.
func (ps *projectState) markDirty(path string) { ps.record([]string{path}, false) }

// requestLoad asks for a full reload (configuration, package.json, a
// directory that appeared or vanished).
func (ps *projectState) requestLoad() { ps.record(nil, true) }

// record notes changed paths and whether a full load is needed, then wakes
// the worker once for the whole batch.
func (ps *projectState) record(paths []string, load bool) {
	ps.mu.Lock()
	for _, p := range paths {
		ps.seq++
		ps.dirty[p] = ps.seq
	}
	if load {
		ps.wantLoad++
	}
	ps.mu.Unlock()
	ps.poke()
}

// concerns reports whether a change to path can matter to this project.
func (ps *projectState) concerns(path string) bool {
	ps.mu.Lock()
	snap := ps.snap
	ps.mu.Unlock()
	if snap == nil {
		return true // still loading: keep every change for after the load
	}
	return snap.Analyzes(path) || snap.IsGenerated(path)
}

// current returns the last analyzed snapshot and its findings.
func (ps *projectState) current() (Snapshot, []analysis.Finding, map[string]int32) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.snap, ps.findings, ps.versions
}

// loop is the project's worker: it waits for a change, waits for the burst
// to go quiet for the debounce time, and analyzes. A change that arrives
// while an incremental analysis runs supersedes it: the run is cancelled and
// the wait for quiet starts again, so a burst of keystrokes costs one
// analysis, not one per keystroke. A full load is never superseded that
// way: on a large project, typing during indexing would otherwise keep it
// from ever finishing; what changed meanwhile is analyzed right after.
func (ps *projectState) loop(ctx context.Context) {
	defer close(ps.done)
	delay := ps.srv.opts.Debounce
	if delay == 0 {
		delay = DefaultDebounce
	}
	// The project's first load does not wait for quiet: there is no burst
	// to merge yet, a load is never superseded anyway, and indexing is what
	// the user waits for (the debounce was half the budget of a warm
	// start). Buffers opened meanwhile are analyzed right after it.
	wait := false
	for ps.waitChange(ctx) {
		// Until a run is not superseded: each new burst settles first.
		outcome := runSuperseded
		for outcome == runSuperseded {
			if wait && !ps.waitQuiet(ctx, delay) {
				return
			}
			wait = true
			outcome = ps.runAnalysis(ctx)
		}
		if outcome == runStopped {
			return
		}
	}
}

// waitChange waits for the next recorded change; false when ctx ends first.
func (ps *projectState) waitChange(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return false
	case <-ps.kick:
		return true
	}
}

// waitQuiet waits until no change has been recorded for delay (each one
// starts the wait again); false when ctx ends first.
func (ps *projectState) waitQuiet(ctx context.Context, delay time.Duration) bool {
	if delay <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(delay)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-ps.kick:
			timer.Reset(delay)
		case <-timer.C:
			return true
		}
	}
}

// runOutcome is how one analysis run ended.
type runOutcome int

const (
	runFinished   runOutcome = iota // it ran to its end
	runSuperseded                   // a change arrived during an incremental run, which was cancelled
	runStopped                      // the project's context ended
)

// runAnalysis runs one analysis and waits for it: a full load to its end,
// an incremental run until it ends or a change supersedes it. Either way
// the run has stopped when it returns.
func (ps *projectState) runAnalysis(ctx context.Context) runOutcome {
	ps.mu.Lock()
	load := ps.snap == nil || ps.wantLoad != ps.loaded
	ps.mu.Unlock()
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		ps.analyze(runCtx)
	}()
	var changed <-chan struct{}
	if !load {
		changed = ps.kick // a nil channel never fires: a load is not superseded
	}
	select {
	case <-finished:
		return runFinished
	case <-changed:
		cancel()
		<-finished
		return runSuperseded
	case <-ctx.Done():
		cancel()
		<-finished
		return runStopped
	}
}

// analyze brings the snapshot up to date with every recorded change and
// publishes the findings. Nothing is committed when ctx is cancelled
// midway: the changes stay recorded for the next run.
func (ps *projectState) analyze(ctx context.Context) {
	s := ps.srv
	ps.mu.Lock()
	base := ps.snap
	analyzed := ps.analyzed
	wantLoad := ps.wantLoad
	load := base == nil || wantLoad != ps.loaded
	dirty := make(map[string]uint64, len(ps.dirty))
	maps.Copy(dirty, ps.dirty)
	reread := ps.tracker.recorded // the typegen runs whose outputs this run reads
	ps.mu.Unlock()

	src := s.overlay()
	if load {
		// The first load reads the listings its discovery made, a moment
		// old: what changed since reaches us as a watched-file change, like
		// any change made during a load. Every later load lists the disk.
		ps.mu.Lock()
		dirs := ps.firstDirs
		ps.firstDirs = nil
		ps.mu.Unlock()
		if dirs != nil {
			src.Source = dirs
			// Another project's first load may still read them; it lists
			// the disk itself once they are forgotten.
			defer dirs.Forget()
		}
	}
	var cur Snapshot
	var err error
	changed := false // whether any content really differs from the snapshot's
	started := time.Now()
	if load {
		cur, err = ps.load(ctx, src)
	} else {
		cur = base
		for path := range dirty {
			data, rerr := src.ReadFile(path)
			switch {
			case rerr == nil && cur.Holds(path, data):
			case rerr == nil:
				cur = cur.WithFile(path, data)
				changed = true
			case errors.Is(rerr, fs.ErrNotExist):
				cur = cur.WithoutFile(path)
				changed = true
			default:
				s.log.Warn("reading a changed file", "path", path, "err", rerr)
			}
		}
		if cur.NeedsReload() {
			cur, err = ps.load(ctx, src)
			load = true
		}
	}
	if ctx.Err() != nil {
		return
	}
	if err != nil {
		ps.loadFailed(err)
		// What was published came from a project that no longer reads
		// (its config was deleted, say): clear it. The next change that
		// makes it a project again loads it afresh.
		ps.mu.Lock()
		ps.snap, ps.analyzed, ps.findings = nil, nil, nil
		ps.tracker.reread = reread
		ps.mu.Unlock()
		ps.clearPublished()
		ps.readyOnce.Do(func() { close(ps.ready) })
		ps.statusChanged()
		return
	}
	// Nothing changed in the sources (a save, a supervisor restart, a file
	// opened as it is on disk): only restart-required can differ, so the
	// analyzers are not run again.
	if load || changed {
		analyzed = cur.Findings(ctx)
		if ctx.Err() != nil {
			return
		}
	}
	ps.mu.Lock()
	sup := ps.sup
	ps.mu.Unlock()
	findings := analyzed
	if extra := restartFindings(cur, sup, src.unsaved, ps.root); len(extra) > 0 {
		findings = append(append([]analysis.Finding(nil), analyzed...), extra...)
	}
	versions := src.versionsWithin(ps.root)

	ps.mu.Lock()
	ps.snap = cur
	ps.analyzed = analyzed
	ps.findings = findings
	ps.versions = versions
	ps.loadErr = ""
	ps.tracker.reread = reread
	if load {
		ps.loaded = wantLoad
	}
	for p, n := range dirty {
		if ps.dirty[p] == n {
			delete(ps.dirty, p)
		}
	}
	again := len(ps.dirty) > 0 || ps.wantLoad != ps.loaded
	ps.mu.Unlock()
	s.log.Debug("analyzed", "root", ps.root, "changed", len(dirty), "load", load, "took", time.Since(started).Round(time.Microsecond), "findings", len(findings))

	if load {
		// The project's own typegen command may have changed with its config.
		ps.configureRunner(s.currentSettings())
	}
	ps.readyOnce.Do(func() { close(ps.ready) })
	ps.publish(findings, versions, dirty, load, src)
	ps.statusChanged()
	if load && s.opts.AfterLoad != nil {
		go s.opts.AfterLoad()
	}
	if again {
		ps.poke()
	}
}

func (ps *projectState) load(ctx context.Context, src *overlaySource) (Snapshot, error) {
	s := ps.srv
	first := ps.isFirstLoad()
	var prog *progress
	if first {
		prog = s.beginProgress(nil, ProgressIndexing+filepath.Base(ps.root), nil)
	}
	snap, err := s.engine.Load(ctx, ps.root, src)
	if prog != nil {
		if err != nil {
			prog.end("failed")
		} else {
			prog.end("done")
		}
	}
	return snap, err
}

func (ps *projectState) isFirstLoad() bool {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.snap == nil
}

// loadFailed reports a project that cannot be read, once per distinct error.
func (ps *projectState) loadFailed(err error) {
	msg := err.Error()
	ps.mu.Lock()
	repeat := ps.loadErr == msg
	ps.loadErr = msg
	ps.mu.Unlock()
	switch {
	case repeat:
	case errors.Is(err, project.ErrNoProject):
		// Its config was deleted or moved: not a failure to shout about.
		ps.srv.log.Info("no longer a project", "root", ps.root, "err", err)
		ps.srv.showMessage(protocol.MessageTypeInfo, "donkeyls: %s is no longer a donkeylabs project (no %s); its diagnostics are cleared until it is one again", ps.root, project.ConfigFile)
	default:
		ps.srv.log.Error("loading the project", "root", ps.root, "err", err)
		ps.srv.showMessage(protocol.MessageTypeError, "donkeyls could not read the project in %s: %v", ps.root, err)
	}
}

// retireGrace bounds how long retiring a project waits for its analysis to
// notice the cancellation. An analysis checks its context between files, so
// this is only reached by a stuck read; the retired flag still keeps any
// late result from being published.
const retireGrace = 5 * time.Second

// retire stops the project's work, waits (bounded) for its worker to end,
// then clears every URI it published, under the spelling it published it.
// Clearing before the worker ended would let a pending analysis publish
// again afterwards, and nothing would ever clear that.
func (ps *projectState) retire() {
	if ps.cancel != nil {
		ps.cancel()
	}
	select {
	case <-ps.done:
	case <-time.After(retireGrace):
		ps.srv.log.Error("the analysis of a retired project did not stop in time", "root", ps.root, "waited", retireGrace)
	}
	ps.pubMu.Lock()
	defer ps.pubMu.Unlock()
	ps.mu.Lock()
	ps.retired = true
	w := ps.watcher
	ps.mu.Unlock()
	if w != nil {
		_ = w.Close()
	}
	ps.clearPublished()
	ps.sendRemoved()
	ps.srv.log.Info("project retired", "root", ps.root)
}

// clearPublished sends an empty list for every URI the project published
// and forgets them.
func (ps *projectState) clearPublished() {
	ps.mu.Lock()
	uris := make([]string, 0, len(ps.published))
	for _, e := range ps.published {
		uris = append(uris, e.uri)
	}
	ps.published = map[string]publishedEntry{}
	ps.mu.Unlock()
	slices.Sort(uris)
	for _, u := range uris {
		ps.srv.notify("textDocument/publishDiagnostics", publishParams{URI: u, Diagnostics: []protocol.Diagnostic{}})
	}
}

// typegenCommand is the command a typegen run would execute now.
func (ps *projectState) typegenCommand() string {
	set := ps.srv.currentSettings()
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.commandLocked(set)
}

func (ps *projectState) commandLocked(set settings.Settings) string {
	var cfg *project.Config
	if ps.snap != nil {
		cfg = ps.snap.Config()
	}
	return project.TypegenCommand(set.Typegen.Command, cfg)
}

// configureRunner creates or updates the project's typegen runner.
func (ps *projectState) configureRunner(set settings.Settings) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	cmd := ps.commandLocked(set)
	if ps.runner != nil && ps.runnerTimeout == set.Typegen.Timeout {
		ps.runner.SetCommand(cmd)
		return
	}
	if ps.runner != nil && ps.runner.Running() {
		// Keep the running one; the new timeout applies from the next
		// configuration change after it finished. Rare enough.
		ps.runner.SetCommand(cmd)
		return
	}
	ps.runnerTimeout = set.Typegen.Timeout
	ps.runner = typegen.NewRunner(typegen.Options{
		Dir:     ps.root,
		Command: cmd,
		Timeout: set.Typegen.Timeout,
		OnLine:  ps.outputLine,
	})
}

// outputLine forwards one line of typegen output to the log and to every
// progress report watching the run.
func (ps *projectState) outputLine(line string) {
	ps.srv.log.Debug("typegen output", "project", filepath.Base(ps.root), "line", line)
	ps.mu.Lock()
	reports := make([]*progress, 0, len(ps.lines))
	for p := range ps.lines {
		reports = append(reports, p)
	}
	ps.mu.Unlock()
	for _, p := range reports {
		p.report(line)
	}
}

// waitIdle waits for the typegen runner to stop after its callers were
// cancelled, so that no child process outlives the server.
func (ps *projectState) waitIdle(log *slog.Logger) {
	ps.mu.Lock()
	r := ps.runner
	ps.mu.Unlock()
	if r == nil {
		return
	}
	deadline := time.Now().Add(shutdownGrace)
	for r.Running() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if r.Running() {
		log.Error("typegen still running at exit", "root", ps.root)
	}
}

// buffers reads the open file buffers as they were when it was made, and
// the disk for every other path.
type buffers map[string]*text.Document

// buffers captures the open file buffers, by clean path.
func (s *Server) buffers() buffers {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := make(buffers, len(s.docs))
	for _, d := range s.docs {
		if d.URI.IsFile() {
			b[d.URI.Path] = d
		}
	}
	return b
}

// ReadFile implements project.Source.
func (b buffers) ReadFile(path string) ([]byte, error) {
	if d, ok := b[filepath.Clean(path)]; ok {
		return []byte(d.Text()), nil
	}
	return srcfile.Read(path)
}

// overlaySource reads open buffers first and the disk otherwise. It holds
// the buffers as they were when it was made, so one analysis sees one
// consistent state of the editor.
type overlaySource struct {
	// Source is the operating system's: everything but open buffers.
	project.Source
	docs buffers
	// unsaved are the open buffers whose text differs from the last save.
	unsaved map[string]bool
}

func (s *Server) overlay() *overlaySource {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := &overlaySource{Source: ossource.Source{}, docs: make(buffers, len(s.docs)), unsaved: map[string]bool{}}
	for k, d := range s.docs {
		if !d.URI.IsFile() {
			continue
		}
		o.docs[d.URI.Path] = d
		if saved, ok := s.saved[k]; !ok || saved != d.Text() {
			o.unsaved[d.URI.Path] = true
		}
	}
	return o
}

// ReadFile implements project.Source.
func (o *overlaySource) ReadFile(path string) ([]byte, error) {
	if d, ok := o.docs[filepath.Clean(path)]; ok {
		return []byte(d.Text()), nil
	}
	return o.Source.ReadFile(path)
}

// ReadFileInto implements project.IntoReader: open buffers first, then the
// disk into buf.
func (o *overlaySource) ReadFileInto(path string, buf []byte) ([]byte, error) {
	if d, ok := o.docs[filepath.Clean(path)]; ok {
		return []byte(d.Text()), nil
	}
	return project.ReadFileInto(o.Source, path, buf)
}

// BufferPaths implements project.Buffers: a buffer opened on a path that
// does not exist on disk yet (a new migration) is analyzed like a file.
func (o *overlaySource) BufferPaths() []string {
	out := make([]string, 0, len(o.docs))
	for p := range o.docs {
		out = append(out, p)
	}
	return out
}

// versionsWithin are the versions of the open documents under root.
func (o *overlaySource) versionsWithin(root string) map[string]int32 {
	out := map[string]int32{}
	for p, d := range o.docs {
		if within(root, p) {
			out[p] = d.Version
		}
	}
	return out
}
