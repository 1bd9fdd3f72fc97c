package lsp

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"go.lsp.dev/protocol"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/lsp/rpc"
	"github.com/donkeyls/donkeyls/lsp/text"
)

// Code action kinds the server produces.
const (
	KindQuickFix        = "quickfix"
	KindRefactorExtract = "refactor.extract"
	KindRefactorRewrite = "refactor.rewrite"
)

// ActionProvider contributes code actions for a range of a file. Providers
// run concurrently with later edits, on the snapshot the request saw.
type ActionProvider interface {
	// Kinds are the code action kinds the provider may return.
	Kinds() []string
	CodeActions(ctx context.Context, req *ActionRequest) ([]CodeAction, error)
}

// ActionRequest is one textDocument/codeAction request.
type ActionRequest struct {
	Path  string
	Range protocol.Range
	// Only, when set, limits the kinds the client wants.
	Only []string
	// Diagnostics are the client's diagnostics for the range.
	Diagnostics []protocol.Diagnostic
	// Snapshot is the project as last analyzed; Findings are its findings
	// in this file; Doc is the open buffer (nil when closed).
	Snapshot Snapshot
	Findings []analysis.Finding
	Doc      *text.Document
	// Source reads every open buffer (as of the request) over the disk.
	Source project.Source
	// pos converts positions in the session's encoding, reading Source.
	pos *positions
	// Typegen is the command a regenerate would run, as of the request:
	// the action's title names it.
	Typegen string
}

// CodeAction is an action in analysis terms; the server turns it into the
// protocol's shape for the client's capabilities.
type CodeAction struct {
	Title     string
	Kind      string
	Findings  []analysis.Finding // the diagnostics it resolves
	Edit      *analysis.WorkspaceEdit
	Command   *analysis.CommandRef
	Preferred bool
	// Disabled, when set, says why the action cannot run; clients that
	// support it show the action greyed out with the reason, others never
	// see it.
	Disabled string
}

func (s *Server) actionKinds() []string {
	seen := map[string]bool{}
	var kinds []string
	for _, p := range s.providers {
		for _, k := range p.Kinds() {
			if !seen[k] {
				seen[k] = true
				kinds = append(kinds, k)
			}
		}
	}
	return kinds
}

func (s *Server) codeAction(ctx context.Context, req *rpc.Request) (any, error) {
	var p protocol.CodeActionParams
	if err := rpc.DecodeParams(req, &p); err != nil {
		return nil, err
	}
	u, err := text.ParseURI(string(p.TextDocument.URI))
	if err != nil {
		return nil, errInvalidParams(req.Method, err)
	}
	if !u.IsFile() {
		return []any{}, nil
	}
	ps := s.projectFor(u.Path)
	if ps == nil {
		return []any{}, nil
	}
	// Captured in order: the actions answer the state after every edit that
	// came before the request.
	snap, findings, versions := ps.current()
	s.mu.Lock()
	doc := s.docs[u.Key()]
	s.mu.Unlock()
	src := s.overlay()
	areq := &ActionRequest{
		Path:        u.Path,
		Range:       p.Range,
		Diagnostics: p.Context.Diagnostics,
		Snapshot:    snap,
		Doc:         doc,
		Source:      src,
		Typegen:     ps.typegenCommand(),
	}
	versions, unsafe := editBasis(snap, versions, src.docs, ps.root)
	c := s.clientCaps()
	areq.pos = newPositions(c.encoding, areq.Source)
	for _, k := range p.Context.Only {
		areq.Only = append(areq.Only, string(k))
	}
	for _, f := range findings {
		if f.Location.Path == u.Path {
			areq.Findings = append(areq.Findings, f)
		}
	}
	return rpc.Async(func(ctx context.Context) (any, error) {
		if snap == nil {
			return []any{}, nil
		}
		var actions []CodeAction
		for _, prov := range s.providers {
			if !wantsAny(areq.Only, prov.Kinds()) {
				continue
			}
			got, err := prov.CodeActions(ctx, areq)
			if err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				s.log.Warn("code actions", "err", err)
				continue
			}
			actions = append(actions, got...)
		}
		if !s.trusted() {
			actions = markUntrusted(actions, c)
		}
		actions = slices.DeleteFunc(actions, func(a CodeAction) bool {
			if edits(a, unsafe) {
				s.log.Debug("action left out: its edit was computed from text the open buffer no longer has", "title", a.Title)
				return true
			}
			return false
		})
		return s.wireActions(actions, c, versions, areq.pos), nil
	}), nil
}

