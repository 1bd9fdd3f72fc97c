package analyzers

import (
	"fmt"
	"slices"
	"strings"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/facts"
	"github.com/donkeyls/donkeyls/analysis/project"
)

// CodeUnknownEvent: emit/on with a name nothing declares. Both type-check
// through the events service's `string` overloads (core/events.ts), and the
// server delivers such an event to no handler of the name meant.
const CodeUnknownEvent = "unknown-event"

// coreEventSpaces are the first segments of the events the server itself
// emits: besides the fixed names of core-events.ts (workflow.started,
// job.completed, process.crashed, cron.event, log.created, ...) it emits
// names built from job, workflow, cron task and log source names
// (`job.${name}.completed`, `log.${source}`), so any name in them may be real.
var coreEventSpaces = map[string]bool{"workflow": true, "job": true, "process": true, "cron": true, "log": true}

func eventsAnalyzer() *Analyzer {
	return &Analyzer{
		Name:  "events",
		Doc:   "checks event names given to emit/on against defineEvents, plugin events and the server's own events",
		Codes: []string{CodeUnknownEvent},
		Run:   runEvents,
	}
}

type eventsKey struct{}

// runEvents is reused until a file that declares, uses or registers
// changes: the declared set of a thousand plugins is not rebuilt at every
// keystroke in a route.
func runEvents(p *Pass) {
	inputs := eventFiles(p.Project)
	uses := false
	for _, f := range inputs {
		uses = uses || len(f.EventCalls()) > 0
	}
	if !uses {
		return
	}
	p.reportReused(eventsKey{}, inputs, func(p *Pass) { checkEvents(p, inputs) })
}

type eventFilesKey struct{}

// isEventsInput is a source file checkEvents reads.
func isEventsInput(f *facts.File) bool {
	return isSource(f) && (len(f.Plugins) > 0 || len(f.Events()) > 0 || len(f.EventCalls()) > 0 || f.EventsUnknown() || len(f.Registrations()) > 0)
}

// eventFiles lists the files isEventsInput keeps, by path; a snapshot
// takes its parent's list with the changed files' new facts while each
// change keeps its file in or out of it, instead of asking ten thousand
// files at each keystroke.
func eventFiles(proj *project.Project) []*facts.File {
	return proj.MemoSince(eventFilesKey{}, func(a, b *facts.File) bool { return isEventsInput(a) == isEventsInput(b) }, func(prev any, changes []project.Change) any {
		if prev, _ := prev.([]*facts.File); prev != nil {
			return patchFiles(prev, changes)
		}
		var out []*facts.File
		for _, f := range sourceFiles(proj) {
			if isEventsInput(f) {
				out = append(out, f)
			}
		}
		return out
	}).([]*facts.File)
}

func checkEvents(p *Pass, files []*facts.File) {
	var useFiles []*facts.File
	declared := map[string]bool{}
	for _, f := range files {
		if f.EventsUnknown() {
			return
		}
		if len(f.EventCalls()) > 0 {
			useFiles = append(useFiles, f)
		}
		for _, e := range f.Events() {
			declared[e.Name] = true
		}
		for _, pl := range f.Plugins {
			if pl.EventsUnknown {
				return
			}
			for _, k := range pl.EventKeys {
				declared[k.Name] = true
			}
		}
	}
	if len(useFiles) == 0 {
		return
	}
	// A plugin that may exist unseen (from a package) may declare events.
	if pluginModelOf(p.Project).open {
		return
	}
	names := make([]string, 0, len(declared))
	for n := range declared {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, f := range useFiles {
		for _, u := range f.EventCalls() {
			if declared[u.Name] || strings.Contains(u.Name, "*") {
				continue
			}
			if space, _, _ := strings.Cut(u.Name, "."); coreEventSpaces[space] {
				continue
			}
			what := "emit() type-checks through its string overload, and the server delivers it only to handlers of exactly this name and to \"*\" patterns that match it, never to a declared event's"
			if u.Method != "emit" {
				what = u.Method + "() type-checks through its string overload, and its handler runs only if something emits exactly this name"
			}
			fd := analysis.Finding{
				Code:     CodeUnknownEvent,
				Severity: analysis.SeverityWarning,
				Location: analysis.Location{Path: f.Path, Range: u.Range},
			}
			msg := fmt.Sprintf("event %q is declared nowhere (no defineEvents, plugin `events:` or core event has it): %s", u.Name, what)
			suggestNear(&fd, f, msg, u.Name, names, u.Range)
			p.Report(fd)
		}
	}
}
