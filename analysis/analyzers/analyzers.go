// Package analyzers turns a project snapshot into findings. Each analyzer has
// a name, a one-line doc and a run function, in the spirit of
// golang.org/x/tools/go/analysis; adding one touches one file and its fixture.
package analyzers

import (
	"context"
	"runtime"
	"slices"
	"sort"
	"sync"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/facts"
	"github.com/donkeyls/donkeyls/analysis/project"
)

// Analyzer is one check over a whole project.
type Analyzer struct {
	Name string
	Doc  string
	// Codes are the finding codes it may report.
	Codes []string
	Run   func(*Pass)
}

// Pass is one run of one analyzer.
type Pass struct {
	Context  context.Context
	Project  *project.Project
	findings []analysis.Finding
}

// Report records a finding.
func (p *Pass) Report(f analysis.Finding) { p.findings = append(p.findings, f) }

// reportReused reports what analyze reports, running it only when inputs are
// not the very files (by identity) it last ran on in this Load: a keystroke
// in one plugin then leaves the analyses of routes or migrations untouched.
// analyze must read nothing but inputs and what is fixed for the Load (the
// config, git's HEAD); the findings it returns are shared, never modified.
func (p *Pass) reportReused(key any, inputs []*facts.File, analyze func(*Pass)) {
	found := p.Project.Reuse(key, inputs, func() any {
		sub := &Pass{Context: p.Context, Project: p.Project}
		analyze(sub)
		return sub.findings
	}).([]analysis.Finding)
	p.findings = append(p.findings, found...)
}

// sinceResult is one analyzer's findings with the inputs they came from.
type sinceResult struct {
	inputs   any
	findings []analysis.Finding
	reused   bool // taken from an earlier snapshot (tests read it)
}

// reportSince reports what analyze reports, taking the findings of the
// nearest earlier snapshot this one was made from (see
// project.MemoSince) when same says analyze read the same inputs there:
// prev is that snapshot's inputs value, now this one's, and found its
// findings. inputs must hold everything analyze reads, by identity where
// it can (the same facts, the same shared slice), so that comparing them
// is cheaper than the analysis; the findings are shared, never modified.
func (p *Pass) reportSince(key any, inputs any, same func(prev, now any, found []analysis.Finding) bool, analyze func(*Pass)) {
	res := p.Project.MemoSince(key, anyStep, func(prev any, changes []project.Change) any {
		if r, ok := prev.(*sinceResult); ok && !editabilityChanged(changes) && same(r.inputs, inputs, r.findings) {
			return &sinceResult{inputs: inputs, findings: r.findings, reused: true}
		}
		sub := &Pass{Context: p.Context, Project: p.Project}
		analyze(sub)
		return &sinceResult{inputs: inputs, findings: sub.findings}
	}).(*sinceResult)
	p.findings = append(p.findings, res.findings...)
}

// eachResult is a pass's findings item by item, with the items they came
// from.
type eachResult[I any] struct {
	items  []I
	found  [][]analysis.Finding
	reused int // items taken from an earlier snapshot (tests read it)
}

// reportEach reports what analyze reports for each item, taking an item's
// findings from the nearest earlier snapshot's pass (see
// project.MemoSince) when the item at the same index there reads the same
// (same: the same facts by identity, so that comparing costs a few
// pointers). An item that does not is analysed through analyze, which may
// still reuse per item (reportReused); a keystroke then costs one item's
// analysis and a walk over the others, without a map lookup or a lock per
// item.
func reportEach[I any](p *Pass, key any, items []I, same func(prev, now *I) bool, analyze func(*Pass, *I)) {
	res := p.Project.MemoSince(key, anyStep, func(prev any, changes []project.Change) any {
		old, _ := prev.(*eachResult[I])
		if editabilityChanged(changes) {
			old = nil
		}
		r := &eachResult[I]{items: items, found: make([][]analysis.Finding, len(items))}
		for i := range items {
			if old != nil && i < len(old.items) && same(&old.items[i], &items[i]) {
				r.found[i] = old.found[i]
				r.reused++
				continue
			}
			sub := &Pass{Context: p.Context, Project: p.Project}
			analyze(sub, &items[i])
			r.found[i] = sub.findings
		}
		return r
	}).(*eachResult[I])
	for _, f := range res.found {
		p.findings = append(p.findings, f...)
	}
}

