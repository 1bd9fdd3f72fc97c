package lsp_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"golang.org/x/tools/txtar"

	"github.com/donkeyls/donkeyls/lsp"
	"github.com/donkeyls/donkeyls/lsp/lsptest"
	"github.com/donkeyls/donkeyls/lsp/text"
)

// Navigation golden tests: testdata/navigation/*.txtar are small projects of
// their own. In their files a marker ⟦name⟧ names the position where it
// stands; markers are removed before the files are written. The `requests`
// section lists one request a line:
//
//	definition NAME          references NAME (declarations left out)
//	references+ NAME         references with includeDeclaration
//	hover NAME               prepareRename NAME
//	rename NAME NEWNAME      completion NAME
//	rename! NAME NEWNAME     (a rename that also shows a warning message)
//	rename? NAME NEWNAME ANSWER  (a rename that asks first; ANSWER is the
//	                         action chosen, "-" dismisses the question,
//	                         "never" says none is asked)
//	symbols PATH             wsymbol QUERY
//	lenses PATH              (code lenses of the file, each resolved)
//	actions NAME             (refactor.rewrite code actions there, with their edits)
//	open PATH                (open the file as a buffer, content from disk)
//	replace PATH             (the buffer becomes the file's `PATH.edit` section)
//
// A section named `git-commit` makes the project a git repository with
// every file committed (its content is the commit message).
//
// The `want` section is the rendered answers, each after "> request". Run
// with -update to rewrite it, then read the diff: it is the behaviour.
var update = flag.Bool("update", false, "rewrite the want sections of the navigation fixtures")

const (
	markOpen  = "⟦"
	markClose = "⟧"
)

type mark struct {
	path      string
	line, col int // col in UTF-16 units
}

func TestNavigationGolden(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "navigation", "*.txtar"))
	if len(paths) == 0 {
		t.Fatal("no fixtures in testdata/navigation")
	}
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) { runNavFixture(t, path) })
	}
}

// stripMarks removes the markers of content and records their positions.
func stripMarks(path, content string, marks map[string]mark) string {
	var b strings.Builder
	for {
		i := strings.Index(content, markOpen)
		if i < 0 {
			b.WriteString(content)
			return b.String()
		}
		j := strings.Index(content[i:], markClose)
		if j < 0 {
			b.WriteString(content)
			return b.String()
		}
		b.WriteString(content[:i])
		done := b.String()
		line := strings.Count(done, "\n")
		col := len(utf16.Encode([]rune(done[strings.LastIndexByte(done, '\n')+1:])))
		marks[content[i+len(markOpen):i+j]] = mark{path: path, line: line, col: col}
		content = content[i+j+len(markClose):]
	}
}

