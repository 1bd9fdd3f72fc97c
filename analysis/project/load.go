package project

import (
	"context"
	"errors"

	"github.com/donkeyls/donkeyls/analysis/facts"
)

// ErrNoProject is returned when a directory holds no donkeylabs project.
var ErrNoProject = errors.New("no donkeylabs project (no donkeylabs.config.ts, and not the flat layout)")

// Discover lists the project roots under dir: every directory holding a
// donkeylabs.config.ts (or, failing any, dir itself in the older flat layout),
// skipping node_modules and .git. Sorted.
func Discover(ctx context.Context, dir string) ([]string, error) {
	return nil, errors.New("unimplemented")
}

// Load reads and analyzes the project rooted at root. src may be nil (disk).
func Load(ctx context.Context, root string, src Source) (*Project, error) {
	return nil, errors.New("unimplemented")
}

// KindOf says how the project reads path, and false when the project does not
// analyze it at all (not TypeScript, outside the root, in node_modules).
func (p *Project) KindOf(path string) (facts.Kind, bool) {
	return 0, false
}

// WithFile returns a snapshot in which path has content. A path the project
// does not analyze returns p itself. Changing donkeylabs.config.ts or
// package.json returns a snapshot that needs Reload; NeedsReload says so.
func (p *Project) WithFile(path string, content []byte) *Project {
	return p
}

// WithoutFile returns a snapshot in which path does not exist.
func (p *Project) WithoutFile(path string) *Project {
	return p
}

// NeedsReload reports whether a change since the last Load (config, a new
// plugin folder's discovery inputs) requires Load to be called again.
func (p *Project) NeedsReload() bool { return false }