// editBasis says which text each action's edits were computed from. An
// open buffer the snapshot analysed is edited at its version there (the
// client refuses the edit if the buffer moved on since). A buffer opened
// after the snapshot was taken, which the snapshot read from disk, gets its
// current version when it still holds the same bytes, since the edit fits it
// exactly; otherwise it is unsafe: an edit without a version would be
// applied to text it was not computed from.
func editBasis(snap Snapshot, versions map[string]int32, docs buffers, root string) (map[string]int32, map[string]bool) {
	if snap == nil {
		return versions, nil
	}
	var unsafe map[string]bool
	out := versions
	cloned := false
	for path, d := range docs {
		if _, ok := versions[path]; ok || !within(root, path) || !snap.Analyzes(path) {
			continue
		}
		if snap.Holds(path, []byte(d.Text())) {
			if !cloned {
				out, cloned = maps.Clone(versions), true
				if out == nil {
					out = map[string]int32{}
				}
			}
			out[path] = d.Version
			continue
		}
		if unsafe == nil {
			unsafe = map[string]bool{}
		}
		unsafe[path] = true
	}
	return out, unsafe
}

// edits reports whether a's edit changes one of paths.
func edits(a CodeAction, paths map[string]bool) bool {
	if a.Edit == nil || len(paths) == 0 {
		return false
	}
	for _, te := range a.Edit.Edits {
		if paths[te.Path] {
			return true
		}
	}
	return false
}

// wantsAny reports whether a provider of kinds can satisfy the only filter
// (a hierarchical prefix match: "refactor" wants "refactor.extract").
func wantsAny(only, kinds []string) bool {
	if len(only) == 0 {
		return true
	}
	for _, k := range kinds {
		if kindWanted(only, k) {
			return true
		}
	}
	return false
}

func kindWanted(only []string, kind string) bool {
	if len(only) == 0 {
		return true
	}
	for _, o := range only {
		if kind == o || strings.HasPrefix(kind, o+".") {
			return true
		}
	}
	return false
}

// wireActions converts actions for the client: CodeAction literals when it
// supports them, bare Commands otherwise (edits cannot be expressed then).
// An action whose edit needs a file creation the client cannot do is left
// out rather than offered and failing.
func (s *Server) wireActions(actions []CodeAction, c caps, versions map[string]int32, pos *positions) any {
	if !c.codeActionLiteral {
		cmds := []protocol.Command{}
		for _, a := range actions {
			if a.Command != nil && a.Edit == nil {
				cmds = append(cmds, wireCommand(a.Title, *a.Command))
			}
		}
		return cmds
	}
	out := []codeAction{}
	for _, a := range actions {
		w := codeAction{Title: a.Title, Kind: a.Kind, IsPreferred: a.Preferred}
		if a.Disabled != "" {
			if !c.disabledActions {
				continue
			}
			w.Disabled = &disabledReason{Reason: a.Disabled}
		}
		for _, f := range a.Findings {
			w.Diagnostics = append(w.Diagnostics, toDiagnostic(f, pos, s.uriFor))
		}
		if a.Edit != nil {
			edit, ok := s.wireEdit(*a.Edit, c, versions, pos)
			if !ok {
				s.log.Debug("action left out: it creates files, which the client does not support", "title", a.Title)
				continue
			}
			w.Edit = edit
		}
		if a.Command != nil {
			cmd := wireCommand(a.Title, *a.Command)
			w.Command = &cmd
		}
		out = append(out, w)
	}
	return out
}

func wireCommand(title string, c analysis.CommandRef) protocol.Command {
	if c.Title != "" {
		title = c.Title
	}
	cmd := protocol.Command{Title: title, Command: c.Command}
	if c.Root != "" {
		cmd.Arguments = []any{c.Root}
	}
	return cmd
}

