package refactor_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/donkeyls/donkeyls/internal/testenv"
	"github.com/donkeyls/donkeyls/internal/tsmodeltest"
)

// tscTimeout bounds one compiler run so a hang fails with a message.
const tscTimeout = 3 * time.Minute

// TestTypeScriptAcceptsResult applies each successful golden's edit to its
// project and runs TypeScript 5 (with the declaration model of the
// framework in testdata/tsmodel) before and after. After the edit and the
// typegen it calls for (simulated here exactly as `donkeylabs generate`
// writes a new plugin into registry.d.ts and context.d.ts), the compiler
// reports no error it did not report before.
func TestTypeScriptAcceptsResult(t *testing.T) {
	tsc := testenv.TSC(t)
	for _, g := range goldens(t) {
		if g.refusal != "" {
			continue
		}
		if testing.Short() && g.name != "db-query-input" && g.name != "into-existing" {
			continue
		}
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			before := g.project(t)
			install(t, before)
			want := compile(t, tsc, before)

			res, err := runGolden(t, g)
			if err != nil {
				t.Fatalf("extract: %v", err)
			}
			res.write(t)
			install(t, res.dir)
			newPlugin := ""
			for _, c := range res.edit.Creates {
				newPlugin = filepath.Base(filepath.Dir(c.Path))
			}
			if newPlugin != "" && g.name == "db-query-input" {
				// Before typegen the route's call is the stale-registry
				// finding seen by the compiler: the plugin is not in
				// PluginRegistry yet, and that is the only new error.
				for _, d := range newErrors(want, compile(t, tsc, res.dir)) {
					if d.Code != "TS2339" || !strings.Contains(d.Message, fmt.Sprintf("'%s'", newPlugin)) {
						t.Errorf("before typegen, unexpected error %s", d)
					}
				}
			}
			if newPlugin != "" {
				simulateTypegen(t, res.dir, newPlugin)
			}
			for _, d := range newErrors(want, compile(t, tsc, res.dir)) {
				t.Errorf("new compiler error after the extraction: %s", d)
			}
		})
	}
}

func install(t *testing.T, dir string) {
	t.Helper()
	if err := tsmodeltest.InstallModel(testenv.RepoRoot(), dir); err != nil {
		t.Fatal(err)
	}
}

func compile(t *testing.T, tsc, dir string) []tsmodeltest.Diagnostic {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), tscTimeout)
	defer cancel()
	diags, err := tsmodeltest.Check(ctx, tsc, dir)
	if ctx.Err() != nil {
		t.Fatalf("tsc did not finish within %v on %s", tscTimeout, dir)
	}
	if err != nil {
		t.Fatal(err)
	}
	return diags
}

// newErrors lists the diagnostics of after that before does not have,
// compared by file, code and message (lines move when code moves).
func newErrors(before, after []tsmodeltest.Diagnostic) []tsmodeltest.Diagnostic {
	count := map[string]int{}
	key := func(d tsmodeltest.Diagnostic) string { return d.File + "\x00" + d.Code + "\x00" + d.Message }
	for _, d := range before {
		count[key(d)]++
	}
	var out []tsmodeltest.Diagnostic
	for _, d := range after {
		if count[key(d)] > 0 {
			count[key(d)]--
			continue
		}
		out = append(out, d)
	}
	return out
}

// simulateTypegen adds a new plugin to the generated registry and context
// the way the real generator writes them (see the example's registry.d.ts
// and context.d.ts), since the generator itself cannot run here.
func simulateTypegen(t *testing.T, dir, plugin string) {
	t.Helper()
	out := filepath.Join(dir, ".@donkeylabs", "server")
	export := plugin + "Plugin"
	rel, err := filepath.Rel(out, filepath.Join(dir, "src", "server", "plugins", plugin, "index"))
	if err != nil {
		t.Fatal(err)
	}
	edit := func(file string, fn func(string) string) {
		path := filepath.Join(out, file)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		s := fn(string(b))
		if s == string(b) {
			t.Fatalf("simulated typegen changed nothing in %s", file)
		}
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	insertBefore := func(s, after, before, text string) string {
		i := strings.Index(s, after)
		if i < 0 {
			t.Fatalf("simulated typegen: %q not found", after)
		}
		j := strings.Index(s[i:], before)
		if j < 0 {
			t.Fatalf("simulated typegen: %q not found after %q", before, after)
		}
		return s[:i+j] + text + s[i+j:]
	}
	edit("registry.d.ts", func(s string) string {
		lines := strings.Split(s, "\n")
		last := 0
		for i, l := range lines {
			if strings.HasPrefix(l, "import {") && strings.Contains(l, "Plugin } from") {
				last = i
			}
		}
		imp := fmt.Sprintf("import { %s } from %q;", export, filepath.ToSlash(rel))
		lines = append(lines[:last+1], append([]string{imp}, lines[last+1:]...)...)
		s = strings.Join(lines, "\n")
		reg := fmt.Sprintf("    %s: Register<InferService<typeof %[2]s>, InferSchema<typeof %[2]s>, InferHandlers<typeof %[2]s>, InferDependencies<typeof %[2]s>, InferMiddleware<typeof %[2]s>>;\n", plugin, export)
		s = insertBefore(s, "export interface PluginRegistry {", "  }\n", reg)
		s = insertBefore(s, "export interface PluginHandlerRegistry extends", "\n  {}", fmt.Sprintf(",\n    InferHandlers<typeof %s>", export))
		s = insertBefore(s, "export interface PluginMiddlewareRegistry extends", "\n  {}", fmt.Sprintf(",\n    InferMiddleware<typeof %s>", export))
		return s
	})
	edit("context.d.ts", func(s string) string {
		return insertBefore(s, "export type DatabaseSchema =", ";", fmt.Sprintf(" & PluginRegistry[%q][\"schema\"]", plugin))
	})
}
