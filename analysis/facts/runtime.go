package facts

import (
	"bytes"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/syntax"
)

// Facts about what the server registers and looks up by name at runtime:
// custom services, jobs and workflow steps (server 2.5.1: server.ts
// registerService, core/jobs.ts, core/workflows.ts).

// ServiceReg is one `registerService(...)` call: `x.registerService(def)`
// names a defineService export (Ident), `x.registerService("n", factory)`
// a name (Name). Both are empty when the argument is anything else.
type ServiceReg struct {
	Ident string
	Name  string
	Range analysis.Range
	// Receiver is the text the method is called on ("server"); Stmt the
	// statement the call forms, zero inside a larger expression.
	Receiver string
	Stmt     analysis.Range
}

// JobFacts are the job names a file registers (`jobs.register("n", ...)`,
// `jobs.registerExternal("n", ...)`) and uses (`jobs.enqueue("n", ...)`,
// `jobs.schedule("n", ...)`, a workflow task's `job: "n"`), literal names
// only. Dynamic is set when a register call's name is not a literal: any
// name may then be registered.
type JobFacts struct {
	Registered []Key
	Used       []JobUse
	Dynamic    bool
}

// JobUse is one use of a job name, range with the quotes.
type JobUse struct {
	Name  string
	Range analysis.Range
	// Via is the method (enqueue, schedule) or "job" for a workflow task.
	Via string
}

// Workflow is one `workflow("name").<step>(...)...` builder chain.
type Workflow struct {
	Name  string
	Range analysis.Range // the workflow("name") call
	Steps []Key
	Refs  []StepRef
	// StepsKnown is false when a step's name is not a literal: any
	// reference may then name it.
	StepsKnown bool
}

// StepRef is a step named in `next`, a choice's `default` or a loop's
// `target`; Range is the string literal with its quotes.
type StepRef struct {
	Name  string
	Range analysis.Range
	Via   string // next, default, target
}

// workflowSteps are the builder methods that add a step, first argument
// its name.
var workflowSteps = map[string]bool{"task": true, "parallel": true, "choice": true, "pass": true, "loop": true, "poll": true, "end": true}

// runtimeNames fills ServiceRegs, Jobs and Workflows; a file that never
// says the words is not walked again.
func (x *extractor) runtimeNames(root syntax.Node) {
	if bytes.Contains(x.src, []byte("RouteBuilder.prototype")) {
		x.f.rare().PatchesRouteBuilder = true
	}
	services := bytes.Contains(x.src, []byte("registerService"))
	jobs := bytes.Contains(x.src, []byte("jobs"))
	workflows := bytes.Contains(x.src, []byte("workflow("))
	if !services && !jobs && !workflows {
		return
	}
	root.Walk(func(n syntax.Node) bool {
		if !n.Is("call_expression") {
			return true
		}
		fn, name := callee(n)
		switch {
		case services && name == "registerService":
			x.serviceReg(n)
		case jobs && fn.Is("member_expression") && (name == "register" || name == "registerExternal" || name == "enqueue" || name == "schedule"):
			x.jobCall(n, fn, name)
		case workflows && name == "workflow" && fn.Is("identifier"):
			x.workflow(n)
		}
		return true
	})
}

func (x *extractor) serviceReg(call syntax.Node) {
	a := args(call)
	if len(a) == 0 {
		return
	}
	r := ServiceReg{Range: x.rng(a[0]), Stmt: x.stmtRange(call)}
	if fn := call.Field("function"); fn.Is("member_expression") {
		r.Receiver = fn.Field("object").Text()
	}
	switch arg := a[0].Unwrap(); {
	case arg.Is("identifier"):
		r.Ident = arg.Text()
	case isStringLit(arg):
		r.Name = stringValue(arg)
	}
	x.f.rare().ServiceRegs = append(x.f.rare().ServiceRegs, r)
}

