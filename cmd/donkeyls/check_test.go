package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/internal/fixture"
	"github.com/donkeyls/donkeyls/internal/testenv"
)

func runMain(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// The example ships stale on purpose: check must say so, with exit 1.
func TestCheckExampleReportsStaleness(t *testing.T) {
	example := filepath.Join(testenv.RepoRoot(), "examples", "bookshop")
	code, out, errOut := runMain(t, "check", example)
	if code != exitFindings {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitFindings, out, errOut)
	}
	for _, want := range []string{
		`src/server/plugins/books/index.ts:61:7: warning: handler "ndjson" of plugin "books" is not in the generated registry`,
		"[stale-registry]",
		"src/server/plugins/orders/migrations/003_add_order_notes.ts:5:50: warning: column orders.notes",
		"[stale-schema]",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	last := strings.TrimSpace(out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:])
	if !strings.HasPrefix(last, "0 errors, 2 warnings") {
		t.Errorf("summary line %q", last)
	}
}

func TestCheckFreshProjectExitsZero(t *testing.T) {
	dir := fixture.Materialize(t, fixture.Fixture{Base: "bookshop", Arch: &txtar.Archive{}})
	code, out, errOut := runMain(t, "check", dir)
	if code != exitOK {
		t.Fatalf("exit %d, want 0\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "0 errors, 0 warnings") {
		t.Errorf("summary missing:\n%s", out)
	}
}

func TestCheckJSON(t *testing.T) {
	example := filepath.Join(testenv.RepoRoot(), "examples", "bookshop")
	code, out, _ := runMain(t, "check", "--format", "json", example)
	if code != exitFindings {
		t.Fatalf("exit %d", code)
	}
	var doc struct {
		Findings []struct {
			Code     string `json:"code"`
			Severity string `json:"severity"`
			File     string `json:"file"`
			Range    struct {
				Start struct{ Line, Character int } `json:"start"`
				End   struct{ Line, Character int } `json:"end"`
			} `json:"range"`
			Message string            `json:"message"`
			Related []json.RawMessage `json:"related"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	found := false
	for _, f := range doc.Findings {
		if f.Code == "stale-registry" {
			found = true
			// 0-based, as in LSP: line 61 column 7 in the text output.
			if f.File != "src/server/plugins/books/index.ts" || f.Range.Start.Line != 60 || f.Range.Start.Character != 6 || f.Range.End.Character != 12 {
				t.Errorf("stale-registry at %s %+v", f.File, f.Range)
			}
			if f.Severity != "warning" || f.Related == nil {
				t.Errorf("severity %q related %v", f.Severity, f.Related)
			}
		}
		if strings.Contains(f.File, "\\") || filepath.IsAbs(f.File) {
			t.Errorf("file %q is not relative with forward slashes", f.File)
		}
	}
	if !found {
		t.Errorf("no stale-registry finding in %s", out)
	}
}

func TestCheckUsageAndIOErrors(t *testing.T) {
	empty := t.TempDir()
	os.WriteFile(filepath.Join(empty, "README.md"), []byte("not a project"), 0o644)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"missing directory", []string{"check", filepath.Join(empty, "nope")}, "no such file or directory"},
		{"no project", []string{"check", empty}, "holds no donkeylabs project"},
		{"bad format", []string{"check", "--format", "xml", empty}, `unknown format "xml"`},
		{"two directories", []string{"check", empty, empty}, "at most one directory"},
		{"unknown flag", []string{"check", "--frobnicate"}, "flag provided but not defined"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, errOut := runMain(t, c.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want 2", code)
			}
			if !strings.Contains(errOut, c.want) {
				t.Errorf("stderr %q lacks %q", errOut, c.want)
			}
		})
	}
}

// A monorepo: two projects under one directory are each analyzed on their own.
func TestCheckMonorepo(t *testing.T) {
	root := t.TempDir()
	for _, name := range []string{"shop", "admin"} {
		dir := filepath.Join(root, "apps", name)
		os.MkdirAll(dir, 0o755)
		fixture.Base(t, fixture.Fixture{Base: "bookshop"}, dir)
	}
	// Make one of them stale.
	reg := filepath.Join(root, "apps", "admin", ".@donkeylabs", "server", "registry.d.ts")
	b, _ := os.ReadFile(reg)
	os.WriteFile(reg, bytes.Replace(b, []byte(`"typed" | "raw" | "csv" | "ndjson"`), []byte(`"typed" | "raw" | "csv"`), 1), 0o644)
	code, out, errOut := runMain(t, "check", root)
	if code != exitFindings {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "apps/admin/src/server/plugins/books/index.ts:61:7") {
		t.Errorf("the stale project's finding is missing:\n%s", out)
	}
	for line := range strings.SplitSeq(out, "\n") {
		if strings.HasPrefix(line, "apps/shop/") && !strings.Contains(line, ": hint: ") {
			t.Errorf("the fresh project must have nothing above hint level: %s", line)
		}
	}
}

func TestVersionAndUnknownCommand(t *testing.T) {
	if code, out, _ := runMain(t, "version"); code != 0 || !strings.HasPrefix(out, "donkeyls ") {
		t.Errorf("version: %d %q", code, out)
	}
	if code, _, errOut := runMain(t, "frobnicate"); code != exitUsage || !strings.Contains(errOut, "unknown command") {
		t.Errorf("unknown command: %d %q", code, errOut)
	}
}

// The example made fresh is the README's showcase of a realistic project:
// nothing at warning level or above (TestCheckFreshProjectExitsZero), and
// the route-direct-db hint exactly where a route queries ctx.db directly
// (examples/bookshop/README.md documents admin.salesReport), offering the
// extract-to-plugin command.
func TestCheckExampleHintsItsOneDirectQuery(t *testing.T) {
	dir := fixture.Materialize(t, fixture.Fixture{Base: "bookshop", Arch: &txtar.Archive{}})
	findings, _, err := checkDir(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	var hints []string
	for _, f := range findings {
		if f.Code != "route-direct-db" {
			continue
		}
		rel, _ := filepath.Rel(dir, f.Location.Path)
		hints = append(hints, fmt.Sprintf("%s:%d:%d", filepath.ToSlash(rel), f.Location.Range.Start.Line+1, f.Location.Range.Start.Col+1))
		if f.Severity != analysis.SeverityHint || len(f.Commands) != 1 || f.Commands[0].Command != analysis.CommandExtractPlugin {
			t.Errorf("route-direct-db: severity %s, commands %+v; want a hint offering extract-to-plugin", f.Severity, f.Commands)
		}
	}
	if want := "src/server/routes/admin.ts:20:23"; strings.Join(hints, " ") != want {
		t.Errorf("route-direct-db hints at %v, want exactly %s", hints, want)
	}
}
