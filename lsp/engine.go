package lsp

import (
	"context"
	"path/filepath"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/analyzers"
	"github.com/donkeyls/donkeyls/analysis/facts"
	"github.com/donkeyls/donkeyls/analysis/impact"
	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/internal/ossource"
)

// Engine is the analysis the server drives. The server holds it behind this
// seam so that its protocol behaviour (ordering, debounce, publishing,
// commands) is tested without depending on any analyzer's verdicts.
type Engine interface {
	// Discover lists the project roots under a workspace folder, listing
	// directories through src (nil: the operating system's).
	Discover(ctx context.Context, src project.Source, dir string) ([]string, error)
	// Load reads a whole project; src serves open buffers over disk.
	Load(ctx context.Context, root string, src project.Source) (Snapshot, error)
}

// Snapshot is one immutable state of one project.
type Snapshot interface {
	Root() string
	// Analyzes reports whether a change to path concerns this project's
	// analysis (it lies inside the root and the project reads it).
	Analyzes(path string) bool
	IsGenerated(path string) bool
	GeneratedPaths() []string
	// WithFile and WithoutFile return the snapshot after one file changed;
	// only that file's facts are extracted again.
	WithFile(path string, content []byte) Snapshot
	WithoutFile(path string) Snapshot
	// Holds reports whether the snapshot already read exactly content for
	// path: opening a file, closing a saved one, or the generator rewriting
	// an output with the same bytes then costs no analysis.
	Holds(path string, content []byte) bool
	NeedsReload() bool
	// Config is the project's configuration (nil when it has none), from
	// which project.TypegenCommand decides what a typegen run executes.
	Config() *project.Config
	// Findings runs every analyzer.
	Findings(ctx context.Context) []analysis.Finding
	// Stale reports whether going from before to this snapshot, over the
	// changed paths, made the generated outputs stale, with the reasons.
	Stale(before Snapshot, changed []string) (bool, []string)
	// Plugins lists the files defining plugins with the fingerprint of
	// their code: a running server built plugins once, at start.
	Plugins() []PluginCode
}

// PluginCode is one plugin file's code as a running server would load it.
type PluginCode struct {
	Path     string
	Name     string
	CodeHash uint64
	// Range is where to report on it (the plugin's export).
	Range analysis.Range
}

// AnalysisEngine is the Engine of the analysis packages.
type AnalysisEngine struct {
	// Bounds limit the search for projects; zero means the defaults.
	Bounds project.DiscoverOptions
	// Cache supplies facts of files parsed before; nil parses everything.
	Cache project.FactsCache
}

// Discover implements Engine.
func (e AnalysisEngine) Discover(ctx context.Context, src project.Source, dir string) ([]string, error) {
	if src == nil {
		src = ossource.Source{}
	}
	b := e.Bounds
	if b.MaxEntries == 0 && b.MaxDirs == 0 && b.MaxDepth == 0 && b.Timeout == 0 {
		return project.Discover(ctx, src, dir)
	}
	return project.DiscoverWith(ctx, src, dir, b)
}

// Load implements Engine.
func (e AnalysisEngine) Load(ctx context.Context, root string, src project.Source) (Snapshot, error) {
	p, err := project.LoadWith(ctx, root, project.LoadOptions{Source: src, Cache: e.Cache})
	if err != nil {
		return nil, err
	}
	return projectSnapshot{p}, nil
}

// projectSnapshot adapts *project.Project.
type projectSnapshot struct{ p *project.Project }

func (s projectSnapshot) Root() string { return s.p.Root() }

func (s projectSnapshot) Analyzes(path string) bool {
	if !s.p.Contains(path) {
		return false
	}
	_, ok := s.p.KindOf(path)
	return ok
}

func (s projectSnapshot) IsGenerated(path string) bool { return s.p.IsGenerated(path) }
func (s projectSnapshot) GeneratedPaths() []string     { return s.p.GeneratedPaths() }
func (s projectSnapshot) NeedsReload() bool            { return s.p.NeedsReload() }

func (s projectSnapshot) WithFile(path string, content []byte) Snapshot {
	return projectSnapshot{s.p.WithFile(path, content)}
}

func (s projectSnapshot) Holds(path string, content []byte) bool {
	f := s.p.File(path)
	return f != nil && !f.Missing && !f.StaleFacts && f.Size == len(content) && f.Hash == facts.HashBytes(content)
}

func (s projectSnapshot) WithoutFile(path string) Snapshot {
	return projectSnapshot{s.p.WithoutFile(path)}
}

func (s projectSnapshot) Config() *project.Config { return s.p.Config() }

func (s projectSnapshot) Findings(ctx context.Context) []analysis.Finding {
	return analyzers.Run(ctx, s.p)
}

func (s projectSnapshot) Plugins() []PluginCode {
	var out []PluginCode
	s.p.EachFile(func(f *facts.File) {
		if f.Kind != facts.KindSource || len(f.Plugins) == 0 || f.Missing || f.Unreadable {
			return
		}
		pl := f.Plugins[0]
		rng := pl.ExportRange
		if rng.IsZero() {
			rng = pl.DefineRange
		}
		out = append(out, PluginCode{Path: f.Path, Name: pl.Name, CodeHash: f.CodeHash, Range: rng})
	})
	return out
}

func (s projectSnapshot) Stale(before Snapshot, changed []string) (bool, []string) {
	b, ok := before.(projectSnapshot)
	if !ok {
		return false, nil
	}
	v := impact.Classify(b.p, s.p, changed)
	if !v.Action.Has(impact.Typegen) {
		return false, nil
	}
	var why []string
	for _, r := range v.Reasons {
		if r.Action.Has(impact.Typegen) {
			why = append(why, filepath.Base(r.Path)+": "+r.What)
		}
	}
	return true, why
}