// wireEdit converts a workspace edit: documentChanges (creations first,
// then versioned edits) when the client supports them, changes otherwise.
// The edits' positions are converted by pos, which reads the text they
// were computed from.
func (s *Server) wireEdit(e analysis.WorkspaceEdit, c caps, versions map[string]int32, pos *positions) (*workspaceEdit, bool) {
	if len(e.Creates) > 0 && !(c.documentChanges && c.createFiles) {
		return nil, false
	}
	if len(e.Renames) > 0 && !(c.documentChanges && c.renameFiles) {
		return nil, false
	}
	var order []string
	byPath := map[string][]protocol.TextEdit{}
	for _, te := range e.Edits {
		if _, ok := byPath[te.Path]; !ok {
			order = append(order, te.Path)
		}
		byPath[te.Path] = append(byPath[te.Path], protocol.TextEdit{Range: pos.rng(te.Path, te.Range), NewText: te.NewText})
	}
	if !c.documentChanges {
		out := &workspaceEdit{Changes: map[string][]protocol.TextEdit{}}
		for _, p := range order {
			out.Changes[s.uriFor(p)] = byPath[p]
		}
		return out, true
	}
	out := &workspaceEdit{}
	for _, cr := range e.Creates {
		uri := text.FileURI(cr.Path)
		out.DocumentChanges = append(out.DocumentChanges,
			createFile{Kind: "create", URI: uri, Options: &createFileOptions{}},
			textDocumentEdit{TextDocument: versionedID{URI: uri}, Edits: []protocol.TextEdit{{NewText: cr.Content}}})
	}
	for _, p := range order {
		id := versionedID{URI: s.uriFor(p)}
		if v, ok := versions[p]; ok {
			id.Version = &v
		}
		out.DocumentChanges = append(out.DocumentChanges, textDocumentEdit{TextDocument: id, Edits: byPath[p]})
	}
	// Renames last: the edits above name the files where they are now.
	for _, r := range e.Renames {
		out.DocumentChanges = append(out.DocumentChanges, renameFile{Kind: "rename", OldURI: text.FileURI(r.From), NewURI: text.FileURI(r.To)})
	}
	return out, true
}

// findingActions offers each finding's fixes and commands as quick fixes.
type findingActions struct{}

func (findingActions) Kinds() []string { return []string{KindQuickFix} }

func (findingActions) CodeActions(ctx context.Context, req *ActionRequest) ([]CodeAction, error) {
	if !kindWanted(req.Only, KindQuickFix) {
		return nil, nil
	}
	var out []CodeAction
	// One command action per (command, root): three stale spots in the
	// range offer one "Regenerate types" that resolves all three.
	cmdIndex := map[string]int{}
	for _, f := range req.Findings {
		if !relevant(f, req) {
			continue
		}
		for i, fix := range f.Fixes {
			edit := fix.Edit
			out = append(out, CodeAction{Title: fix.Title, Kind: KindQuickFix, Findings: []analysis.Finding{f}, Edit: &edit, Preferred: i == 0})
		}
		for _, cmd := range f.Commands {
			if cmd.Command == analysis.CommandExtractPlugin {
				continue // offered with its whole edit by extractActions
			}
			key := cmd.Command + "\x00" + cmd.Root
			if i, ok := cmdIndex[key]; ok {
				out[i].Findings = append(out[i].Findings, f)
				continue
			}
			c := cmd
			if c.Command == analysis.CommandRegenerate {
				c.Title = regenerateTitle(req.Typegen)
			}
			cmdIndex[key] = len(out)
			out = append(out, CodeAction{Title: c.Title, Kind: KindQuickFix, Findings: []analysis.Finding{f}, Command: &c, Preferred: len(f.Fixes) == 0})
		}
	}
	return out, nil
}

// regenerateTitle names the command a regenerate runs, so that a user sees
// what will execute before choosing it.
func regenerateTitle(command string) string {
	return "Regenerate types (" + command + ")"
}

// relevant reports whether a finding belongs to the request: its range
// touches the requested one, or the client listed it among the context's
// diagnostics.
func relevant(f analysis.Finding, req *ActionRequest) bool {
	r := req.pos.rng(f.Location.Path, f.Location.Range)
	if overlaps(r, req.Range) {
		return true
	}
	for _, d := range req.Diagnostics {
		if d.Range == r && codeString(d.Code) == f.Code {
			return true
		}
	}
	return false
}

func codeString(code any) string {
	switch c := code.(type) {
	case string:
		return c
	case json.Number:
		return c.String()
	}
	return ""
}
