// Package impact classifies an edit by what it requires of a running
// development setup, following the framework's hot-reload table: nothing,
// regenerate types, restart the server, both, or migrate and regenerate.
package impact

import (
	"github.com/donkeyls/donkeyls/analysis/project"
)

// Action is a set of things an edit requires.
type Action uint8

const (
	// Typegen: the generator's outputs no longer match the sources.
	Typegen Action = 1 << iota
	// Restart: the running server holds code that changed (plugins are built once at start).
	Restart
	// Migrate: a migration was added or changed; the server runs migrations at start.
	Migrate
	// RouteReload: route code changed; a server that reloads routes itself
	// (bun --hot, the SvelteKit adapter) needs nothing, any other needs a restart.
	RouteReload
)

func (a Action) Has(b Action) bool { return a&b != 0 }

// Reason explains one part of a verdict.
type Reason struct {
	Path   string
	Action Action
	// What changed, in words a developer reads in a log line: "handler key \"xml\" added".
	What string
}

// Verdict is the classification of a set of changed files.
type Verdict struct {
	Action  Action
	Reasons []Reason
}

// Classify compares two snapshots of the same project over the changed paths.
func Classify(before, after *project.Project, changed []string) Verdict {
	return Verdict{}
}
