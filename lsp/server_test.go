package lsp_test

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/lsp"
	"github.com/donkeyls/donkeyls/lsp/lsptest"
	"github.com/donkeyls/donkeyls/lsp/text"
)

// fakeEngine stands in for the analysis so that these tests check the
// server's own behaviour (ordering, debounce, publishing, actions) and not
// any analyzer's verdict. Its one rule: a line holding "STALE" is a
// stale-registry finding at that word.
type fakeEngine struct {
	mu        sync.Mutex
	analyses  int      // completed Findings calls
	ungated   int      // Findings calls under way that began with no gate
	extracted []string // paths passed to WithFile, in order
	// gate, when set, is called at the start of Findings with the
	// snapshot's files; Findings waits for it to return.
	gate func(ctx context.Context, files map[string]string)
}

func (e *fakeEngine) Discover(ctx context.Context, _ project.Source, dir string) ([]string, error) {
	return []string{dir}, nil
}

func (e *fakeEngine) Load(ctx context.Context, root string, src project.Source) (lsp.Snapshot, error) {
	files := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".ts") {
			return err
		}
		b, err := src.ReadFile(path)
		if err != nil {
			return err
		}
		files[path] = string(b)
		return nil
	})
	return &fakeSnap{e: e, root: root, files: files}, err
}

func (e *fakeEngine) completed() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.analyses
}

type fakeSnap struct {
	e     *fakeEngine
	root  string
	files map[string]string
}

func (s *fakeSnap) Root() string { return s.root }
func (s *fakeSnap) Analyzes(path string) bool {
	return strings.HasPrefix(path, s.root+string(filepath.Separator)) && strings.HasSuffix(path, ".ts")
}
func (s *fakeSnap) IsGenerated(path string) bool { return strings.HasSuffix(path, ".d.ts") }
func (s *fakeSnap) GeneratedPaths() []string     { return nil }
func (s *fakeSnap) NeedsReload() bool            { return false }
func (s *fakeSnap) Config() *project.Config      { return nil }
func (s *fakeSnap) Plugins() []lsp.PluginCode    { return nil }
func (s *fakeSnap) Stale(before lsp.Snapshot, changed []string) (bool, []string) {
	return false, nil
}

func (s *fakeSnap) with(path string, content *string) lsp.Snapshot {
	files := make(map[string]string, len(s.files))
	maps.Copy(files, s.files)
	if content == nil {
		delete(files, path)
	} else {
		files[path] = *content
	}
	return &fakeSnap{e: s.e, root: s.root, files: files}
}

func (s *fakeSnap) WithFile(path string, content []byte) lsp.Snapshot {
	s.e.mu.Lock()
	s.e.extracted = append(s.e.extracted, path)
	s.e.mu.Unlock()
	c := string(content)
	return s.with(path, &c)
}
func (s *fakeSnap) WithoutFile(path string) lsp.Snapshot { return s.with(path, nil) }
func (s *fakeSnap) Holds(path string, content []byte) bool {
	c, ok := s.files[path]
	return ok && c == string(content)
}

func (s *fakeSnap) Findings(ctx context.Context) []analysis.Finding {
	s.e.mu.Lock()
	gate := s.e.gate
	if gate == nil {
		s.e.ungated++
		defer func() {
			s.e.mu.Lock()
			s.e.ungated--
			s.e.mu.Unlock()
		}()
	}
	s.e.mu.Unlock()
	if gate != nil {
		gate(ctx, s.files)
		if ctx.Err() != nil {
			return nil
		}
	}
	var out []analysis.Finding
	for path, content := range s.files {
		for i, line := range strings.Split(content, "\n") {
			before, _, ok := strings.Cut(line, "STALE")
			if !ok {
				continue
			}
			units := len(utf16.Encode([]rune(before)))
			out = append(out, analysis.Finding{
				Code:     "stale-registry",
				Severity: analysis.SeverityWarning,
				Location: analysis.Location{Path: path, Range: analysis.Range{
					Start: analysis.Pos{Line: int32(i), Col: int32(units)},
					End:   analysis.Pos{Line: int32(i), Col: int32(units) + 5},
				}},
				Message:  "stale",
				Commands: []analysis.CommandRef{{Title: "Regenerate types", Command: analysis.CommandRegenerate, Root: s.root}},
			})
		}
	}
	s.e.mu.Lock()
	s.e.analyses++
	s.e.mu.Unlock()
	return out
}

