package lsp_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/tools/txtar"

	"github.com/donkeyls/donkeyls/analysis/textpos"
	"github.com/donkeyls/donkeyls/internal/fixture"
	"github.com/donkeyls/donkeyls/internal/testenv"
	"github.com/donkeyls/donkeyls/lsp/lsptest"
	"github.com/donkeyls/donkeyls/lsp/text"
)

// extractAction is the part of a CodeAction the test reads.
type extractAction struct {
	Title       string `json:"title"`
	Kind        string `json:"kind"`
	IsPreferred bool   `json:"isPreferred"`
	Diagnostics []struct {
		Code string `json:"code"`
	} `json:"diagnostics"`
	Disabled *struct {
		Reason string `json:"reason"`
	} `json:"disabled"`
	Command *struct {
		Command string `json:"command"`
	} `json:"command"`
	Edit *wireEdit `json:"edit"`
}

type wireEdit struct {
	DocumentChanges []json.RawMessage `json:"documentChanges"`
}

type wireTextEdit struct {
	Range struct {
		Start struct{ Line, Character int } `json:"start"`
		End   struct{ Line, Character int } `json:"end"`
	} `json:"range"`
	NewText string `json:"newText"`
}

// serveBinary starts the real binary on a pipe and returns its client.
func serveBinary(t *testing.T) *lsptest.Client {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), "donkeyls.log")
	cmd := exec.Command(testenv.Binary(t), "serve", "--log", logPath)
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("donkeyls log:\n%s", b)
		}
	})
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting donkeyls: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = stdin.Close()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	// Registered last, so it runs first: before stdin is closed.
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		// A server that stopped answering shows where it is stuck: Go
		// prints every goroutine on SIGQUIT. stderr is read once the
		// process is gone and cmd.Wait has copied all of it.
		_ = cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-exited:
			t.Logf("donkeyls stderr:\n%s", stderr.String())
		case <-time.After(10 * time.Second):
		}
	})
	return lsptest.New(t, stdout, stdin)
}