func runNavFixture(t *testing.T, fixture string) {
	ar, err := txtar.ParseFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	got := navAnswers(t, ar, nil, nil)
	wantIdx := -1
	for i, f := range ar.Files {
		if f.Name == "want" {
			wantIdx = i
		}
	}
	if *update {
		if wantIdx < 0 {
			ar.Files = append(ar.Files, txtar.File{Name: "want"})
			wantIdx = len(ar.Files) - 1
		}
		ar.Files[wantIdx].Data = []byte(got)
		if err := os.WriteFile(fixture, txtar.Format(ar), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if wantIdx < 0 {
		t.Fatalf("no want section; run with -update\n%s", got)
	}
	if want := string(ar.Files[wantIdx].Data); got != want {
		t.Errorf("answers differ\n--- got\n%s--- want\n%s", got, want)
	}
}

// navAnswers writes the fixture's project (and extra files over it) to a
// new directory, runs its requests (those keep accepts, all when nil) and
// renders the answers.
func navAnswers(t *testing.T, ar *txtar.Archive, extra map[string]string, keep func(request string) bool) string {
	t.Helper()
	root := t.TempDir()
	marks := map[string]mark{}
	var requests []string
	edits := map[string]string{}
	commit := ""
	write := func(name, content string) {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range ar.Files {
		switch {
		case f.Name == "requests":
			for l := range strings.SplitSeq(string(f.Data), "\n") {
				if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") && (keep == nil || keep(l)) {
					requests = append(requests, l)
				}
			}
		case f.Name == "want":
		case f.Name == "git-commit":
			commit = strings.TrimSpace(string(f.Data))
		case strings.HasSuffix(f.Name, ".edit"):
			edits[strings.TrimSuffix(f.Name, ".edit")] = stripMarks(strings.TrimSuffix(f.Name, ".edit"), string(f.Data), marks)
		default:
			write(f.Name, stripMarks(f.Name, string(f.Data), marks))
		}
	}
	for name, content := range extra {
		write(name, content)
	}
	if commit != "" {
		gitCommitAll(t, root, commit)
	}
	c := startNav(t, root)
	var out strings.Builder
	for _, r := range requests {
		fmt.Fprintf(&out, "> %s\n", r)
		out.WriteString(navRequest(t, c, root, marks, edits, r))
	}
	return out.String()
}

// TestAnswersIgnoreGeneratedTypes: where a name leads, its references and
// renames come from the sources, so generated types that are stale (a
// registry and client from before the handlers and routes existed, a
// schema.ts without a later column) must not change them. The generated
// files' own occurrences are left out of the comparison: references list
// them, marked by their path, when they exist.
func TestAnswersIgnoreGeneratedTypes(t *testing.T) {
	ar, err := txtar.ParseFile(filepath.Join("testdata", "navigation", "routes.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	sourceOnly := func(req string) bool {
		for _, p := range []string{"definition ", "references", "prepareRename ", "rename ", "symbols ", "lenses src/server/plugins"} {
			if strings.HasPrefix(req, p) {
				return true
			}
		}
		return false
	}
	stale := map[string]string{
		".@donkeylabs/server/registry.d.ts": `// Auto-generated by donkeylabs generate
import { type Register, type InferService } from "@donkeylabs/server";
import { authPlugin } from "../../src/server/plugins/auth/index";

declare module "@donkeylabs/server" {
  export interface PluginRegistry {
    auth: Register<InferService<typeof authPlugin>>;
  }
  export type AvailableHandlers = "typed" | "raw";
  export type AvailableMiddleware = "authRequired";
}
`,
		"src/lib/api.ts": `// Auto-generated by donkeylabs generate
export class ApiClient extends UnifiedApiClientBase {
  api = {
    before: (input: Routes.Api.Before.Input, options?: RequestOptions): Promise<Routes.Api.Before.Output> => this.request("api.before", input, options)
  };
}
`,
		"src/server/plugins/books/schema.ts": `export interface Books {
  id: string;
  title: string;
  author: string | null;
}

export interface DB {
  books: Books;
}
`,
	}
	without := navAnswers(t, ar, nil, sourceOnly)
	with := navAnswers(t, ar, stale, sourceOnly)
	generated := regexp.MustCompile(`(?m)^(\.@donkeylabs/server/registry\.d\.ts|src/lib/api\.ts|src/server/plugins/books/schema\.ts):.*\n`)
	if a, b := without, generated.ReplaceAllString(with, ""); a != b {
		t.Errorf("stale generated types changed the answers\n--- without them\n%s--- with them\n%s", a, b)
	}
	if !strings.Contains(without, "> rename routeDef all") {
		t.Fatal("the fixture lost its requests")
	}
}

func startNav(t testing.TB, root string) *lsptest.Client {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cr, sw := io.Pipe()
	sr, cw := io.Pipe()
	done := make(chan struct{})
	go func() {
		lsp.Serve(ctx, sr, sw, lsp.Options{Debounce: -1})
		sw.Close()
		close(done)
	}()
	t.Cleanup(func() {
		cancel()
		cw.Close()
		<-done
	})
	c := lsptest.New(t, cr, cw)
	// No wait for indexing: navigation requests wait for the first
	// snapshot themselves, which the first request of each fixture checks.
	caps := lsptest.Capabilities(true)
	// Disabled actions say why they cannot run (the align fixture).
	caps["textDocument"].(map[string]any)["codeAction"].(map[string]any)["disabledSupport"] = true
	c.Initialize(root, caps, map[string]any{"typegen": map[string]any{"onSave": "off"}})
	return c
}

func position(t *testing.T, root string, marks map[string]mark, name string) map[string]any {
	t.Helper()
	m, ok := marks[name]
	if !ok {
		t.Fatalf("no marker ⟦%s⟧", name)
	}
	return map[string]any{
		"textDocument": map[string]any{"uri": text.FileURI(filepath.Join(root, filepath.FromSlash(m.path)))},
		"position":     map[string]any{"line": m.line, "character": m.col},
	}
}

type navRange struct {
	Start struct{ Line, Character int } `json:"start"`
	End   struct{ Line, Character int } `json:"end"`
}

func (r navRange) String() string {
	return fmt.Sprintf("%d:%d-%d:%d", r.Start.Line+1, r.Start.Character+1, r.End.Line+1, r.End.Character+1)
}

type navLocation struct {
	URI   string   `json:"uri"`
	Range navRange `json:"range"`
}

func relURI(t *testing.T, root, uri string) string {
	u, err := text.ParseURI(uri)
	if err != nil {
		t.Fatalf("bad uri %q: %v", uri, err)
	}
	rel, _ := filepath.Rel(root, u.Path)
	return filepath.ToSlash(rel)
}

func navRequest(t *testing.T, c *lsptest.Client, root string, marks map[string]mark, edits map[string]string, line string) string {
	t.Helper()
	f := strings.Fields(line)
	call := func(method string, params any) (json.RawMessage, string) {
		var raw json.RawMessage
		if err := c.Call(method, params, &raw); err != nil {
			return nil, "error: " + err.Error() + "\n"
		}
		if len(raw) == 0 {
			raw = json.RawMessage("null")
		}
		return raw, ""
	}
	locations := func(raw json.RawMessage) string {
		if string(raw) == "null" {
			return "null\n"
		}
		var locs []navLocation
		if err := json.Unmarshal(raw, &locs); err != nil {
			t.Fatalf("%s: %v: %s", line, err, raw)
		}
		var b strings.Builder
		for _, l := range locs {
			fmt.Fprintf(&b, "%s:%s\n", relURI(t, root, l.URI), l.Range)
		}
		if len(locs) == 0 {
			b.WriteString("[]\n")
		}
		return b.String()
	}
	switch f[0] {
	case "open":
		c.Open(filepath.Join(root, filepath.FromSlash(f[1])))
		return ""
	case "replace":
		p := filepath.Join(root, filepath.FromSlash(f[1]))
		v := c.Replace(p, edits[f[1]])
		c.WaitDiagnostics(p, "the edited buffer's analysis", func(d lsptest.Diagnostics) bool { return d.Version != nil && *d.Version == v })
		return ""
	case "definition":
		raw, e := call("textDocument/definition", position(t, root, marks, f[1]))
		if e != "" {
			return e
		}
		return locations(raw)
	case "references", "references+":
		params := position(t, root, marks, f[1])
		params["context"] = map[string]any{"includeDeclaration": f[0] == "references+"}
		raw, e := call("textDocument/references", params)
		if e != "" {
			return e
		}
		return locations(raw)
	case "hover":
		raw, e := call("textDocument/hover", position(t, root, marks, f[1]))
		if e != "" {
			return e
		}
		if string(raw) == "null" {
			return "null\n"
		}
		var h struct {
			Contents struct{ Kind, Value string } `json:"contents"`
			Range    navRange                     `json:"range"`
		}
		if err := json.Unmarshal(raw, &h); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("[%s %s]\n%s", h.Contents.Kind, h.Range, strings.TrimRight(h.Contents.Value, "\n")+"\n")
	case "prepareRename":
		raw, e := call("textDocument/prepareRename", position(t, root, marks, f[1]))
		if e != "" {
			return e
		}
		var pr struct {
			Range       navRange `json:"range"`
			Placeholder string   `json:"placeholder"`
		}
		if err := json.Unmarshal(raw, &pr); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%s %q\n", pr.Range, pr.Placeholder)
	case "rename", "rename!", "rename?":
		params := position(t, root, marks, f[1])
		params["newName"] = f[2]
		before := len(c.Messages())
		if f[0] == "rename?" {
			answer := f[3]
			if answer == "-" {
				answer = ""
			}
			c.SetMessageAnswer(strings.ReplaceAll(answer, "_", " "))
		}
		raw, e := call("textDocument/rename", params)
		c.SetMessageAnswer("")
		if e != "" {
			return e
		}
		warning := ""
		switch f[0] {
		case "rename!":
			warning = "warning: " + c.WaitMessage("migrations").Message + "\n"
		case "rename?":
			msgs := c.Messages()
			if asked := len(msgs) > before; asked != (f[3] != "never") {
				t.Errorf("%s: asked %v", line, asked)
			}
			for _, m := range msgs[before:] {
				warning += "asked: " + m.Message + "\n"
			}
		}
		if string(raw) == "null" {
			return warning + "null\n"
		}
		var we struct {
			DocumentChanges []struct {
				TextDocument struct {
					URI     string `json:"uri"`
					Version *int32 `json:"version"`
				} `json:"textDocument"`
				Edits []struct {
					Range   navRange `json:"range"`
					NewText string   `json:"newText"`
				} `json:"edits"`
			} `json:"documentChanges"`
			Changes map[string]any `json:"changes"`
		}
		if err := json.Unmarshal(raw, &we); err != nil {
			t.Fatal(err)
		}
		if we.Changes != nil {
			t.Errorf("%s: the edit uses changes, not documentChanges", line)
		}
		var lines []string
		for _, dc := range we.DocumentChanges {
			for _, e := range dc.Edits {
				lines = append(lines, fmt.Sprintf("%s:%s %q", relURI(t, root, dc.TextDocument.URI), e.Range, e.NewText))
			}
		}
		slices.Sort(lines)
		return warning + strings.Join(lines, "\n") + "\n"
	case "completion":
		raw, e := call("textDocument/completion", position(t, root, marks, f[1]))
		if e != "" {
			return e
		}
		if string(raw) == "null" {
			return "null\n"
		}
		var cl struct {
			Items []struct {
				Label      string `json:"label"`
				InsertText string `json:"insertText"`
			} `json:"items"`
		}
		if err := json.Unmarshal(raw, &cl); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, it := range cl.Items {
			b.WriteString(it.Label)
			if it.InsertText != "" {
				fmt.Fprintf(&b, " insert %s", it.InsertText)
			}
			b.WriteString("\n")
		}
		if len(cl.Items) == 0 {
			b.WriteString("[]\n")
		}
		return b.String()
	case "symbols":
		raw, e := call("textDocument/documentSymbol", map[string]any{"textDocument": map[string]any{"uri": text.FileURI(filepath.Join(root, filepath.FromSlash(f[1])))}})
		if e != "" {
			return e
		}
		var syms []docSymbol
		if err := json.Unmarshal(raw, &syms); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		writeSymbols(&b, syms, "")
		return b.String()
	case "actions":
		params := position(t, root, marks, f[1])
		// Code actions answer from the snapshot as it is; navigation
		// requests wait for the first one.
		call("textDocument/documentSymbol", map[string]any{"textDocument": params["textDocument"]})
		pos := params["position"]
		params["range"] = map[string]any{"start": pos, "end": pos}
		delete(params, "position")
		params["context"] = map[string]any{"diagnostics": []any{}, "only": []string{"refactor.rewrite"}}
		raw, e := call("textDocument/codeAction", params)
		if e != "" {
			return e
		}
		var acts []struct {
			Title    string `json:"title"`
			Disabled *struct {
				Reason string `json:"reason"`
			} `json:"disabled"`
			Edit struct {
				DocumentChanges []json.RawMessage `json:"documentChanges"`
			} `json:"edit"`
		}
		if err := json.Unmarshal(raw, &acts); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, a := range acts {
			fmt.Fprintf(&b, "action: %s\n", a.Title)
			if a.Disabled != nil {
				fmt.Fprintf(&b, "  disabled: %s\n", a.Disabled.Reason)
			}
			for _, dc := range a.Edit.DocumentChanges {
				var op struct {
					Kind, OldURI, NewURI string
					TextDocument         struct{ URI string } `json:"textDocument"`
					Edits                []struct {
						Range   navRange `json:"range"`
						NewText string   `json:"newText"`
					} `json:"edits"`
				}
				if err := json.Unmarshal(dc, &op); err != nil {
					t.Fatal(err)
				}
				if op.Kind == "rename" {
					fmt.Fprintf(&b, "  rename %s -> %s\n", relURI(t, root, op.OldURI), relURI(t, root, op.NewURI))
					continue
				}
				for _, e := range op.Edits {
					fmt.Fprintf(&b, "  %s:%s %q\n", relURI(t, root, op.TextDocument.URI), e.Range, e.NewText)
				}
			}
		}
		if len(acts) == 0 {
			b.WriteString("[]\n")
		}
		return b.String()
	case "lenses":
		raw, e := call("textDocument/codeLens", map[string]any{"textDocument": map[string]any{"uri": text.FileURI(filepath.Join(root, filepath.FromSlash(f[1])))}})
		if e != "" {
			return e
		}
		var lenses []map[string]any
		if err := json.Unmarshal(raw, &lenses); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, l := range lenses {
			if l["command"] != nil {
				t.Errorf("%s: codeLens answered resolved lenses; they resolve lazily", line)
			}
			var res struct {
				Range   navRange `json:"range"`
				Command struct {
					Title string `json:"title"`
				} `json:"command"`
			}
			resRaw, e := call("codeLens/resolve", l)
			if e != "" {
				b.WriteString(e)
				continue
			}
			if err := json.Unmarshal(resRaw, &res); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%s %s\n", res.Range, res.Command.Title)
		}
		if len(lenses) == 0 {
			b.WriteString("[]\n")
		}
		return b.String()
	case "wsymbol":
		q := ""
		if len(f) > 1 {
			q = f[1]
		}
		raw, e := call("workspace/symbol", map[string]any{"query": q})
		if e != "" {
			return e
		}
		var syms []struct {
			Name          string      `json:"name"`
			ContainerName string      `json:"containerName"`
			Location      navLocation `json:"location"`
		}
		if err := json.Unmarshal(raw, &syms); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, s := range syms {
			fmt.Fprintf(&b, "%s %s %s:%s\n", s.ContainerName, s.Name, relURI(t, root, s.Location.URI), s.Location.Range)
		}
		return b.String()
	}
	t.Fatalf("unknown request %q", line)
	return ""
}

// gitCommitAll makes root a repository with every file committed, as a
// project whose migrations other databases have applied.
func gitCommitAll(t *testing.T, root, msg string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("git is not installed")
		}
		t.Skip("git is not installed")
	}
	for _, args := range [][]string{
		{"init", "-q"},
		{"add", "-A"},
		{"-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", msg},
	} {
		cmd := exec.Command("git", args...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
}

type docSymbol struct {
	Name           string      `json:"name"`
	Detail         string      `json:"detail"`
	SelectionRange navRange    `json:"selectionRange"`
	Children       []docSymbol `json:"children"`
}

func writeSymbols(b *strings.Builder, syms []docSymbol, indent string) {
	for _, s := range syms {
		fmt.Fprintf(b, "%s%s (%s) %s\n", indent, s.Name, s.Detail, s.SelectionRange)
		writeSymbols(b, s.Children, indent+"  ")
	}
}

// TestRenameOfBufferOpenedAfterTheSnapshot: a rename right after didOpen,
// before the open's analysis (the debounce is an hour), is computed from
// the snapshot that read the file from disk. With the same bytes in the
// buffer its edit carries the buffer's version; with other bytes the rename
// is refused as content modified, since a versionless edit would be applied
// to text it was not computed from.
func TestRenameOfBufferOpenedAfterTheSnapshot(t *testing.T) {
	ar, err := txtar.ParseFile(filepath.Join("testdata", "navigation", "routes.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, appended string
		refused        bool
	}{
		{"same bytes as disk", "", false},
		{"typed before the open was analysed", "// typed\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			marks := map[string]mark{}
			for _, f := range ar.Files {
				if f.Name == "requests" || f.Name == "want" || strings.HasSuffix(f.Name, ".edit") {
					continue
				}
				p := filepath.Join(root, filepath.FromSlash(f.Name))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(stripMarks(f.Name, string(f.Data), marks)), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			c := serve(t, nil, lsp.Options{Debounce: time.Hour})
			c.Initialize(root, lsptest.Capabilities(true), map[string]any{"typegen": map[string]any{"onSave": "off"}})
			params := position(t, root, marks, "routeDef")
			// The first snapshot exists once a navigation request answers.
			var locs []navLocation
			if err := c.Call("textDocument/references", map[string]any{
				"textDocument": params["textDocument"], "position": params["position"], "context": map[string]any{"includeDeclaration": true},
			}, &locs); err != nil || len(locs) == 0 {
				t.Fatalf("references before the open: %v %v", locs, err)
			}
			path := filepath.Join(root, filepath.FromSlash(marks["routeDef"].path))
			disk, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			c.Open(path, string(disk)+tc.appended)
			params["newName"] = "all.renamed"
			var edit struct {
				DocumentChanges []struct {
					TextDocument struct {
						URI     string `json:"uri"`
						Version *int32 `json:"version"`
					} `json:"textDocument"`
				} `json:"documentChanges"`
			}
			err = c.Call("textDocument/rename", params, &edit)
			if tc.refused {
				if err == nil || !strings.Contains(err.Error(), "changed since it was last analyzed") || !strings.Contains(err.Error(), marks["routeDef"].path) {
					t.Fatalf("rename answered %+v, %v; want it refused as content modified", edit, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, dc := range edit.DocumentChanges {
				if dc.TextDocument.URI == text.FileURI(path) {
					found = true
					if dc.TextDocument.Version == nil || *dc.TextDocument.Version != 1 {
						t.Errorf("the open buffer's edit carries version %v, want 1", dc.TextDocument.Version)
					}
				}
			}
			if !found {
				t.Errorf("the rename %+v does not edit the open file", edit)
			}
		})
	}
}
