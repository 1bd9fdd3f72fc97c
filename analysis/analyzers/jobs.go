package analyzers

import (
	"fmt"
	"slices"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/facts"
)

// Jobs and workflows look names up when they run (server 2.5.1, verified
// under Bun): jobs.enqueue/schedule throw `No handler registered for job
// "x"` for a name nothing registered (core/jobs.ts), and a workflow
// that moves to a step it does not have fails with `Step "x" not found in
// workflow` (core/workflow-state-machine.ts). Neither is checked when the
// workflow is built or the server starts.
const (
	CodeUnknownJob          = "unknown-job"
	CodeWorkflowUnknownStep = "workflow-unknown-step"
)

func jobsAnalyzer() *Analyzer {
	return &Analyzer{
		Name:  "jobs",
		Doc:   "checks job names enqueued against the jobs registered, and workflow step references against the workflow's steps",
		Codes: []string{CodeUnknownJob, CodeWorkflowUnknownStep},
		Run:   runJobs,
	}
}

type jobsKey struct{}

func runJobs(p *Pass) {
	var inputs []*facts.File
	uses := false
	for _, f := range sourceFiles(p.Project) {
		if len(f.Workflows()) > 0 {
			reportUnknownSteps(p, f)
		}
		j := f.Jobs()
		if len(j.Registered) > 0 || len(j.Used) > 0 || j.Dynamic || len(f.Plugins) > 0 || len(f.Registrations()) > 0 {
			inputs = append(inputs, f)
			uses = uses || len(j.Used) > 0
		}
	}
	if !uses {
		return
	}
	p.reportReused(jobsKey{}, inputs, func(p *Pass) { checkJobs(p, inputs) })
}

func checkJobs(p *Pass, files []*facts.File) {
	// A plugin that may exist unseen (from a package) may register jobs.
	if pluginModelOf(p.Project).open {
		return
	}
	registered := map[string]bool{}
	for _, f := range files {
		if f.Jobs().Dynamic || brokenFile(f) {
			return
		}
		for _, k := range f.Jobs().Registered {
			registered[k.Name] = true
		}
	}
	names := make([]string, 0, len(registered))
	for n := range registered {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, f := range files {
		for _, u := range f.Jobs().Used {
			if registered[u.Name] {
				continue
			}
			what := fmt.Sprintf("jobs.%s(%q, ...) throws `No handler registered for job %q` (a route calling it answers 500)", u.Via, u.Name, u.Name)
			if u.Via == "job" {
				what = fmt.Sprintf("when the workflow reaches this task it fails with `Step \"…\" failed: No handler registered for job %q`", u.Name)
			}
			fd := analysis.Finding{
				Code:     CodeUnknownJob,
				Severity: analysis.SeverityError,
				Location: analysis.Location{Path: f.Path, Range: u.Range},
			}
			msg := fmt.Sprintf("no job %q is registered (no jobs.register or jobs.registerExternal has that name): %s", u.Name, what)
			suggestNear(&fd, f, msg, u.Name, names, u.Range)
			p.Report(fd)
		}
	}
}

func reportUnknownSteps(p *Pass, f *facts.File) {
	for _, w := range f.Workflows() {
		if !w.StepsKnown || len(w.Refs) == 0 {
			continue
		}
		steps := map[string]bool{}
		names := make([]string, 0, len(w.Steps))
		for _, s := range w.Steps {
			if !steps[s.Name] {
				names = append(names, s.Name)
			}
			steps[s.Name] = true
		}
		for _, r := range w.Refs {
			if steps[r.Name] {
				continue
			}
			fd := analysis.Finding{
				Code:     CodeWorkflowUnknownStep,
				Severity: analysis.SeverityError,
				Location: analysis.Location{Path: f.Path, Range: r.Range},
			}
			subject := fmt.Sprintf("workflow %q", w.Name)
			if w.Name == "" {
				subject = "this workflow"
			}
			msg := fmt.Sprintf("%s has no step %q: building it and starting the server succeed, and each run that reaches this `%s` fails with `Step %q not found in workflow`", subject, r.Name, r.Via, r.Name)
			suggestNear(&fd, f, msg, r.Name, names, r.Range)
			p.Report(fd)
		}
	}
}
