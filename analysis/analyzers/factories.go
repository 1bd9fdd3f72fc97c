package analyzers

import (
	"fmt"

	"github.com/donkeyls/donkeyls/analysis"
)

// A plugin built with .withConfig<C>() is exported as a factory that must be
// called with its config; any other plugin is a plain object.
const (
	CodePluginFactoryNotCalled = "plugin-factory-not-called"
	CodePluginNotAFactory      = "plugin-not-a-factory"
)

func factoriesAnalyzer() *Analyzer {
	return &Analyzer{
		Name:  "factories",
		Doc:   "reports config factories registered without being called and plain plugins called as factories",
		Codes: []string{CodePluginFactoryNotCalled, CodePluginNotAFactory},
		Run:   runFactories,
	}
}

func runFactories(p *Pass) {
	m := pluginModelOf(p.Project)
	for _, r := range m.regs {
		if r.Def == nil || r.Reg.Ident == "" {
			continue // registered through something we cannot follow (an alias, a call)
		}
		def, reg := r.Def.Def, r.Reg
		// The test file and the file's facts only matter for a mismatch:
		// asked for every registration, they were this pass's whole cost.
		if def.WithConfig == reg.Factory || isTestFile(r.Path) {
			continue
		}
		file := p.Project.File(r.Path)
		switch {
		case def.WithConfig && !reg.Factory:
			// Verified with server 2.5.1: start() fails in core.ts with
			// "TypeError: plugin.service is not a function", exit 1.
			f := analysis.Finding{
				Code:     CodePluginFactoryNotCalled,
				Severity: analysis.SeverityError,
				Location: analysis.Location{Path: r.Path, Range: reg.Range},
				Message: fmt.Sprintf("%s is built with .withConfig(), so it is a factory: registering it uncalled makes the server fail at start with \"TypeError: plugin.service is not a function\"; register %s({ ... }) with its config",
					reg.Ident, reg.Ident),
				Related: []analysis.Related{{Location: analysis.Location{Path: r.Def.Path, Range: def.ExportRange}, Message: reg.Ident + " takes a config (.withConfig)"}},
			}
			if editable(file) {
				f.Fixes = append(f.Fixes, replaceFix("Call "+reg.Ident+"({ }) (then fill in its config)", r.Path, reg.Range, reg.Ident+"({ })"))
			}
			p.Report(f)
		case !def.WithConfig && reg.Factory:
			// Verified: "TypeError: x is not a function. (In 'x({...})',
			// 'x' is an instance of Object)" at import, exit 1.
			f := analysis.Finding{
				Code:     CodePluginNotAFactory,
				Severity: analysis.SeverityError,
				Location: analysis.Location{Path: r.Path, Range: reg.Range},
				Message: fmt.Sprintf("%s takes no config (it has no .withConfig()), so it is a plugin, not a factory: calling it makes the server fail with \"TypeError: %s is not a function\"; register %s itself",
					reg.Ident, reg.Ident, reg.Ident),
				Related: []analysis.Related{{Location: analysis.Location{Path: r.Def.Path, Range: def.ExportRange}, Message: reg.Ident + " is defined without .withConfig()"}},
			}
			if editable(file) {
				f.Fixes = append(f.Fixes, replaceFix("Register "+reg.Ident+" without calling it", r.Path, reg.Range, reg.Ident))
			}
			p.Report(f)
		}
	}
}