// TestExtractToPluginThroughServer is the editor session of issue 6: open
// the route with the route-direct-db hint, ask for refactor.extract
// actions, apply the returned edit the way an editor does (creating the
// new plugin file) and save: the hint is gone, and saving the new plugin
// runs typegen (on-save typegen is on by default when an edit makes the
// outputs stale), after which the registry is fresh again.
func TestExtractToPluginThroughServer(t *testing.T) {
	root := t.TempDir()
	fixture.Base(t, fixture.Fixture{Base: "shop"}, root)
	regen, ran := typegenScript(t, "admin")
	c := serveBinary(t)
	caps := lsptest.Capabilities(true)
	caps["textDocument"].(map[string]any)["codeAction"].(map[string]any)["disabledSupport"] = true
	c.Initialize(root, caps, map[string]any{"trusted": true, "typegen": map[string]any{"command": regen}})

	admin := filepath.Join(root, "src", "server", "routes", "admin.ts")
	open := map[string]string{admin: c.Open(admin)}
	d := c.WaitDiagnostics(admin, "the route-direct-db hint", func(d lsptest.Diagnostics) bool { return lsptest.Has(d, "route-direct-db") })
	var hint any
	var hintRange any
	for _, x := range d.Diagnostics {
		if fmt.Sprint(x.Code) == "route-direct-db" {
			hint, hintRange = x, x.Range
		}
	}

	var actions []extractAction
	if err := c.Call("textDocument/codeAction", map[string]any{
		"textDocument": map[string]any{"uri": text.FileURI(admin)},
		"range":        hintRange,
		"context":      map[string]any{"diagnostics": []any{hint}, "only": []string{"refactor"}},
	}, &actions); err != nil {
		t.Fatalf("codeAction: %v", err)
	}
	var titles []string
	var extract *extractAction
	for i, a := range actions {
		titles = append(titles, a.Title)
		if a.Kind != "refactor.extract" {
			t.Errorf("action %q has kind %q, want refactor.extract", a.Title, a.Kind)
		}
		if a.Title == "Extract into new plugin 'admin'" {
			extract = &actions[i]
		}
	}
	// The default target, then the plugin that owns the queried table.
	if strings.Join(titles, " | ") != "Extract into new plugin 'admin' | Move into plugin 'orders'" {
		t.Errorf("actions %q, want the new plugin 'admin' and a move into 'orders'", titles)
	}
	if extract == nil || extract.Edit == nil {
		t.Fatalf("no extract action with an edit among %q", titles)
	}
	if !extract.IsPreferred || len(extract.Diagnostics) != 1 || extract.Diagnostics[0].Code != "route-direct-db" {
		t.Errorf("the extract action should be preferred and resolve the route-direct-db hint: %+v", extract)
	}

	plugin := filepath.Join(root, "src", "server", "plugins", "admin", "index.ts")
	written := applyEdit(t, c, *extract.Edit, open, func() {
		// Applied but not saved yet: the new plugin is not in the registry.
		c.WaitDiagnostics(plugin, "the new plugin reported missing from the registry", func(d lsptest.Diagnostics) bool { return lsptest.Has(d, "stale-registry") })
	})

	c.WaitDiagnostics(admin, "the route-direct-db hint gone", func(d lsptest.Diagnostics) bool { return !lsptest.Has(d, "route-direct-db") })
	c.WaitDiagnostics(plugin, "the registry fresh after on-save typegen", func(d lsptest.Diagnostics) bool {
		return len(d.Diagnostics) == 0
	})
	if _, err := os.Stat(ran); err != nil {
		t.Errorf("typegen did not run after the new plugin was saved: %v", err)
	}

	// The editor's files are exactly what the refactoring's golden says.
	want := goldenFiles(t, "db-query-input")
	var got []string
	for rel := range want {
		got = append(got, rel)
	}
	for _, p := range written {
		rel, _ := filepath.Rel(root, p)
		if _, ok := want[filepath.ToSlash(rel)]; !ok {
			t.Errorf("the edit wrote %s, which the golden does not change", rel)
		}
	}
	slices.Sort(got)
	for _, rel := range got {
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
		if err != nil {
			t.Fatalf("after the edit: %v", err)
		}
		if string(b) != want[rel] {
			t.Errorf("%s after the editor applied the edit differs from the golden:\n%s", rel, b)
		}
	}

	// A move the refactoring refuses is shown disabled, with the reason.
	b, err := os.ReadFile(admin)
	if err != nil {
		t.Fatal(err)
	}
	line, char := textpos.New(b).Position(strings.Index(string(b), `route("ping")`), textpos.UTF16)
	pos := map[string]any{"line": line, "character": char}
	var ping []extractAction
	if err := c.Call("textDocument/codeAction", map[string]any{
		"textDocument": map[string]any{"uri": text.FileURI(admin)},
		"range":        map[string]any{"start": pos, "end": pos},
		"context":      map[string]any{"diagnostics": []any{}},
	}, &ping); err != nil {
		t.Fatalf("codeAction on ping: %v", err)
	}
	var disabled []string
	for _, a := range ping {
		if a.Kind == "refactor.extract" {
			if a.Disabled == nil || a.Edit != nil {
				t.Errorf("the raw ping route offers %q enabled", a.Title)
				continue
			}
			disabled = append(disabled, a.Disabled.Reason)
		}
	}
	if len(disabled) != 1 || !strings.Contains(disabled[0], "Response") {
		t.Errorf("ping route: disabled reasons %q, want one saying it builds a Response", disabled)
	}
	c.Shutdown()
}

