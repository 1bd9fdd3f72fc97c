package lsp_test

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.lsp.dev/protocol"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/lsp"
	"github.com/donkeyls/donkeyls/lsp/lsptest"
	"github.com/donkeyls/donkeyls/lsp/text"
)

// controlEngine's findings are written in one file, z.ts (last in path
// order, so its own publish comes after every other file's of the same
// analysis): each line "file|line|col|offset|code|message|related file|related col"
// is a finding in file, with a related location when the last two are
// there. Editing z.ts changes the findings of files nobody touched, which
// is what a keystroke does to the files of a project through the
// analyzers (a plugin's edit makes the registry stale, a route's clears a
// duplicate elsewhere).
type controlEngine struct{ fakeEngine }

func (e *controlEngine) Load(ctx context.Context, root string, src project.Source) (lsp.Snapshot, error) {
	s, err := e.fakeEngine.Load(ctx, root, src)
	if err != nil {
		return nil, err
	}
	return controlSnap{s.(*fakeSnap)}, nil
}

type controlSnap struct{ *fakeSnap }

func (s controlSnap) WithFile(path string, content []byte) lsp.Snapshot {
	return controlSnap{s.fakeSnap.WithFile(path, content).(*fakeSnap)}
}

func (s controlSnap) WithoutFile(path string) lsp.Snapshot {
	return controlSnap{s.fakeSnap.WithoutFile(path).(*fakeSnap)}
}

func (s controlSnap) Findings(ctx context.Context) []analysis.Finding {
	var out []analysis.Finding
	for _, line := range strings.Split(s.files[filepath.Join(s.root, "z.ts")], "\n") {
		f := strings.Split(line, "|")
		if len(f) < 6 {
			continue
		}
		num := func(i int) int32 {
			n, _ := strconv.Atoi(f[i])
			return int32(n)
		}
		at := analysis.Pos{Line: num(1), Col: num(2), Offset: num(3)}
		fd := analysis.Finding{
			Code:     f[4],
			Severity: analysis.SeverityWarning,
			Location: analysis.Location{Path: filepath.Join(s.root, f[0]), Range: analysis.Range{Start: at, End: analysis.Pos{Line: at.Line, Col: at.Col + 1, Offset: at.Offset + 1}}},
			Message:  f[5],
		}
		if len(f) == 8 {
			rel := analysis.Pos{Col: num(7), Offset: num(7)}
			fd.Related = []analysis.Related{{
				Location: analysis.Location{Path: filepath.Join(s.root, f[6]), Range: analysis.Range{Start: rel, End: rel}},
				Message:  "out of date",
			}}
		}
		out = append(out, fd)
	}
	return out
}

// sentDiagnostics is every URI's latest non-empty diagnostics, as JSON,
// leaving out the control file.
func sentDiagnostics(t *testing.T, c *lsptest.Client, control string) map[string]string {
	t.Helper()
	c.Wait("the client's state", func() bool { return true })
	out := map[string]string{}
	for _, p := range c.Publishes() {
		if p.URI == text.FileURI(control) {
			continue
		}
		if len(p.Diagnostics) == 0 {
			delete(out, p.URI)
			continue
		}
		b, err := json.Marshal(p.Diagnostics)
		if err != nil {
			t.Fatal(err)
		}
		out[p.URI] = string(b)
	}
	return out
}

// freshDiagnostics is what a server started on the project as it is on
// disk publishes, control open with the same text.
func freshDiagnostics(t *testing.T, root, control string) map[string]string {
	t.Helper()
	c := serve(t, &controlEngine{}, lsp.Options{Debounce: -1})
	c.Initialize(root, lsptest.Capabilities(true), nil)
	c.Open(control)
	c.WaitDiagnostics(control, "the fresh server's analysis of the open control file", func(d lsptest.Diagnostics) bool { return d.Version != nil })
	return sentDiagnostics(t, c, control)
}

