// Package supervisor runs a project's dev server for `donkeyls dev`: it
// starts the server in its own process group, watches the project, asks the
// classifier what each burst of edits needs, and runs typegen and restarts
// accordingly, one line of explanation per decision. It never runs two
// servers at once, backs off when the server keeps crashing, and leaves no
// process behind when it stops.
package supervisor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/donkeyls/donkeyls/analysis/impact"
	"github.com/donkeyls/donkeyls/reload/classify"
	"github.com/donkeyls/donkeyls/reload/control"
	"github.com/donkeyls/donkeyls/reload/hotplugin"
	"github.com/donkeyls/donkeyls/reload/internal/procgroup"
	"github.com/donkeyls/donkeyls/reload/typegen"
	"github.com/donkeyls/donkeyls/reload/watch"
)

// Defaults for Options left zero.
const (
	DefaultGrace        = 5 * time.Second
	DefaultBackoffMin   = time.Second
	DefaultBackoffMax   = 30 * time.Second
	DefaultReadyTimeout = 60 * time.Second
	// stableAfter is how long a server must have run for its exit not to
	// count as one more crash in a row.
	stableAfter = 10 * time.Second
	// portFreeTimeout bounds the wait for an old server's port.
	portFreeTimeout = 10 * time.Second
	// tailLines is how much output a crash report shows.
	tailLines = 12
)

// Classifier decides what a batch of changed paths needs. It is called from
// the supervisor's loop only.
type Classifier interface {
	Classify(ctx context.Context, changed []string) classify.Decision
	// TypegenWrote is called right after every typegen run, before the
	// batch holding its outputs, so they are recognised by content.
	TypegenWrote()
	// Loaded fingerprints the code a server started now would load.
	Loaded() map[string]uint64
	// Fingerprint is path as last classified: its bytes' hash
	// (facts.HashBytes) and its code hash; ok is false for a file the
	// classifier does not model.
	Fingerprint(path string) (hash, codeHash uint64, ok bool)
}

// Options configure a Supervisor.
type Options struct {
	Root    string
	Command []string // the dev server, run in Root
	// DevServer is what the command reloads by itself (DevServerOf).
	DevServer      DevServer
	Typegen        string // shell command
	TypegenTimeout time.Duration
	// RestartOnTypegenFailure restarts even when typegen failed, with stale types.
	RestartOnTypegenFailure bool
	Grace                   time.Duration // SIGTERM to SIGKILL
	Port                    int           // 0 when unknown
	Debounce                time.Duration
	BackoffMin, BackoffMax  time.Duration
	ReadyTimeout            time.Duration
	Classifier              Classifier
	Env                     []string // added to the server's environment
	Stdout, Stderr          io.Writer
	// NoControl skips the control socket.
	NoControl bool
	// HotPlugins applies an edit confined to a plugin's service function
	// inside the running server (reload/hotplugin) when the command is Bun
	// running the entry itself; everything else restarts as before.
	HotPlugins bool
	// HotTimeout bounds one in-place reload (hotplugin.DefaultTimeout when 0).
	HotTimeout time.Duration
}

// Supervisor is one `donkeyls dev` run.
type Supervisor struct {
	opts      Options
	log       io.Writer
	serverOut *prefixWriter
	serverErr *prefixWriter
	tail      *lines
	typegen   *typegen.Runner
	reqs      chan request
	done      chan struct{}

	mu sync.Mutex
	st control.Status

	// Owned by the loop.
	proc        *procgroup.Process
	crashes     int
	notBefore   time.Time
	startWanted string // reason of a start waiting for the backoff, "" for none
	startFailed error  // why the last start could not even run the command; nil after a start
	retry       *time.Timer
	owed        string // a restart withheld because typegen failed
	// typegenOwed: the last typegen failed, so the next restart runs it first.
	typegenOwed bool

	// command and env start the server: the options', plus the hot plugin
	// preload when it is used.
	command []string
	env     []string
	hot     *hotplugin.Host // nil without hot plugins
	// hotSaid holds the "hot plugins off" reasons already printed (under mu).
	hotSaid map[string]bool
}