// applyEdit applies a workspace edit as VS Code does: a created file
// exists empty on disk and opens in a buffer, every edit lands in an open
// buffer (files not open yet are opened first), and nothing is saved until
// the user saves; then every changed buffer is saved. beforeSave runs
// between the two. It returns the paths written.
func applyEdit(t *testing.T, c *lsptest.Client, we wireEdit, open map[string]string, beforeSave func()) []string {
	t.Helper()
	contents := map[string]string{}
	var order []string
	for _, raw := range we.DocumentChanges {
		var op struct {
			Kind         string `json:"kind"`
			URI          string `json:"uri"`
			TextDocument struct {
				URI string `json:"uri"`
			} `json:"textDocument"`
			Edits []wireTextEdit `json:"edits"`
		}
		if err := json.Unmarshal(raw, &op); err != nil {
			t.Fatalf("document change %s: %v", raw, err)
		}
		if op.Kind == "create" {
			u, err := text.ParseURI(op.URI)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(u.Path); err == nil {
				t.Fatalf("the edit creates %s, which exists", u.Path)
			}
			if err := os.MkdirAll(filepath.Dir(u.Path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(u.Path, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			c.Notify("workspace/didChangeWatchedFiles", map[string]any{"changes": []any{map[string]any{"uri": text.FileURI(u.Path), "type": 1}}})
			continue
		}
		if op.Kind != "" {
			t.Fatalf("unexpected resource operation %q", op.Kind)
		}
		u, err := text.ParseURI(op.TextDocument.URI)
		if err != nil {
			t.Fatal(err)
		}
		cur, ok := contents[u.Path]
		if !ok {
			if cur, ok = open[u.Path]; !ok {
				cur = c.Open(u.Path)
			}
			order = append(order, u.Path)
		}
		contents[u.Path] = applyTextEdits(t, cur, op.Edits)
		c.Replace(u.Path, contents[u.Path])
	}
	beforeSave()
	for _, p := range order {
		c.Save(p, contents[p])
	}
	return order
}

// applyTextEdits applies edits made against one text (LSP semantics: all
// ranges refer to the original; inserts at one place keep their order).
func applyTextEdits(t *testing.T, s string, edits []wireTextEdit) string {
	t.Helper()
	lines := textpos.New([]byte(s))
	type span struct {
		start, end int
		text       string
	}
	spans := make([]span, len(edits))
	for i, e := range edits {
		spans[i] = span{
			start: lines.Offset(e.Range.Start.Line, e.Range.Start.Character, textpos.UTF16),
			end:   lines.Offset(e.Range.End.Line, e.Range.End.Character, textpos.UTF16),
			text:  e.NewText,
		}
	}
	sort.SliceStable(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	var b strings.Builder
	pos := 0
	for _, sp := range spans {
		if sp.start < pos {
			t.Fatalf("overlapping edits at offset %d", sp.start)
		}
		b.WriteString(s[pos:sp.start])
		b.WriteString(sp.text)
		pos = sp.end
	}
	b.WriteString(s[pos:])
	return b.String()
}

// goldenFiles reads the want/ files of a refactoring golden archive.
func goldenFiles(t *testing.T, name string) map[string]string {
	t.Helper()
	arch, err := txtar.ParseFile(filepath.Join(testenv.RepoRoot(), "analysis", "refactor", "testdata", name+".txtar"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range arch.Files {
		if rel, ok := strings.CutPrefix(f.Name, "want/"); ok {
			out[rel] = string(f.Data)
		}
	}
	return out
}

// typegenScript writes a typegen command that does what `donkeylabs
// generate` does after an extraction into a new plugin: the
// project's registry.d.ts and context.d.ts gain the new plugin, in the
// generator's own format. It returns the command and a file it creates
// when it runs.
func typegenScript(t *testing.T, plugin string) (cmd, ran string) {
	t.Helper()
	staging := t.TempDir()
	fixture.Base(t, fixture.Fixture{Base: "shop"}, staging)
	out := filepath.Join(staging, ".@donkeylabs", "server")
	export := plugin + "Plugin"
	edit := func(file, after, before, insert string) {
		path := filepath.Join(out, file)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		i := strings.Index(s, after)
		j := strings.Index(s[i+1:], before)
		if i < 0 || j < 0 {
			t.Fatalf("%s: cannot find %q then %q", file, after, before)
		}
		s = s[:i+1+j] + insert + s[i+1+j:]
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	edit("registry.d.ts", "import { usersPlugin }", "\n", fmt.Sprintf("\nimport { %s } from \"../../src/server/plugins/%s/index\";", export, plugin))
	edit("registry.d.ts", "export interface PluginRegistry {", "  }\n", fmt.Sprintf("    %s: Register<InferService<typeof %[2]s>, InferSchema<typeof %[2]s>, InferHandlers<typeof %[2]s>, InferDependencies<typeof %[2]s>, InferMiddleware<typeof %[2]s>>;\n", plugin, export))
	edit("registry.d.ts", "export interface PluginHandlerRegistry extends", "\n  {}", fmt.Sprintf(",\n    InferHandlers<typeof %s>", export))
	edit("registry.d.ts", "export interface PluginMiddlewareRegistry extends", "\n  {}", fmt.Sprintf(",\n    InferMiddleware<typeof %s>", export))
	edit("context.d.ts", "export type DatabaseSchema =", ";", fmt.Sprintf(" & PluginRegistry[%q][\"schema\"]", plugin))
	dir := t.TempDir()
	ran = filepath.Join(dir, "ran")
	script := filepath.Join(dir, "generate.sh")
	var b strings.Builder
	b.WriteString("#!/bin/sh\nset -e\necho 'Generating types...'\n")
	for _, f := range []string{"registry.d.ts", "context.d.ts"} {
		fmt.Fprintf(&b, "cp %q \"$PWD/.@donkeylabs/server/%s\"\n", filepath.Join(out, f), f)
	}
	fmt.Fprintf(&b, "touch %q\n", ran)
	if err := os.WriteFile(script, []byte(b.String()), 0o755); err != nil {
		t.Fatal(err)
	}
	return "sh " + script, ran
}

// TestExtractCommandWithChosenNames runs donkeyls.extractToPlugin with names
// the user typed: a valid one is applied through workspace/applyEdit, an
// unsafe one is refused with the reason shown and nothing applied.
func TestExtractCommandWithChosenNames(t *testing.T) {
	root := t.TempDir()
	fixture.Base(t, fixture.Fixture{Base: "shop"}, root)
	c := serveBinary(t)
	initResult := c.Initialize(root, lsptest.Capabilities(true), nil)
	if !strings.Contains(string(initResult), `"donkeyls.extractToPlugin"`) {
		t.Errorf("initialize does not list donkeyls.extractToPlugin among the commands: %s", initResult)
	}
	admin := filepath.Join(root, "src", "server", "routes", "admin.ts")
	content := c.Open(admin)
	c.WaitDiagnostics(admin, "the route-direct-db hint", func(d lsptest.Diagnostics) bool { return lsptest.Has(d, "route-direct-db") })
	atLine, atChar := textpos.New([]byte(content)).Position(strings.Index(content, "ctx.db"), textpos.UTF16)
	run := func(plugin, method string) (result struct {
		Applied bool     `json:"applied"`
		Reason  string   `json:"reason"`
		Created []string `json:"created"`
	}) {
		t.Helper()
		if err := c.Call("workspace/executeCommand", map[string]any{
			"command": "donkeyls.extractToPlugin",
			"arguments": []any{map[string]any{
				"uri":      text.FileURI(admin),
				"position": map[string]any{"line": atLine, "character": atChar},
				"plugin":   plugin,
				"method":   method,
			}},
		}, &result); err != nil {
			t.Fatalf("executeCommand: %v", err)
		}
		return result
	}

	bad := run("../reports", "")
	if bad.Applied || !strings.Contains(bad.Reason, "path separator") {
		t.Errorf("plugin name ../reports: %+v, want a refusal about the path separator", bad)
	}
	c.WaitMessage("path separator")

	good := run("reports", "sales")
	want := text.FileURI(filepath.Join(root, "src", "server", "plugins", "reports", "index.ts"))
	if !good.Applied || len(good.Created) != 1 || good.Created[0] != want {
		t.Errorf("plugin name reports: %+v, want the edit applied and %s created", good, want)
	}
	c.Shutdown()
}
