package analyzers

import (
	"fmt"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/facts"
)

// CodeCustomErrorConflict: plugins' customErrors are registered into one
// ctx.errors object, plugin after plugin in initialisation order, each
// `register` assigning the factory by name (core.ts init, errors.ts
// register; server 2.5.1, verified under Bun): a second plugin with the
// same name, or a name of a built-in factory, replaces it for everyone.
const CodeCustomErrorConflict = "custom-error-conflict"

// builtinErrors are the members createErrors puts on ctx.errors before any
// plugin registers: the HTTP error factories and three utilities.
var builtinErrors = map[string]string{
	"BadRequest": "400", "Unauthorized": "401", "Forbidden": "403", "NotFound": "404",
	"MethodNotAllowed": "405", "Conflict": "409", "Gone": "410", "UnprocessableEntity": "422",
	"TooManyRequests": "429", "InternalServer": "500", "NotImplemented": "501", "BadGateway": "502",
	"ServiceUnavailable": "503", "GatewayTimeout": "504",
	"custom": "", "isHttpError": "", "register": "",
}

func errorsAnalyzer() *Analyzer {
	return &Analyzer{
		Name:  "errors",
		Doc:   "checks that plugins' customErrors names are unique and shadow no built-in ctx.errors member",
		Codes: []string{CodeCustomErrorConflict},
		Run:   runCustomErrors,
	}
}

func runCustomErrors(p *Pass) {
	m := pluginModelOf(p.Project)
	has := false
	for _, d := range m.defs {
		if len(d.Def.CustomErrors) > 0 {
			has = true
			break
		}
	}
	if !has {
		return
	}
	for _, d := range m.defs {
		if m.regsKnown && len(m.registered[d]) == 0 {
			continue // never registered: its errors never are either
		}
		for _, k := range d.Def.CustomErrors {
			status, ok := builtinErrors[k.Name]
			if !ok {
				continue
			}
			var msg string
			switch {
			case status != "":
				msg = fmt.Sprintf("plugin %q's custom error %q replaces the built-in ctx.errors.%s (%s) for every route and plugin: registering a custom error assigns ctx.errors.<name>, and nothing keeps the built-in; give it another name",
					d.Name(), k.Name, k.Name, status)
			case k.Name == "register":
				msg = fmt.Sprintf("plugin %q's custom error %q replaces ctx.errors.register itself: every custom error registered after it (later plugins') only builds an error instead of registering, and ctx.errors.<name> is undefined for them; give it another name", d.Name(), k.Name)
			default:
				msg = fmt.Sprintf("plugin %q's custom error %q replaces the built-in ctx.errors.%s for every route and plugin; give it another name", d.Name(), k.Name, k.Name)
			}
			p.Report(analysis.Finding{Code: CodeCustomErrorConflict, Severity: analysis.SeverityWarning,
				Location: analysis.Location{Path: d.Path, Range: k.Range}, Message: msg})
		}
	}
	order, sameFile := registrationOrder(p.Project)
	if !sameFile {
		return
	}
	// The last plugin initialised wins; report every earlier one.
	type def struct {
		d   *pluginDef
		key analysis.Range
		ce  facts.CustomError
	}
	last := map[string]def{}
	var firstOrder []string
	byName := map[string][]def{}
	for _, d := range initOrder(m, order) {
		for _, k := range d.Def.CustomErrors {
			if _, ok := builtinErrors[k.Name]; ok {
				continue
			}
			if _, ok := last[k.Name]; !ok {
				firstOrder = append(firstOrder, k.Name)
			}
			last[k.Name] = def{d, k.Range, k}
			byName[k.Name] = append(byName[k.Name], def{d, k.Range, k})
		}
	}
	for _, name := range firstOrder {
		defs := byName[name]
		w := last[name]
		for _, l := range defs[:len(defs)-1] {
			if l.d == w.d || (l.ce.Def != "" && l.ce.Def == w.ce.Def) {
				continue // the same status, code and message: nothing changes
			}
			p.Report(analysis.Finding{
				Code:     CodeCustomErrorConflict,
				Severity: analysis.SeverityWarning,
				Location: analysis.Location{Path: l.d.Path, Range: l.key},
				Message: fmt.Sprintf("plugin %q's custom error %q is overwritten by plugin %q's, initialised after it: ctx.errors.%s throws plugin %q's status and code everywhere, this plugin's code included, and nothing warns; give one of them another name",
					l.d.Name(), name, w.d.Name(), name, w.d.Name()),
				Related: []analysis.Related{{Location: analysis.Location{Path: w.d.Path, Range: w.key}, Message: fmt.Sprintf("the %q that wins", name)}},
			})
		}
	}
}

// initOrder is the order the server initialises the registered plugins:
// each plugin's registered dependencies first, depth first, in
// registration order (core.ts resolveOrder). Cycles stop the server
// (dependency findings say so); here they only end the walk.
func initOrder(m *pluginModel, order []orderedReg) []*pluginDef {
	byName := map[string]*pluginDef{}
	for _, o := range order {
		if n := o.def.Name(); n != "" {
			byName[n] = o.def
		}
	}
	var out []*pluginDef
	state := map[*pluginDef]int{} // 1 visiting, 2 done
	var visit func(d *pluginDef)
	visit = func(d *pluginDef) {
		if state[d] != 0 {
			return
		}
		state[d] = 1
		for _, dep := range d.Def.Dependencies {
			if dd := byName[dep.Name]; dd != nil {
				visit(dd)
			}
		}
		state[d] = 2
		out = append(out, d)
	}
	for _, o := range order {
		visit(o.def)
	}
	return out
}