type request struct {
	op     string
	reason string
	reply  chan error
}

// New checks opts and fills defaults.
func New(opts Options) (*Supervisor, error) {
	if opts.Root == "" || len(opts.Command) == 0 {
		return nil, errors.New("supervisor: a root and a command are required")
	}
	if opts.Classifier == nil {
		return nil, errors.New("supervisor: a classifier is required")
	}
	if opts.Grace <= 0 {
		opts.Grace = DefaultGrace
	}
	if opts.BackoffMin <= 0 {
		opts.BackoffMin = DefaultBackoffMin
	}
	if opts.BackoffMax < opts.BackoffMin {
		opts.BackoffMax = max(DefaultBackoffMax, opts.BackoffMin)
	}
	if opts.ReadyTimeout <= 0 {
		opts.ReadyTimeout = DefaultReadyTimeout
	}
	if opts.Stdout == nil {
		opts.Stdout = io.Discard
	}
	if opts.Stderr == nil {
		opts.Stderr = opts.Stdout
	}
	var mu sync.Mutex
	out := syncWriter{&mu, opts.Stdout}
	errw := syncWriter{&mu, opts.Stderr}
	tail := newLines(tailLines)
	s := &Supervisor{
		opts:      opts,
		log:       out,
		tail:      tail,
		serverOut: &prefixWriter{w: out, prefix: "[app] ", tail: tail},
		serverErr: &prefixWriter{w: errw, prefix: "[app] ", tail: tail},
		reqs:      make(chan request),
		done:      make(chan struct{}),
		st:        control.Status{State: control.StateStarting, Loaded: map[string]string{}},
		command:   opts.Command,
		env:       opts.Env,
		hotSaid:   map[string]bool{},
	}
	if opts.DevServer != PlainServer {
		s.st.DevServer = opts.DevServer.String()
	}
	s.typegen = typegen.NewRunner(typegen.Options{
		Dir: opts.Root, Command: opts.Typegen, Timeout: opts.TypegenTimeout,
		OnLine: func(l string) { fmt.Fprintf(out, "[typegen] %s\n", l) },
	})
	return s, nil
}

func (s *Supervisor) logf(format string, args ...any) {
	fmt.Fprintf(s.log, "[dev] "+format+"\n", args...)
}

// Run supervises until ctx is cancelled, then stops the server and returns.
// It returns an error only when supervision cannot begin.
func (s *Supervisor) Run(ctx context.Context) error {
	defer close(s.done)
	dotDir := filepath.Join(s.opts.Root, control.Dir)
	w, err := watch.New(ctx, s.opts.Root, watch.Options{
		Debounce: s.opts.Debounce,
		Ignore:   func(path string, _ bool) bool { return path == dotDir },
	})
	if err != nil {
		return err
	}
	defer w.Close()
	if !s.opts.NoControl {
		srv, err := control.Listen(s.opts.Root, s)
		if err != nil {
			return err
		}
		defer srv.Close()
	}
	if s.opts.HotPlugins {
		if host := s.startHot(); host != nil {
			defer host.Close() // after shutdown: the server's end goes first
		}
	}
	defer s.shutdown()

	s.logf("supervising `%s` in %s; %s", Describe(s.opts.Command), s.opts.Root, s.reloadPolicy())
	s.startNow(ctx, "initial start")

	batches, errs := w.Batches(), w.Errors()
	for {
		var exited <-chan struct{}
		if s.proc != nil {
			exited = s.proc.Done()
		}
		var retry <-chan time.Time
		if s.retry != nil {
			retry = s.retry.C
		}
		select {
		case <-ctx.Done():
			return nil
		case b, ok := <-batches:
			if !ok {
				batches = nil
				if ctx.Err() == nil {
					s.logf("the file watcher stopped; edits are no longer seen")
				}
				continue
			}
			s.onBatch(ctx, b)
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			s.logf("%v", err)
		case <-exited:
			s.onExit()
		case <-retry:
			s.retry = nil
			if reason := s.startWanted; reason != "" {
				s.startNow(ctx, reason)
			}
		case r := <-s.reqs:
			r.reply <- s.onRequest(ctx, r)
		}
	}
}