// editabilityChanged reports whether a change made a file editable or
// took that away: whether it parses with its own facts (editable). A fix
// is offered only in an editable file, and its edits are positions in the
// facts, which a file mid-edit keeps from its last good version
// (keepLastGood) while its text has moved on. So a finding kept from
// before such a change could carry a fix that would write into the
// wrong place, or lack the one a cold load offers; its file need not be
// the one changed (a finding in a route can fix its plugin). Findings are
// computed again then: it is the keystroke that breaks a file or mends
// it, not the ones in between.
func editabilityChanged(changes []project.Change) bool {
	for _, c := range changes {
		if editable(c.Old) != editable(c.New) {
			return true
		}
	}
	return false
}

// anyStep lets reportSince look past every change: its same compares the
// inputs themselves.
func anyStep(_, _ *facts.File) bool { return true }

// reportsIn reports whether a finding is located in path or edits it:
// a position there can only have reached findings that are.
func reportsIn(found []analysis.Finding, path string) bool {
	for _, f := range found {
		if f.Location.Path == path {
			return true
		}
		for _, r := range f.Related {
			if r.Location.Path == path {
				return true
			}
		}
		for _, fx := range f.Fixes {
			for _, e := range fx.Edit.Edits {
				if e.Path == path {
					return true
				}
			}
		}
	}
	return false
}

// All is every analyzer, in the order they run. The list is written out
// here, as gopls keeps its own, so the order is read in one place instead of
// following the names of the files that define them.
func All() []*Analyzer {
	all := []*Analyzer{
		dependenciesAnalyzer(),
		migrationsAnalyzer(),
		pluginsAnalyzer(),
		routesAnalyzer(),
		pluginUsesAnalyzer(),
		entryAnalyzer(),
		configAnalyzer(),
		factoriesAnalyzer(),
		middlewareAnalyzer(),
		migrationsReachAnalyzer(),
		cronAnalyzer(),
		eventsAnalyzer(),
		handlersAnalyzer(),
		errorsAnalyzer(),
		servicesAnalyzer(),
		jobsAnalyzer(),
		eventTypesAnalyzer(),
	}
	all = append(all, stalenessAnalyzers()...)
	return append(all, trapsAnalyzer())
}

// Run runs every analyzer over p and returns the findings sorted by file,
// position and code. Analyzers only read the snapshot (and share derived
// models through its memo), so they run in parallel: on the keystroke path
// of a large project that halves the wait on a two-core machine.
func Run(ctx context.Context, p *project.Project) []analysis.Finding {
	all := All()
	results := make([][]analysis.Finding, len(all))
	next := make(chan int)
	var wg sync.WaitGroup
	workers := min(runtime.GOMAXPROCS(0), len(all))
	for w := 0; w < workers; w++ {
		wg.Go(func() {
			for i := range next {
				pass := &Pass{Context: ctx, Project: p}
				all[i].Run(pass)
				results[i] = pass.findings
			}
		})
	}
feed:
	for i := range all {
		// A cancelled run stops handing out work even while every worker is
		// busy, so Ctrl-C (or a newer keystroke) is never stuck behind it.
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if ctx.Err() != nil {
		return nil
	}
	// Every model is computed: the snapshot this one was made from is
	// not needed again (a cancelled run keeps it for the next snapshot).
	p.ForgetEarlier()
	var out []analysis.Finding
	crashes := configCrashes(p.Config())
	for _, r := range results {
		for _, f := range r {
			// A generator that crashes on the config regenerates nothing:
			// every "regenerate" finding would send the user to a fix
			// that cannot fix it, so config-invalid says it alone.
			if crashes && (f.Code == CodeTypesMissing || isStaleness(f.Code) || f.Code == CodeEntryMissing || f.Code == CodeEntryRunEmpty) {
				continue
			}
			out = append(out, f)
		}
	}
	Sort(out)
	return out
}

func isStaleness(code string) bool {
	return slices.Contains(StalenessCodes, code)
}

// Sort orders findings by path, start offset, then code.
func Sort(fs []analysis.Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i].Location, fs[j].Location
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if a.Range.Start.Offset != b.Range.Start.Offset {
			return a.Range.Start.Offset < b.Range.Start.Offset
		}
		return fs[i].Code < fs[j].Code
	})
}