// jobCall reads register/enqueue/... on `jobs` or `<x>.jobs`; other
// receivers (a plugin's own register method) are not jobs.
func (x *extractor) jobCall(call, fn syntax.Node, method string) {
	obj := fn.Field("object").Unwrap()
	a := args(call)
	if len(a) == 0 {
		return
	}
	lit := isStringLit(a[0]) && !a[0].HasError()
	if !(obj.Is("identifier") && obj.Text() == "jobs") && !(obj.Is("member_expression") && obj.Field("property").Text() == "jobs") {
		// `const q = ctx.core.jobs; q.register("x", fn)` registers a job
		// through a name this reading does not follow: a register call
		// on any other receiver but the other registries counts too, so
		// that enqueue("x") is never called unknown for it.
		if (method == "register" || method == "registerExternal") && lit && len(a) > 1 && !otherRegistry(obj) {
			x.f.rare().Jobs.Registered = append(x.f.rare().Jobs.Registered, Key{Name: stringValue(a[0]), Range: x.rng(a[0])})
		}
		return
	}
	switch method {
	case "register", "registerExternal":
		if !lit {
			x.f.rare().Jobs.Dynamic = true
			return
		}
		x.f.rare().Jobs.Registered = append(x.f.rare().Jobs.Registered, Key{Name: stringValue(a[0]), Range: x.rng(a[0])})
	default:
		if lit {
			x.f.rare().Jobs.Used = append(x.f.rare().Jobs.Used, JobUse{Name: stringValue(a[0]), Range: x.rng(a[0]), Via: method})
		}
	}
}

// otherRegistry reports receivers whose register method is not the jobs
// service's: ctx.errors, ctx.core.workflows, ctx.core.events.
func otherRegistry(obj syntax.Node) bool {
	name := obj.Text()
	if obj.Is("member_expression") {
		name = obj.Field("property").Text()
	}
	switch name {
	case "errors", "workflows", "events", "server", "app":
		return true
	}
	return false
}

// workflow follows the chain a `workflow("name")` call starts: each
// enclosing `.step(name, config)` call whose callee's object is the chain
// so far. Arguments are never part of the chain, so a nested workflow in
// a parallel step's branches is a chain of its own.
func (x *extractor) workflow(call syntax.Node) {
	w := Workflow{Range: x.rng(call), StepsKnown: true}
	if a := args(call); len(a) > 0 {
		w.Name = stringValue(a[0])
	}
	cur := call
	for range 4096 {
		mem := cur.Parent()
		for isWrapper(mem) {
			mem = mem.Parent()
		}
		if !mem.Is("member_expression") {
			break
		}
		step := mem.Parent()
		if !step.Is("call_expression") || step.Field("function") != mem {
			break
		}
		method := mem.Field("property").Text()
		cur = step
		if !workflowSteps[method] {
			continue // isolated(false), timeout(...), build()
		}
		a := args(step)
		switch {
		case len(a) == 0 && method == "end":
			w.Steps = append(w.Steps, Key{Name: "end", Range: x.rng(mem.Field("property"))})
		case len(a) > 0 && isStringLit(a[0]) && !a[0].HasError():
			w.Steps = append(w.Steps, Key{Name: stringValue(a[0]), Range: x.rng(a[0])})
		default:
			w.StepsKnown = false
		}
		if len(a) > 1 {
			x.stepRefs(&w, method, a[1].Unwrap())
		}
	}
	x.f.rare().Workflows = append(x.f.rare().Workflows, w)
}

// stepRefs reads the step names a step's config object refers to, and a
// legacy task's job.
func (x *extractor) stepRefs(w *Workflow, method string, cfg syntax.Node) {
	if !cfg.Is("object") {
		return
	}
	ms, _ := objectMembers(cfg)
	ref := func(m objectMember, via string) {
		if v := m.value.Unwrap(); m.kind == "pair" && isStringLit(v) && !v.HasError() {
			w.Refs = append(w.Refs, StepRef{Name: stringValue(v), Range: x.rng(v), Via: via})
		}
	}
	for _, m := range ms {
		switch {
		case m.name == "next":
			ref(m, "next")
		case m.name == "default" && method == "choice":
			ref(m, "default")
		case m.name == "target" && method == "loop":
			ref(m, "target")
		case m.name == "job" && method == "task":
			if v := m.value.Unwrap(); m.kind == "pair" && isStringLit(v) && !v.HasError() {
				x.f.rare().Jobs.Used = append(x.f.rare().Jobs.Used, JobUse{Name: stringValue(v), Range: x.rng(v), Via: "job"})
			}
		case m.name == "choices" && method == "choice":
			arr := m.value.Unwrap()
			if m.kind != "pair" || !arr.Is("array") {
				continue
			}
			for _, c := range arr.NamedChildren() {
				if c = c.Unwrap(); !c.Is("object") {
					continue
				}
				cms, _ := objectMembers(c)
				if nm, ok := member(cms, "next"); ok {
					ref(nm, "next")
				}
			}
		}
	}
}