// serve runs an in-process server with the fake engine.
func serve(t *testing.T, e lsp.Engine, opts lsp.Options) *lsptest.Client {
	t.Helper()
	opts.Engine = e
	ctx, cancel := context.WithCancel(context.Background())
	cr, sw := io.Pipe()
	sr, cw := io.Pipe()
	done := make(chan struct{})
	go func() {
		lsp.Serve(ctx, sr, sw, opts)
		sw.Close()
		close(done)
	}()
	t.Cleanup(func() {
		cancel()
		cw.Close()
		<-done
	})
	return lsptest.New(t, cr, cw)
}

func project1(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// waitUntil polls cond, bounded like every wait of these tests.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(lsptest.Timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", lsptest.Timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestBurstOfChangesPublishesOnce: changes arriving while an analysis runs
// cancel it; the burst ends in one completed analysis of the last version.
func TestBurstOfChangesPublishesOnce(t *testing.T) {
	root := project1(t, map[string]string{"a.ts": "export const a = 1;\n"})
	path := filepath.Join(root, "a.ts")
	e := &fakeEngine{}
	c := serve(t, e, lsp.Options{Debounce: -1})
	c.Initialize(root, lsptest.Capabilities(true), nil)
	c.Open(path)
	c.WaitDiagnostics(path, "the open buffer's publish", func(d lsptest.Diagnostics) bool { return d.Version != nil && *d.Version == 1 })
	// From now on an analysis finishes only once it sees the final text;
	// earlier ones wait until a later change cancels them.
	e.mu.Lock()
	e.gate = func(ctx context.Context, files map[string]string) {
		if strings.Contains(files[path], "final") {
			return
		}
		<-ctx.Done()
	}
	e.mu.Unlock()
	// An analysis that began before the gate (the open buffer's, if the
	// load raced the didOpen) may still finish: count from once none that
	// began ungated is left.
	waitUntil(t, "analyses begun before the gate to end", func() bool {
		e.mu.Lock()
		defer e.mu.Unlock()
		return e.ungated == 0
	})
	before := e.completed()
	var last int32
	for i := range 20 {
		body := fmt.Sprintf("export const a = %d; // STALE\n", i)
		if i == 19 {
			body = "export const a = 19; // STALE final\n"
		}
		last = c.Replace(path, body)
	}
	d := c.WaitDiagnostics(path, "the last version's diagnostics", func(d lsptest.Diagnostics) bool { return d.Version != nil && *d.Version == last })
	if !lsptest.Has(d, "stale-registry") {
		t.Errorf("final diagnostics %v lack the finding", lsptest.Codes(d))
	}
	if n := e.completed() - before; n != 1 {
		t.Errorf("a burst of 20 changes completed %d analyses, want 1", n)
	}
	for _, p := range c.Publishes() {
		if p.URI == text.FileURI(path) && p.Version != nil && *p.Version > 1 && *p.Version != last {
			t.Errorf("published diagnostics for intermediate version %d", *p.Version)
		}
	}
}

// TestChangeReadsOnlyThatFile: an edit re-extracts the edited file and no
// other, with other files open and on disk.
func TestChangeReadsOnlyThatFile(t *testing.T) {
	root := project1(t, map[string]string{"a.ts": "export const a = 1;\n", "b.ts": "export const b = 1;\n", "c.ts": "export {};\n"})
	a, b := filepath.Join(root, "a.ts"), filepath.Join(root, "b.ts")
	e := &fakeEngine{}
	c := serve(t, e, lsp.Options{Debounce: -1})
	c.Initialize(root, lsptest.Capabilities(true), nil)
	c.Open(a)
	c.Open(b)
	c.WaitDiagnostics(b, "b analyzed", func(d lsptest.Diagnostics) bool { return d.Version != nil })
	e.mu.Lock()
	e.extracted = nil
	e.mu.Unlock()
	v := c.Change(a, lsptest.Edit{StartLine: 0, StartChar: 16, EndLine: 0, EndChar: 17, Text: "2"})
	c.WaitDiagnostics(a, "the edit analyzed", func(d lsptest.Diagnostics) bool { return d.Version != nil && *d.Version == v })
	e.mu.Lock()
	defer e.mu.Unlock()
	// An analysis cancelled by the next change may still finish extracting
	// a.ts in the background, so a.ts may appear twice; nothing else may.
	if len(e.extracted) == 0 {
		t.Errorf("the edit of a.ts extracted nothing")
	}
	for _, p := range e.extracted {
		if p != a {
			t.Errorf("an edit of a.ts extracted %v, want only a.ts", e.extracted)
			break
		}
	}
}

// TestWatchedFilesBatchAnalyzesOnce: one didChangeWatchedFiles naming 500
// files (a checkout) costs one analysis, and closed files get diagnostics
// without a version.
func TestWatchedFilesBatchAnalyzesOnce(t *testing.T) {
	root := project1(t, map[string]string{"a.ts": "export const a = 1;\n"})
	e := &fakeEngine{}
	c := serve(t, e, lsp.Options{Debounce: -1})
	c.Initialize(root, lsptest.Capabilities(true), nil)
	a := filepath.Join(root, "a.ts")
	c.Open(a)
	c.WaitDiagnostics(a, "the open buffer's publish", func(d lsptest.Diagnostics) bool { return d.Version != nil })
	before := e.completed()
	var changes []any
	for i := range 500 {
		p := filepath.Join(root, "routes", fmt.Sprintf("r%03d.ts", i))
		content := "export const r = 1;\n"
		if i == 499 {
			content = "// STALE\n"
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		changes = append(changes, map[string]any{"uri": text.FileURI(p), "type": 1})
	}
	c.Notify("workspace/didChangeWatchedFiles", map[string]any{"changes": changes})
	last := filepath.Join(root, "routes", "r499.ts")
	d := c.WaitDiagnostics(last, "a finding in a file that is not open", func(d lsptest.Diagnostics) bool { return lsptest.Has(d, "stale-registry") })
	if d.Version != nil {
		t.Errorf("a closed file's diagnostics carry version %d", *d.Version)
	}
	if n := e.completed() - before; n != 1 {
		t.Errorf("500 watched-file changes completed %d analyses, want 1", n)
	}
}

// TestFixedFileIsCleared: a file whose finding disappears gets an empty
// list; a file that never had one gets nothing.
func TestFixedFileIsCleared(t *testing.T) {
	root := project1(t, map[string]string{"a.ts": "// STALE\n", "b.ts": "// STALE\n", "c.ts": "export {};\n"})
	e := &fakeEngine{}
	c := serve(t, e, lsp.Options{})
	c.Initialize(root, lsptest.Capabilities(true), nil)
	a, b := filepath.Join(root, "a.ts"), filepath.Join(root, "b.ts")
	c.WaitDiagnostics(b, "b's finding from the load", func(d lsptest.Diagnostics) bool { return lsptest.Has(d, "stale-registry") })
	c.Open(a)
	v := c.Replace(a, "// fixed\n")
	c.WaitDiagnostics(a, "a cleared", func(d lsptest.Diagnostics) bool {
		return d.Version != nil && *d.Version == v && len(d.Diagnostics) == 0
	})
	if d, _ := c.Latest(b); !lsptest.Has(d, "stale-registry") {
		t.Errorf("b lost its finding: %v", lsptest.Codes(d))
	}
	if _, ok := c.Latest(filepath.Join(root, "c.ts")); ok {
		t.Errorf("c.ts, never with a finding and never open, got diagnostics")
	}
	// Closing a buffer makes the disk the truth again.
	c.Close(a)
	c.WaitDiagnostics(a, "a's disk content again after close", func(d lsptest.Diagnostics) bool { return lsptest.Has(d, "stale-registry") && d.Version == nil })
}

// TestCodeActionsMergeOneCommand: two findings in the range offer one
// "Regenerate types" that lists both diagnostics; a client without
// CodeAction literal support gets a bare Command.
func TestCodeActionsMergeOneCommand(t *testing.T) {
	root := project1(t, map[string]string{"a.ts": "const x = 1; // STALE STALE\n"})
	for _, literal := range []bool{true, false} {
		e := &fakeEngine{}
		c := serve(t, e, lsp.Options{})
		caps := lsptest.Capabilities(true)
		if !literal {
			delete(caps["textDocument"].(map[string]any), "codeAction")
		}
		c.Initialize(root, caps, nil)
		a := filepath.Join(root, "a.ts")
		c.Open(a)
		c.WaitDiagnostics(a, "two findings", func(d lsptest.Diagnostics) bool { return len(d.Diagnostics) == 1 })
		var actions []map[string]any
		if err := c.Call("textDocument/codeAction", map[string]any{
			"textDocument": map[string]any{"uri": text.FileURI(a)},
			"range":        map[string]any{"start": map[string]any{"line": 0, "character": 0}, "end": map[string]any{"line": 0, "character": 40}},
			"context":      map[string]any{"diagnostics": []any{}},
		}, &actions); err != nil {
			t.Fatal(err)
		}
		if len(actions) != 1 {
			t.Fatalf("literal=%v: %d actions %v, want one", literal, len(actions), actions)
		}
		if literal {
			if diags, _ := actions[0]["diagnostics"].([]any); len(diags) != 1 || actions[0]["kind"] != "quickfix" {
				t.Errorf("action %v: want a quickfix with its diagnostic", actions[0])
			}
		} else if actions[0]["command"] != "donkeyls.regenerate" || actions[0]["kind"] != nil {
			t.Errorf("action %v: want a bare Command for a client without literal support", actions[0])
		}
	}
}

// fixEngine reports, for a file holding "UNREGISTERED", a finding whose fix
// creates a file and edits two others: what "extract to plugin" and
// "register the plugin" need.
type fixEngine struct{ fakeEngine }

func (e *fixEngine) Load(ctx context.Context, root string, src project.Source) (lsp.Snapshot, error) {
	s, err := e.fakeEngine.Load(ctx, root, src)
	if err != nil {
		return nil, err
	}
	return fixSnap{s.(*fakeSnap)}, nil
}

type fixSnap struct{ *fakeSnap }

func (s fixSnap) WithFile(path string, content []byte) lsp.Snapshot {
	return fixSnap{s.fakeSnap.WithFile(path, content).(*fakeSnap)}
}

func (s fixSnap) Findings(ctx context.Context) []analysis.Finding {
	var out []analysis.Finding
	for path, content := range s.files {
		if !strings.Contains(content, "UNREGISTERED") {
			continue
		}
		entry := filepath.Join(s.root, "index.ts")
		out = append(out, analysis.Finding{
			Code: "unregistered-plugin", Severity: analysis.SeverityWarning,
			Location: analysis.Location{Path: path, Range: analysis.Range{End: analysis.Pos{Col: 12}}},
			Message:  "not registered",
			Fixes: []analysis.Fix{{Title: "Register it", Edit: analysis.WorkspaceEdit{
				Creates: []analysis.FileCreate{{Path: filepath.Join(s.root, "new.ts"), Content: "export {};\n"}},
				Edits: []analysis.TextEdit{
					{Path: entry, Range: analysis.Range{}, NewText: "import { x } from \"./a\";\n"},
					{Path: path, Range: analysis.Range{End: analysis.Pos{Col: 12}}, NewText: "REGISTERED"},
				},
			}}},
		})
	}
	return out
}

// fileAction is a code action as the tests read it.
type fileAction struct {
	Title string `json:"title"`
	Edit  struct {
		DocumentChanges []map[string]any `json:"documentChanges"`
	} `json:"edit"`
}

// actionsAtStart asks for the code actions on the first character of path.
func actionsAtStart(t *testing.T, c *lsptest.Client, path string) []fileAction {
	t.Helper()
	var actions []fileAction
	if err := c.Call("textDocument/codeAction", map[string]any{
		"textDocument": map[string]any{"uri": text.FileURI(path)},
		"range":        map[string]any{"start": map[string]any{"line": 0, "character": 0}, "end": map[string]any{"line": 0, "character": 1}},
		"context":      map[string]any{"diagnostics": []any{}},
	}, &actions); err != nil {
		t.Fatal(err)
	}
	return actions
}

// TestFixWithFileCreation: a fix that creates a file is sent as
// documentChanges (create first, then versioned edits: the open buffer's
// version, null for a closed file) and left out for a client that cannot
// create files.
func TestFixWithFileCreation(t *testing.T) {
	root := project1(t, map[string]string{"a.ts": "UNREGISTERED\n", "index.ts": "export {};\n"})
	a := filepath.Join(root, "a.ts")
	for _, canCreate := range []bool{true, false} {
		c := serve(t, &fixEngine{}, lsp.Options{})
		caps := lsptest.Capabilities(true)
		if !canCreate {
			caps["workspace"].(map[string]any)["workspaceEdit"] = map[string]any{"documentChanges": true}
		}
		c.Initialize(root, caps, nil)
		c.Open(a)
		c.WaitDiagnostics(a, "unregistered-plugin", func(d lsptest.Diagnostics) bool { return lsptest.Has(d, "unregistered-plugin") })
		actions := actionsAtStart(t, c, a)
		if !canCreate {
			if len(actions) != 0 {
				t.Errorf("a client that cannot create files was offered %v", actions)
			}
			continue
		}
		if len(actions) != 1 {
			t.Fatalf("actions %+v, want the fix", actions)
		}
		dc := actions[0].Edit.DocumentChanges
		if len(dc) != 4 {
			t.Fatalf("documentChanges %v: want create, its content, the entry edit, the buffer edit", dc)
		}
		if dc[0]["kind"] != "create" || dc[0]["uri"] != text.FileURI(filepath.Join(root, "new.ts")) {
			t.Errorf("first change %v, want the creation", dc[0])
		}
		version := func(i int) any { return dc[i]["textDocument"].(map[string]any)["version"] }
		if version(1) != nil || version(2) != nil {
			t.Errorf("edits of files that are not open carry versions %v %v, want null", version(1), version(2))
		}
		if version(3) != float64(1) {
			t.Errorf("the open buffer's edit carries version %v, want 1", version(3))
		}
	}
}

// TestActionOnBufferOpenedAfterTheSnapshot: a code action asked for right
// after didOpen, before the open's analysis (here: never, the debounce is an
// hour), answers from the snapshot the first load read from disk. A buffer
// with the same bytes is edited at its version; one with other bytes is not
// offered the edit at all, since a versionless edit would be applied to text
// it was not computed from. (CI once failed TestFixWithFileCreation this
// way: its action came before the open's analysis and carried no version.)
func TestActionOnBufferOpenedAfterTheSnapshot(t *testing.T) {
	for _, tc := range []struct {
		name, buffer string
		want         int
	}{
		{"same bytes as disk", "UNREGISTERED\n", 1},
		{"typed before the open was analysed", "UNREGISTERED\n// typed\n", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := project1(t, map[string]string{"a.ts": "UNREGISTERED\n", "index.ts": "export {};\n"})
			a := filepath.Join(root, "a.ts")
			c := serve(t, &fixEngine{}, lsp.Options{Debounce: time.Hour})
			c.Initialize(root, lsptest.Capabilities(true), nil)
			c.WaitDiagnostics(a, "the first load's finding", func(d lsptest.Diagnostics) bool { return lsptest.Has(d, "unregistered-plugin") })
			c.Open(a, tc.buffer)
			actions := actionsAtStart(t, c, a)
			if len(actions) != tc.want {
				t.Fatalf("%d actions %+v, want %d", len(actions), actions, tc.want)
			}
			if tc.want == 0 {
				return
			}
			dc := actions[0].Edit.DocumentChanges
			last := dc[len(dc)-1]["textDocument"].(map[string]any)
			if last["uri"] != text.FileURI(a) || last["version"] != float64(1) {
				t.Errorf("the buffer's edit is on %v at version %v, want %s at 1", last["uri"], last["version"], text.FileURI(a))
			}
		})
	}
}

// TestFirstLoadDoesNotWaitForTheDebounce: the project's first analysis
// starts as soon as it is discovered; the debounce merges bursts of edits,
// and at start-up there is none (with an hour's debounce, main never
// published within the test's bound). Edits afterwards still wait for it.
func TestFirstLoadDoesNotWaitForTheDebounce(t *testing.T) {
	root := project1(t, map[string]string{"a.ts": "// STALE\n"})
	path := filepath.Join(root, "a.ts")
	e := &fakeEngine{}
	c := serve(t, e, lsp.Options{Debounce: time.Hour})
	c.Initialize(root, lsptest.Capabilities(true), nil)
	c.WaitDiagnostics(path, "the first load's finding", func(d lsptest.Diagnostics) bool { return len(d.Diagnostics) == 1 })
	if n := e.completed(); n != 1 {
		t.Errorf("%d analyses after the first load, want 1", n)
	}
}

// slowDiscovery is the fake engine with a search for projects that lasts
// until released, like the walk of a large tree.
type slowDiscovery struct {
	*fakeEngine
	release chan struct{}
}

func (e slowDiscovery) Discover(ctx context.Context, src project.Source, dir string) ([]string, error) {
	select {
	case <-e.release:
	case <-ctx.Done():
	}
	return e.fakeEngine.Discover(ctx, src, dir)
}

// TestFolderProjectLoadsDuringDiscovery: a workspace folder that is a
// project (its config at the top) is loaded while the search for nested
// projects still runs (main waited for the search, a second walk of the
// tree, before loading anything).
func TestFolderProjectLoadsDuringDiscovery(t *testing.T) {
	root := project1(t, map[string]string{project.ConfigFile: "export default {};\n", "a.ts": "// STALE\n"})
	path := filepath.Join(root, "a.ts")
	e := slowDiscovery{&fakeEngine{}, make(chan struct{})}
	c := serve(t, e, lsp.Options{Debounce: -1})
	c.Initialize(root, lsptest.Capabilities(true), nil)
	c.WaitDiagnostics(path, "the folder project's finding while discovery runs", func(d lsptest.Diagnostics) bool { return len(d.Diagnostics) == 1 })
	close(e.release)
	c.Shutdown()
}

// listingEngine lists the root through the Source it is given, in
// discovery and in the load, so a test can see whether both read one
// listing: discovery writes late.ts just after listing the root, and only
// then lets the load list it.
type listingEngine struct {
	*fakeEngine
	listed   chan struct{}
	loadSaw  chan []string
	loadOnce sync.Once
}

func (e *listingEngine) Discover(ctx context.Context, src project.Source, dir string) ([]string, error) {
	if _, err := src.ReadDir(dir); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "late.ts"), []byte("// STALE\n"), 0o644); err != nil {
		return nil, err
	}
	close(e.listed)
	return []string{dir}, nil
}