// TestPublishSendsWhatChanged: after each kind of change to the findings
// of a file that was not edited, the server sends that file again exactly
// when what a client shows for it changed (message, code, range, byte
// offset, related location), sends a file whose finding went away an
// empty list, sends nothing for files whose findings stayed the same, and
// the client ends up showing what a fresh server shows for that text.
func TestPublishSendsWhatChanged(t *testing.T) {
	const (
		b0 = "b.ts|0|3|3|stale-registry|handler x is stale|rel.d.ts|1"
		c0 = "c.ts|0|0|0|stale-client|the client is stale"
	)
	root := project1(t, map[string]string{
		"b.ts": "export const b = 1;\n", "c.ts": "export const c = 1;\n", "rel.d.ts": "export {};\n",
		"z.ts": b0 + "\n" + c0 + "\n",
	})
	control := filepath.Join(root, "z.ts")
	b, cf := text.FileURI(filepath.Join(root, "b.ts")), text.FileURI(filepath.Join(root, "c.ts"))
	c := serve(t, &controlEngine{}, lsp.Options{Debounce: -1})
	c.Initialize(root, lsptest.Capabilities(true), nil)
	c.Open(control)
	c.WaitDiagnostics(control, "the open control file analyzed", func(d lsptest.Diagnostics) bool { return d.Version != nil })
	c.WaitDiagnostics(filepath.Join(root, "c.ts"), "c's finding", func(d lsptest.Diagnostics) bool { return len(d.Diagnostics) == 1 })

	for _, step := range []struct {
		name    string
		control string
		sent    []string // URIs that must be sent, every other must not
		cleared []string // of sent, those sent an empty list
	}{
		{"a comment: nothing changed", "// a comment\n" + b0 + "\n" + c0 + "\n", nil, nil},
		{"b's message", "b.ts|0|3|3|stale-registry|handler y is stale|rel.d.ts|1\n" + c0 + "\n", []string{b}, nil},
		{"b's column", "b.ts|0|4|4|stale-registry|handler y is stale|rel.d.ts|1\n" + c0 + "\n", []string{b}, nil},
		{"b's byte offset alone", "b.ts|0|4|9|stale-registry|handler y is stale|rel.d.ts|1\n" + c0 + "\n", []string{b}, nil},
		{"b's code", "b.ts|0|4|9|stale-context|handler y is stale|rel.d.ts|1\n" + c0 + "\n", []string{b}, nil},
		{"b's related column", "b.ts|0|4|9|stale-context|handler y is stale|rel.d.ts|2\n" + c0 + "\n", []string{b}, nil},
		{"b's related file", "b.ts|0|4|9|stale-context|handler y is stale|c.ts|2\n" + c0 + "\n", []string{b}, nil},
		{"b's finding gone", c0 + "\n", []string{b}, []string{b}},
		{"b's finding back, c's gone", b0 + "\n", []string{b, cf}, []string{cf}},
		{"a second finding in b", b0 + "\n" + "b.ts|1|0|20|stale-events|events are stale\n", []string{b}, nil},
		{"the same findings again", "\n" + b0 + "\n" + "b.ts|1|0|20|stale-events|events are stale\n", nil, nil},
	} {
		before := len(c.Publishes())
		if err := os.WriteFile(control, []byte(step.control), 0o644); err != nil {
			t.Fatal(err)
		}
		v := c.Replace(control, step.control)
		c.WaitDiagnostics(control, step.name, func(d lsptest.Diagnostics) bool { return d.Version != nil && *d.Version == v })
		sent := map[string]int{}
		var cleared []string
		for _, p := range c.Publishes()[before:] {
			if p.URI == text.FileURI(control) {
				continue
			}
			sent[p.URI]++
			if len(p.Diagnostics) == 0 {
				cleared = append(cleared, p.URI)
			}
		}
		if got := slices.Sorted(maps.Keys(sent)); !slices.Equal(got, step.sent) {
			t.Errorf("%s: sent %v, want %v", step.name, got, step.sent)
		}
		slices.Sort(cleared)
		if !slices.Equal(cleared, step.cleared) {
			t.Errorf("%s: sent an empty list to %v, want %v", step.name, cleared, step.cleared)
		}
		got, want := sentDiagnostics(t, c, control), freshDiagnostics(t, root, control)
		if !maps.Equal(got, want) {
			t.Errorf("%s: the client shows\n%v\na fresh server publishes\n%v", step.name, got, want)
		}
	}
}

