package analyzers

import (
	"fmt"
	"slices"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/facts"
)

// Route codes: one name defined twice, and handlers that talk to the
// database themselves.
const (
	CodeDuplicateRoute = "duplicate-route"
	CodeRouteDirectDB  = "route-direct-db"
)

func routesAnalyzer() *Analyzer {
	return &Analyzer{
		Name:  "routes",
		Doc:   "checks routes: full names defined twice, and handlers that query ctx.db instead of a plugin",
		Codes: []string{CodeDuplicateRoute, CodeRouteDirectDB},
		Run:   runRoutes,
	}
}

type routeAt struct {
	Path  string
	Route *facts.Route
}

type routesKey struct{}

func runRoutes(p *Pass) {
	// Files without routes add nothing, so the analysis is reused until a
	// file with routes changes (or one gains or loses its routes).
	var routeFiles []*facts.File
	for _, f := range sourceFiles(p.Project) {
		if len(f.Routes) > 0 {
			routeFiles = append(routeFiles, f)
		}
	}
	p.reportReused(routesKey{}, routeFiles, func(p *Pass) { checkRoutes(p, routeFiles) })
}

func checkRoutes(p *Pass, routeFiles []*facts.File) {
	// Most names are unique: remember the first definition of each and build
	// groups only for the names seen twice, so ten thousand routes allocate
	// and sort almost nothing.
	first := map[string]routeAt{}
	byName := map[string][]routeAt{}
	var names []string
	for _, f := range routeFiles {
		for i := range f.Routes {
			r := &f.Routes[i]
			reportDirectDB(p, f.Path, r)
			// Versioned routers may repeat a name per version; a prefix we
			// cannot follow would make two different names look equal.
			if !r.PrefixKnown || r.Versioned || r.Name == "" {
				continue
			}
			at := routeAt{Path: f.Path, Route: r}
			prev, seen := first[r.FullName]
			if !seen {
				first[r.FullName] = at
				continue
			}
			if byName[r.FullName] == nil {
				byName[r.FullName] = []routeAt{prev}
				names = append(names, r.FullName)
			}
			byName[r.FullName] = append(byName[r.FullName], at)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		group := byName[name]
		if len(group) < 2 {
			continue
		}
		for i, ra := range group {
			f := analysis.Finding{
				Code:     CodeDuplicateRoute,
				Severity: analysis.SeverityError,
				Location: analysis.Location{Path: ra.Path, Range: ra.Route.NameRange},
				Message: fmt.Sprintf("route %q is defined %d times: the server keeps only the last definition it registers and the others are unreachable; rename one",
					name, len(group)),
			}
			for j, o := range group {
				if j == i {
					continue
				}
				f.Related = append(f.Related, analysis.Related{
					Location: analysis.Location{Path: o.Path, Range: o.Route.NameRange},
					Message:  fmt.Sprintf("route %q is also defined here", name),
				})
			}
			p.Report(f)
		}
	}
}

// reportDirectDB gives the framework's own advice as a hint: prototype in
// routes, move data access into a plugin once it settles. One hint per
// route, at its first ctx.db access.
func reportDirectDB(p *Pass, path string, r *facts.Route) {
	for _, u := range r.CtxUses {
		if u.Member != "db" {
			continue
		}
		p.Report(analysis.Finding{
			Code:     CodeRouteDirectDB,
			Severity: analysis.SeverityHint,
			Location: analysis.Location{Path: path, Range: u.Range},
			Message: fmt.Sprintf("route %q queries ctx.db directly: fine while prototyping, but plugins are where data access belongs once it settles (typed schema, reusable service, testable); consider moving this query into a plugin",
				r.FullName),
			Related: []analysis.Related{{
				Location: analysis.Location{Path: path, Range: r.NameRange},
				Message:  fmt.Sprintf("route %q", r.FullName),
			}},
			Commands: []analysis.CommandRef{{
				Title:   "Extract route logic into a plugin",
				Command: analysis.CommandExtractPlugin,
				Root:    p.Project.Root(),
			}},
		})
		return
	}
}