func (e *listingEngine) Load(ctx context.Context, root string, src project.Source) (lsp.Snapshot, error) {
	<-e.listed
	entries, err := src.ReadDir(root)
	if err != nil {
		return nil, err
	}
	files := map[string]string{}
	var names []string
	for _, d := range entries {
		names = append(names, d.Name())
		if path := filepath.Join(root, d.Name()); strings.HasSuffix(path, ".ts") {
			b, err := src.ReadFile(path)
			if err != nil {
				return nil, err
			}
			files[path] = string(b)
		}
	}
	e.loadOnce.Do(func() { e.loadSaw <- names })
	return &fakeSnap{e: e.fakeEngine, root: root, files: files}, nil
}

// TestFirstLoadSharesDiscoverysListings: the folder project's first load,
// running beside the first discovery, reads the directory listings
// discovery made instead of walking the tree again; a file that appeared
// after its directory was listed still reaches the analysis through the
// watched-files notification, and later loads list the disk afresh.
func TestFirstLoadSharesDiscoverysListings(t *testing.T) {
	root := project1(t, map[string]string{project.ConfigFile: "export default {};\n", "a.ts": "// STALE\n"})
	e := &listingEngine{fakeEngine: &fakeEngine{}, listed: make(chan struct{}), loadSaw: make(chan []string, 1)}
	c := serve(t, e, lsp.Options{Debounce: -1})
	c.Initialize(root, lsptest.Capabilities(true), nil)
	if names := <-e.loadSaw; slices.Contains(names, "late.ts") {
		t.Errorf("the first load listed the root again (saw %v) instead of reading discovery's listing", names)
	}
	late := filepath.Join(root, "late.ts")
	c.WaitDiagnostics(filepath.Join(root, "a.ts"), "the first load's finding", func(d lsptest.Diagnostics) bool { return len(d.Diagnostics) == 1 })
	c.Notify("workspace/didChangeWatchedFiles", map[string]any{"changes": []map[string]any{{"uri": text.FileURI(late), "type": 1}}})
	c.WaitDiagnostics(late, "the finding of the file created after its directory was listed", func(d lsptest.Diagnostics) bool { return len(d.Diagnostics) == 1 })
	c.Shutdown()
}