// TestPublishFollowsRelatedSpelling: opening the file a related location
// points at, under a spelling of its URI other than ours, sends the file
// that points at it again: the client would otherwise hold a related URI
// that names no buffer it has.
func TestPublishFollowsRelatedSpelling(t *testing.T) {
	root := project1(t, map[string]string{
		"b.ts": "export const b = 1;\n", "rel.d.ts": "export {};\n",
		"z.ts": "b.ts|0|3|3|stale-registry|stale|rel.d.ts|1\n",
	})
	bPath, rel := filepath.Join(root, "b.ts"), filepath.Join(root, "rel.d.ts")
	c := serve(t, &controlEngine{}, lsp.Options{Debounce: -1})
	c.Initialize(root, lsptest.Capabilities(true), nil)
	d := c.WaitDiagnostics(bPath, "b's finding", func(d lsptest.Diagnostics) bool { return len(d.Diagnostics) == 1 })
	if got := string(d.Diagnostics[0].RelatedInformation[0].Location.URI); got != text.FileURI(rel) {
		t.Fatalf("related URI %s, want %s", got, text.FileURI(rel))
	}
	spelled := strings.Replace(text.FileURI(rel), "file://", "file://localhost", 1)
	c.Notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{
		"uri": spelled, "languageId": "typescript", "version": 1, "text": "export {};\n",
	}})
	c.WaitDiagnostics(bPath, "b sent again with the related file's spelling", func(d lsptest.Diagnostics) bool {
		return len(d.Diagnostics) == 1 && string(d.Diagnostics[0].RelatedInformation[0].Location.URI) == spelled
	})
}

// TestPublishFollowsRelatedText: in a UTF-8 session a related location's
// column is its byte offset less its line's start, so an edit of the file
// it points at can move the column while the findings (line, UTF-16
// column, offset) stay the same: the file pointing there must be sent
// again with the new column.
func TestPublishFollowsRelatedText(t *testing.T) {
	const finding = "b.ts|0|3|3|stale-registry|stale|rel.d.ts|3\n"
	root := project1(t, map[string]string{
		"b.ts": "export const b = 1;\n", "rel.d.ts": "a\nxport {};\n", "z.ts": finding,
	})
	bPath, rel := filepath.Join(root, "b.ts"), filepath.Join(root, "rel.d.ts")
	c := serve(t, &controlEngine{}, lsp.Options{Debounce: -1})
	caps := lsptest.Capabilities(true)
	caps["general"] = map[string]any{"positionEncodings": []string{"utf-8"}}
	c.Initialize(root, caps, nil)
	c.Open(rel)
	relAt := func(d lsptest.Diagnostics) protocol.Position {
		return d.Diagnostics[0].RelatedInformation[0].Location.Range.Start
	}
	d := c.WaitDiagnostics(bPath, "b's finding", func(d lsptest.Diagnostics) bool { return len(d.Diagnostics) == 1 })
	if got := relAt(d); got != (protocol.Position{Line: 1, Character: 1}) {
		t.Fatalf("related position %+v in %q, want 1:1", got, "a\nxport {};\n")
	}
	c.Replace(rel, "ab\nport {};\n")
	c.WaitDiagnostics(bPath, "b sent again with the related column in the edited text", func(d lsptest.Diagnostics) bool {
		return len(d.Diagnostics) == 1 && relAt(d) == protocol.Position{Line: 1, Character: 0}
	})
}
