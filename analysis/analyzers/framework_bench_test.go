package analyzers_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/analyzers"
	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/internal/fixture"
	"github.com/donkeyls/donkeyls/internal/synth"
)

// frameworkAnalyzers are the analyzers that report the framework codes.
func frameworkAnalyzers(t testing.TB) []*analyzers.Analyzer {
	t.Helper()
	mine := map[string]bool{}
	for _, c := range append(append([]string{}, frameworkCodes...), requestCodes...) {
		mine[c] = true
	}
	var out []*analyzers.Analyzer
	for _, a := range analyzers.All() {
		for _, c := range a.Codes {
			if mine[c] {
				out = append(out, a)
				break
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no analyzer reports the framework codes")
	}
	return out
}

func runOnly(ctx context.Context, as []*analyzers.Analyzer, p *project.Project) {
	for _, a := range as {
		a.Run(&analyzers.Pass{Context: ctx, Project: p})
	}
}

func synthProject(t testing.TB, opts synth.Options) *project.Project {
	t.Helper()
	src := fixture.Synth(t, opts)
	p, err := project.Load(context.Background(), src.Root(), src)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A generated project with many plugins, dependencies and routes is a
// correct app: the framework analyzers must find nothing wrong in it.
func TestFrameworkSyntheticProjectIsClean(t *testing.T) {
	p := synthProject(t, synth.Options{Plugins: 60, Routes: 300, MigrationsPerPlugin: 2, Adapter: true, Seed: 7})
	// The check means something only if the project exercises it.
	deps, regs := 0, 0
	for _, path := range p.Files() {
		f := p.File(path)
		for _, pl := range f.Plugins {
			deps += len(pl.Dependencies) + len(pl.DepUses)
		}
		regs += len(f.Registrations())
	}
	if len(p.Expected().Plugins) < 60 || deps == 0 || regs < 60 {
		t.Fatalf("synthetic project too thin: %d plugins, %d dependencies and uses, %d registrations", len(p.Expected().Plugins), deps, regs)
	}
	codes := map[string]bool{}
	for _, c := range append(append([]string{}, frameworkCodes...), requestCodes...) {
		codes[c] = true
	}
	for _, f := range analyzers.Run(context.Background(), p) {
		if codes[f.Code] && f.Severity <= analysis.SeverityWarning {
			rel, _ := filepath.Rel(p.Root(), f.Location.Path)
			t.Errorf("%s:%s: %s [%s]", rel, f.Location.Range, f.Message, f.Code)
		}
	}
}

// BenchmarkFrameworkAnalyzers measures the framework analyzers alone on a
// large project (1000 plugins, 10000 routes): their share of every
// edit-to-diagnostics cycle.
func BenchmarkFrameworkAnalyzers(b *testing.B) {
	p := synthProject(b, synth.Options{Plugins: 1000, Routes: 10000, MigrationsPerPlugin: 2, Adapter: true, Seed: 1})
	as := frameworkAnalyzers(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runOnly(ctx, as, p)
	}
}
