package supervisor

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/donkeyls/donkeyls/analysis/impact"
	"github.com/donkeyls/donkeyls/reload/classify"
	"github.com/donkeyls/donkeyls/reload/control"
	"github.com/donkeyls/donkeyls/reload/hotplugin"
)

// hotEdit is one plugin file whose service alone changed.
type hotEdit struct {
	path string
	impact.ServiceEdit
}

// startHot sets up hot plugins: the preload in the private .donkeyls
// directory, its socket, and the command that loads it. It says once why
// not when it cannot, and the server then restarts for plugin edits as
// without it.
func (s *Supervisor) startHot() *hotplugin.Host {
	if ok, why := hotplugin.Eligible(s.opts.Command); !ok {
		s.logf("hot plugins off: %s", why)
		return nil
	}
	dir, err := control.PrivateDir(s.opts.Root)
	if err != nil {
		s.logf("hot plugins off: %v", err)
		return nil
	}
	host, err := hotplugin.Listen(dir, hotplugin.Events{
		Ready: func(pid int, _ string) { s.hotState(pid, "ready", "") },
		Off:   func(pid int, why string) { s.hotState(pid, "off", why) },
	})
	if err != nil {
		s.logf("hot plugins off: %v", err)
		return nil
	}
	path, err := hotplugin.Install(dir)
	if err != nil {
		host.Close()
		s.logf("hot plugins off: %v", err)
		return nil
	}
	s.command = hotplugin.WithPreload(s.opts.Command, path)
	s.env = append(slices.Clip(s.opts.Env), hotplugin.EnvSocket+"="+host.Path())
	s.hot = host
	return host
}

// hotState records what server pid's preload said; a reason it is off is
// printed once per run, not once per start.
func (s *Supervisor) hotState(pid int, state, why string) {
	s.mu.Lock()
	current := s.st.Pid == pid
	say := state == "off" && !s.hotSaid[why]
	if say {
		s.hotSaid[why] = true
	}
	if current {
		switch state {
		case "ready":
			s.st.HotPlugins = "on"
		case "off":
			s.st.HotPlugins = "off: " + why
		}
	}
	s.mu.Unlock()
	if say {
		s.logf("hot plugins off: %s; plugin edits restart the server", why)
	}
}

// hotEdits returns the edits of d to apply in place, or nil when d needs
// a restart anyway: every reason that asks for one must be a plugin
// service edit, and the running server must be able to take it.
func (s *Supervisor) hotEdits(d classify.Decision) []hotEdit {
	if s.hot == nil || s.proc == nil || d.Action.Has(impact.Migrate) ||
		(d.Action.Has(impact.RouteReload) && !s.opts.DevServer.ReloadsRoutes()) {
		return nil
	}
	var edits []hotEdit
	for _, r := range d.Reasons {
		if !r.Action.Has(impact.Restart) {
			continue
		}
		if r.ServiceOnly == nil {
			return nil
		}
		if !slices.ContainsFunc(edits, func(e hotEdit) bool { return e.path == r.Path }) {
			edits = append(edits, hotEdit{path: r.Path, ServiceEdit: *r.ServiceOnly})
		}
	}
	if len(edits) == 0 {
		return nil
	}
	if state, _ := s.hot.State(s.proc.Pid()); state != "ready" {
		return nil // off (said once) or still starting: restart
	}
	return edits
}

func (s *Supervisor) describeInPlace(d classify.Decision, tg bool) string {
	parts := groupReasons(s.opts.Root, d.Reasons, false)
	if len(parts) > 3 {
		parts = append(parts[:3], fmt.Sprintf("and %d more", len(parts)-3))
	}
	do := "reload in place"
	if tg {
		do = "typegen, then reload in place"
	}
	return fmt.Sprintf("%s → %s: hot plugins rebuild the service, and the services of the plugins that depend on it, in the running server (pid %d)",
		strings.Join(parts, "; "), do, s.proc.Pid())
}

// applyInPlace asks the running server to rebuild each edited plugin. It
// returns false when one cannot be applied in place, and the caller
// restarts. A reload that throws leaves the old service answering: it is
// reported once, and the status keeps the old fingerprint, so the editor's
// restart-required stays until the server runs the new code.
func (s *Supervisor) applyInPlace(ctx context.Context, edits []hotEdit) bool {
	pid := s.proc.Pid()
	for _, e := range edits {
		name := rel(s.opts.Root, e.path)
		started := time.Now()
		res, err := s.hot.Reload(ctx, pid, hotplugin.Request{Plugin: e.Plugin, Export: e.Export, File: e.path}, s.opts.HotTimeout)
		switch {
		case ctx.Err() != nil:
			return true // shutting down: nothing to restart
		case err != nil:
			s.logf("%s: not reloaded in place (%v); restarting", name, err)
			return false
		case res.Fallback:
			s.logf("%s: plugin %q cannot be reloaded in place: %s; restarting", name, e.Plugin, res.Error)
			return false
		case !res.OK:
			s.hotFailed(e.path, e.Plugin, res.Error)
			continue
		}
		hash, code, ok := s.opts.Classifier.Fingerprint(e.path)
		if !ok || hash != res.Hash {
			// Saved again meanwhile: the next batch is classified against
			// what was decided here and applies the newer version.
			s.logf("%s: pid %d loaded a newer save than the one classified; the next change applies it", name, pid)
			continue
		}
		s.mu.Lock()
		s.st.Loaded[e.path] = control.FormatHash(code)
		delete(s.st.HotFailed, e.path)
		s.mu.Unlock()
		s.logf("reloaded plugin %q in place in pid %d in %s (rebuilt: %s)", e.Plugin, pid,
			time.Since(started).Round(time.Millisecond), strings.Join(res.Reloaded, ", "))
	}
	return true
}

func (s *Supervisor) hotFailed(path, plugin, msg string) {
	lines := strings.Split(strings.TrimRight(msg, "\n"), "\n")
	s.logf("%s: plugin %q not reloaded, the old service keeps answering: %s", rel(s.opts.Root, path), plugin, lines[0])
	if len(lines) > tailLines {
		lines = lines[:tailLines]
	}
	for _, l := range lines[1:] {
		s.logf("  | %s", l)
	}
	s.mu.Lock()
	s.st.LastRestartReason = fmt.Sprintf("plugin %q not reloaded in place (the old service keeps answering): %s", plugin, lines[0])
	if s.st.HotFailed == nil {
		s.st.HotFailed = map[string]string{}
	}
	s.st.HotFailed[path] = lines[0]
	s.mu.Unlock()
}