// Status reports the server's state for the control socket.
func (s *Supervisor) Status() control.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	st.Loaded = make(map[string]string, len(s.st.Loaded))
	maps.Copy(st.Loaded, s.st.Loaded)
	if len(s.st.HotFailed) > 0 {
		st.HotFailed = make(map[string]string, len(s.st.HotFailed))
		maps.Copy(st.HotFailed, s.st.HotFailed)
	}
	return st
}

// Restart restarts the server now, whatever the backoff, and returns once
// the new one accepts connections (or has failed).
func (s *Supervisor) Restart(ctx context.Context, reason string) error {
	return s.ask(ctx, request{op: control.OpRestart, reason: reason})
}

// Regenerate runs typegen and returns when it is done.
func (s *Supervisor) Regenerate(ctx context.Context) error {
	return s.ask(ctx, request{op: control.OpRegenerate})
}

func (s *Supervisor) ask(ctx context.Context, r request) error {
	r.reply = make(chan error, 1)
	select {
	case s.reqs <- r:
	case <-s.done:
		return errors.New("the supervisor is shutting down")
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-r.reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Supervisor) onRequest(ctx context.Context, r request) error {
	switch r.op {
	case control.OpRestart:
		s.logf("restart requested: %s", r.reason)
		s.owed = ""
		s.restart(ctx, r.reason, true)
		return s.startError()
	case control.OpRegenerate:
		s.logf("typegen requested")
		if err := s.runTypegen(ctx); err != nil {
			return err
		}
		if s.owed != "" {
			reason := s.owed
			s.owed = ""
			s.restart(ctx, reason, true)
			return s.startError()
		}
		return nil
	}
	return fmt.Errorf("unknown request %q", r.op)
}

// startError says why the server is not running after a requested start.
func (s *Supervisor) startError() error {
	if s.proc != nil {
		select {
		case <-s.proc.Done():
		default:
			return nil
		}
		return fmt.Errorf("the server exited while starting (%s)", s.proc.ExitDescription())
	}
	if s.startFailed != nil {
		return fmt.Errorf("the dev server never started: %w", s.startFailed)
	}
	st := s.Status()
	return fmt.Errorf("the server is not running (%s); see the donkeyls dev output", st.State)
}

// startFailure says why a command could not be run, in the words a user
// acts on: "bun not found on PATH" rather than exec's own.
func startFailure(name string, err error) error {
	if errors.Is(err, exec.ErrNotFound) {
		return fmt.Errorf("%s not found on PATH", name)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s does not exist", name)
	}
	return err
}

func (s *Supervisor) setState(state string) {
	s.mu.Lock()
	s.st.State = state
	s.mu.Unlock()
}

// onBatch classifies one burst of edits and acts on it.
func (s *Supervisor) onBatch(ctx context.Context, batch []string) {
	d := s.opts.Classifier.Classify(ctx, batch)
	if len(d.Reasons) == 0 {
		return // nothing changed content, or only the generator's own outputs
	}
	typegenNeeded := d.Action.Has(impact.Typegen) || d.Action.Has(impact.Migrate)
	restartNeeded := d.Action.Has(impact.Restart) || d.Action.Has(impact.Migrate) ||
		(d.Action.Has(impact.RouteReload) && !s.opts.DevServer.ReloadsRoutes())
	running := s.proc != nil
	var inPlace []hotEdit
	if restartNeeded && running {
		inPlace = s.hotEdits(d)
	}
	// `bun --watch` starts the program again by itself for every imported
	// file: restarting on top would start it twice.
	selfReloaded := running && restartNeeded && s.opts.DevServer.ReloadsPlugins() && onlyImportedCode(s.opts.Root, d)
	if selfReloaded {
		restartNeeded = false
	}
	if !running && d.Action != 0 {
		restartNeeded = true // a crashed server gets its next try at the next relevant change
	}
	if inPlace != nil {
		s.logf("%s", s.describeInPlace(d, typegenNeeded))
	} else {
		s.logf("%s", s.describe(d, typegenNeeded, restartNeeded, running))
	}
	reason := summary(s.opts.Root, d)
	if s.typegenOwed && restartNeeded && !typegenNeeded {
		s.logf("the last typegen failed: running it again before the restart")
		typegenNeeded = true
	}

	if typegenNeeded {
		if err := s.runTypegen(ctx); err != nil {
			if restartNeeded && !s.opts.RestartOnTypegenFailure {
				s.owed = reason
				s.logf("not restarting with stale types: fix the error and save again, " +
					"or restart anyway from your editor (donkeyls.restart) or with --restart-on-typegen-failure")
				return
			}
		} else if s.owed != "" {
			if !restartNeeded {
				reason = s.owed
			}
			restartNeeded = true
			inPlace = nil // the restart owed covers more than this edit
		}
	}
	if restartNeeded {
		s.owed = ""
		if inPlace != nil && s.applyInPlace(ctx, inPlace) {
			return
		}
		s.restart(ctx, reason, false)
		return
	}
	if selfReloaded || (running && d.Action.Has(impact.RouteReload) && s.opts.DevServer.ReloadsRoutes()) {
		s.reloadedInPlace()
	}
}

// reloadedInPlace records that the running server loaded the code on disk
// by itself (the dev command reloads what it imported), so the editor's
// restart-required clears.
func (s *Supervisor) reloadedInPlace() {
	loaded := s.opts.Classifier.Loaded()
	hexes := make(map[string]string, len(loaded))
	for path, h := range loaded {
		hexes[path] = control.FormatHash(h)
	}
	s.mu.Lock()
	s.st.Loaded = hexes
	s.mu.Unlock()
}

// onlyImportedCode reports whether every change that asks for a restart is
// code the server imports, which a dev command that reloads imported files
// picks up by itself: no migration, nothing read only at start.
func onlyImportedCode(root string, d classify.Decision) bool {
	if d.Action.Has(impact.Migrate) {
		return false
	}
	for _, r := range d.Reasons {
		if (r.Action.Has(impact.Restart) || r.Action.Has(impact.RouteReload)) && classify.IsStartInput(root, r.Path) {
			return false
		}
	}
	return true
}

// reloadPolicy says, once at start, what the dev command reloads itself.
func (s *Supervisor) reloadPolicy() string {
	switch s.opts.DevServer {
	case BunWatch:
		return "bun --watch starts the server again by itself for every saved file it imports, so code edits need no restart from here; .env, the config and migrations restart the server"
	case BunHot:
		return "bun --hot runs the entry again for every saved file it imports: route edits need no restart; plugin edits restart the server, because each re-run leaves the earlier runs' background services (cron jobs, job workers) running beside the new ones"
	case ViteAdapter:
		return "vite dev with the SvelteKit adapter reloads no server code (its route reload never fires), so route and plugin edits restart the server"
	}
	if s.hot != nil {
		return "route and plugin edits restart the server (the command does not reload code itself), except an edit confined to a plugin's service function: hot plugins rebuild that service, and its dependents', in the running server (--no-hot-plugins turns this off)"
	}
	return "route and plugin edits restart the server (the command does not reload code itself)"
}

// describe renders the one line a decision prints.
func (s *Supervisor) describe(d classify.Decision, tg, restart, running bool) string {
	parts := groupReasons(s.opts.Root, d.Reasons, false)
	if len(parts) > 3 {
		parts = append(parts[:3], fmt.Sprintf("and %d more", len(parts)-3))
	}
	what := strings.Join(parts, "; ")
	var do, why string
	switch {
	case tg && restart && !running:
		do, why = "typegen, then start", "the server is not running"
	case tg && restart:
		do = "typegen, then restart"
		why = "generated types are stale and the running server holds old code"
		if d.Action.Has(impact.Migrate) {
			why = "generated schema is stale and migrations run when the server starts"
		}
	case tg && (d.Action.Has(impact.Restart) || d.Action.Has(impact.RouteReload)):
		do, why = "typegen", "generated types are stale; "+s.opts.DevServer.String()+" reloads the code itself"
	case tg:
		do, why = "typegen", "generated types are stale; the running server is unaffected"
	case restart && !running:
		do, why = "start", "the server is not running"
	case restart && d.Action.Has(impact.Restart) && s.opts.DevServer == BunHot:
		do, why = "restart", "bun --hot ran the new code already, but beside the background services of the earlier runs (each save adds one more run of every cron job); a restart leaves one"
	case restart && d.Action.Has(impact.Restart):
		do, why = "restart", "the running server loaded the old version"
	case restart:
		do, why = "restart", fmt.Sprintf("route code changed and %s does not reload it", s.opts.DevServer)
	case d.Action.Has(impact.Restart) || d.Action.Has(impact.RouteReload):
		do, why = "nothing", s.opts.DevServer.String()+" reloads it itself"
	default:
		do, why = "nothing", "neither the running server nor the generated types depend on it"
	}
	return fmt.Sprintf("%s → %s: %s", what, do, why)
}

// summary is a short restart reason for the status.
func summary(root string, d classify.Decision) string {
	parts := groupReasons(root, d.Reasons, true)
	if len(parts) > 3 {
		parts = append(parts[:3], fmt.Sprintf("and %d more", len(parts)-3))
	}
	return strings.Join(parts, "; ")
}

// groupReasons renders reasons one path at a time ("path: what, what"),
// in order of first appearance, dropping repeats; onlyActive leaves out
// reasons that require nothing.
func groupReasons(root string, reasons []impact.Reason, onlyActive bool) []string {
	var order []string
	whats := map[string][]string{}
	for _, r := range reasons {
		if onlyActive && r.Action == 0 {
			continue
		}
		if _, ok := whats[r.Path]; !ok {
			order = append(order, r.Path)
		}
		if !slices.Contains(whats[r.Path], r.What) {
			whats[r.Path] = append(whats[r.Path], r.What)
		}
	}
	out := make([]string, 0, len(order))
	for _, path := range order {
		what := strings.Join(whats[path], ", ")
		if path == "" {
			out = append(out, what) // about the project as a whole
		} else {
			out = append(out, rel(root, path)+": "+what)
		}
	}
	return out
}

func (s *Supervisor) runTypegen(ctx context.Context) error {
	s.mu.Lock()
	prev := s.st.State
	s.st.State = control.StateTypegen
	s.mu.Unlock()
	s.logf("running typegen: %s", s.opts.Typegen)
	res := s.typegen.Run(ctx)
	// Even a failed run may have rewritten outputs.
	s.opts.Classifier.TypegenWrote()
	s.setState(prev)
	s.typegenOwed = res.Err != nil
	if res.Err != nil {
		s.logf("typegen failed after %s: %v", res.Duration.Round(time.Millisecond), res.Err)
		return res.Err
	}
	s.logf("typegen done in %s", res.Duration.Round(time.Millisecond))
	return nil
}

// restart replaces the running server, or starts one when none runs
// (respecting the crash backoff unless manual).
func (s *Supervisor) restart(ctx context.Context, reason string, manual bool) {
	if s.proc != nil {
		select {
		case <-s.proc.Done():
			s.onExit() // it died on its own meanwhile: report that first
		default:
		}
	}
	if s.proc != nil {
		s.setState(control.StateRestarting)
		s.stopServer()
		if err := s.waitPortFree(ctx); err != nil {
			s.logf("%v; starting anyway", err)
		}
		s.startNow(ctx, reason)
		return
	}
	if manual || !time.Now().Before(s.notBefore) {
		s.startNow(ctx, reason)
		return
	}
	wait := time.Until(s.notBefore)
	s.startWanted = reason
	if s.retry != nil {
		s.retry.Stop()
	}
	s.retry = time.NewTimer(wait)
	s.logf("waiting %s before starting again (backing off after %d crash(es) in a row)", wait.Round(100*time.Millisecond), s.crashes)
}

// stopServer stops the server group and waits for it to be gone.
func (s *Supervisor) stopServer() {
	p := s.proc
	if p == nil {
		return
	}
	p.Stop(context.Background(), s.opts.Grace)
	s.serverOut.flush()
	s.serverErr.flush()
	s.proc = nil
	s.logf("stopped pid %d (%s)", p.Pid(), p.ExitDescription())
}

// startNow starts the server; the loop sees it exit.
func (s *Supervisor) startNow(ctx context.Context, reason string) {
	if s.retry != nil {
		s.retry.Stop()
		s.retry = nil
	}
	s.startWanted = ""
	loaded := s.opts.Classifier.Loaded()
	hexes := make(map[string]string, len(loaded))
	for path, h := range loaded {
		hexes[path] = control.FormatHash(h)
	}
	s.tail.reset()
	env := append(os.Environ(), s.env...)
	p, err := procgroup.Start(procgroup.Cmd{
		Path: s.command[0], Args: s.command[1:], Dir: s.opts.Root, Env: env,
		Stdout: s.serverOut, Stderr: s.serverErr,
	})
	if err != nil {
		s.startFailed = startFailure(s.opts.Command[0], err)
		s.logf("could not start `%s`: %v", Describe(s.opts.Command), s.startFailed)
		s.crashed(0)
		return
	}
	s.startFailed = nil
	s.proc = p
	s.mu.Lock()
	s.st.Pid = p.Pid()
	s.st.StartedAt = p.StartedAt()
	s.st.State = control.StateStarting
	s.st.LastRestartReason = reason
	s.st.Loaded = hexes
	s.st.HotPlugins = ""
	s.st.HotFailed = nil
	s.mu.Unlock()
	if s.hot != nil {
		// Its preload may have spoken before the pid was recorded.
		state, why := s.hot.State(p.Pid())
		s.hotState(p.Pid(), state, why)
	}
	s.logf("started pid %d: %s", p.Pid(), reason)
	if s.opts.Port <= 0 {
		s.setState(control.StateRunning)
		return
	}
	switch err := s.waitReady(ctx, p); {
	case err == nil:
		s.setState(control.StateRunning)
	case errors.Is(err, errExited):
		// The loop reports the exit.
	default:
		s.logf("%v", err)
		s.setState(control.StateRunning)
	}
}

// onExit handles the server exiting on its own.
func (s *Supervisor) onExit() {
	p := s.proc
	s.proc = nil
	s.serverOut.flush()
	s.serverErr.flush()
	s.mu.Lock()
	s.st.Pid = 0 // nobody should signal or trust a dead pid
	s.mu.Unlock()
	uptime := time.Since(p.StartedAt())
	s.logf("server pid %d exited (%s) after %s", p.Pid(), p.ExitDescription(), uptime.Round(time.Millisecond))
	if last := s.tail.last(); len(last) > 0 {
		s.logf("last output:")
		for _, l := range last {
			fmt.Fprintf(s.log, "[dev]   | %s\n", l)
		}
	}
	if p.ExitCode() == 0 {
		s.crashes = 0
		s.setState(control.StateStopped)
		s.logf("it will start again at the next relevant change")
		return
	}
	s.crashed(uptime)
}

// crashed records a failed start or run and its backoff.
func (s *Supervisor) crashed(uptime time.Duration) {
	if uptime >= stableAfter {
		s.crashes = 0
	}
	s.crashes++
	delay := s.backoff(s.crashes)
	s.notBefore = time.Now().Add(delay)
	s.setState(control.StateCrashed)
	s.logf("it will start again at the next relevant change (not before %s from now)", delay)
}

func (s *Supervisor) backoff(n int) time.Duration {
	d := s.opts.BackoffMin
	for i := 1; i < n && d < s.opts.BackoffMax; i++ {
		d *= 2
	}
	return min(d, s.opts.BackoffMax)
}

// shutdown stops the server for good.
func (s *Supervisor) shutdown() {
	if s.retry != nil {
		s.retry.Stop()
		s.retry = nil
	}
	if s.proc != nil {
		s.logf("stopping the server")
		s.stopServer()
	}
	s.mu.Lock()
	s.st.Pid = 0
	s.st.State = control.StateStopped
	s.mu.Unlock()
}

func rel(root, path string) string {
	if r, err := filepath.Rel(root, path); err == nil && !strings.HasPrefix(r, "..") {
		return filepath.ToSlash(r)
	}
	return path
}
