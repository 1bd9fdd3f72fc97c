package lsp

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"

	"go.lsp.dev/protocol"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/facts"
	"github.com/donkeyls/donkeyls/analysis/names"
	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/lsp/rpc"
	"github.com/donkeyls/donkeyls/lsp/text"
)

// Navigation by framework names (definition, references, hover, symbols,
// rename, completion). Every request captures the project's snapshot and the
// buffer on the ordered goroutine, so it answers the state after every edit
// sent before it, then answers from the snapshot's name index on a goroutine
// of its own. A buffer mid-edit whose parse failed keeps the facts of its
// last good version (facts.File.StaleFacts), so answers never vanish while
// typing.

// navigable is a snapshot navigation can answer from; test engines that do
// not implement it get empty answers.
type navigable interface {
	navProject() *project.Project
}

func (s projectSnapshot) navProject() *project.Project { return s.p }

// navTarget is one position request as captured in order.
type navTarget struct {
	path     string
	pos      protocol.Position
	proj     *project.Project
	doc      *text.Document
	findings []analysis.Finding
	versions map[string]int32
	// unsafe are the open buffers whose text the snapshot did not read
	// (see editBasis): an edit of one would land on other text.
	unsafe map[string]bool
	ps     *projectState
	srv    *Server
	// bufs are the open buffers as of the request; conv converts positions
	// in the session's encoding, reading them.
	bufs buffers
	conv *positions
}

// capture reads the document position parameters and the state they refer
// to; ok is false when no project analyzes the file.
func (s *Server) capture(req *rpc.Request, p *protocol.TextDocumentPositionParams) (navTarget, bool, error) {
	u, err := text.ParseURI(string(p.TextDocument.URI))
	if err != nil {
		return navTarget{}, false, errInvalidParams(req.Method, err)
	}
	if !u.IsFile() {
		return navTarget{}, false, nil
	}
	s.mu.Lock()
	doc := s.docs[u.Key()]
	s.mu.Unlock()
	bufs := s.buffers()
	t := navTarget{path: u.Path, pos: p.Position, doc: doc, srv: s, bufs: bufs, conv: newPositions(s.clientCaps().encoding, bufs)}
	ps := s.projectFor(u.Path)
	if ps == nil {
		select {
		case <-s.discovered:
			return navTarget{}, false, nil
		default:
			// The workspace folders are still being searched: resolve
			// waits for that, then for the project's first snapshot.
			return t, true, nil
		}
	}
	t.ps = ps
	snap, findings, versions := ps.current()
	if snap == nil {
		// Still indexing: resolve waits for the first snapshot.
		return t, true, nil
	}
	nv, ok := snap.(navigable)
	if !ok {
		return navTarget{}, false, nil
	}
	t.proj, t.findings = nv.navProject(), findings
	t.versions, t.unsafe = editBasis(snap, versions, t.bufs, ps.root)
	return t, true, nil
}

// resolve waits, during start-up only, for the projects to be discovered
// and the project's first snapshot: a request sent while indexing answers
// from the index rather than nothing. ok is false when there is none.
func (t *navTarget) resolve(ctx context.Context) bool {
	if t.proj != nil {
		return true
	}
	if t.ps == nil {
		select {
		case <-t.srv.discovered:
		case <-ctx.Done():
			return false
		}
		if t.ps = t.srv.projectFor(t.path); t.ps == nil {
			return false
		}
	}
	select {
	case <-t.ps.ready:
	case <-ctx.Done():
		return false
	}
	snap, findings, versions := t.ps.current()
	nv, ok := snap.(navigable)
	if !ok {
		return false
	}
	t.proj, t.findings = nv.navProject(), findings
	t.versions, t.unsafe = editBasis(snap, versions, t.bufs, t.ps.root)
	return true
}

// content is the text the position refers to: the open buffer, else disk.
func (t navTarget) content() (string, bool) {
	if t.doc != nil {
		return t.doc.Text(), true
	}
	b, err := os.ReadFile(t.path)
	if err != nil {
		return "", false
	}
	return string(b), true
}

// offset converts the LSP position to the byte offset the analysis works
// in.
func (t navTarget) offset() (int, bool) {
	return t.conv.offset(t.path, t.pos)
}

// occurrence is the name under the cursor.
func (t navTarget) occurrence() (*names.Index, names.Occurrence, bool) {
	off, ok := t.offset()
	if !ok {
		return nil, names.Occurrence{}, false
	}
	ix := names.For(t.proj)
	occ, ok := ix.At(t.path, off)
	return ix, occ, ok
}

func (s *Server) location(conv *positions, path string, r analysis.Range) protocol.Location {
	return protocol.Location{URI: protocol.DocumentURI(s.uriFor(path)), Range: conv.rng(path, r)}
}

// positionRequest runs answer on its own goroutine with the captured
// target; empty is the answer when there is nothing to say.
func (s *Server) positionRequest(req *rpc.Request, params any, pos func() *protocol.TextDocumentPositionParams, empty any, answer func(ctx context.Context, t navTarget) (any, error)) (any, error) {
	if err := rpc.DecodeParams(req, params); err != nil {
		return nil, err
	}
	t, ok, err := s.capture(req, pos())
	if err != nil || !ok {
		return empty, err
	}
	return rpc.Async(func(ctx context.Context) (any, error) {
		if !t.resolve(ctx) {
			return empty, ctx.Err()
		}
		return answer(ctx, t)
	}), nil
}

func (s *Server) definition(ctx context.Context, req *rpc.Request) (any, error) {
	var p protocol.DefinitionParams
	return s.positionRequest(req, &p, func() *protocol.TextDocumentPositionParams { return &p.TextDocumentPositionParams }, nil,
		func(ctx context.Context, t navTarget) (any, error) {
			ix, occ, ok := t.occurrence()
			if !ok {
				return nil, nil
			}
			out := []protocol.Location{}
			for _, d := range ix.Defs(occ.Name) {
				out = append(out, s.location(t.conv, d.Path, d.Range))
			}
			if len(out) == 0 {
				return nil, nil
			}
			return out, nil
		})
}

func (s *Server) references(ctx context.Context, req *rpc.Request) (any, error) {
	var p protocol.ReferenceParams
	return s.positionRequest(req, &p, func() *protocol.TextDocumentPositionParams { return &p.TextDocumentPositionParams }, nil,
		func(ctx context.Context, t navTarget) (any, error) {
			ix, occ, ok := t.occurrence()
			if !ok {
				return nil, nil
			}
			out := []protocol.Location{}
			for _, o := range ix.Occurrences(occ.Name) {
				if o.Def && !p.Context.IncludeDeclaration {
					continue
				}
				out = append(out, s.location(t.conv, o.Path, o.Range))
			}
			return out, nil
		})
}

func (s *Server) hover(ctx context.Context, req *rpc.Request) (any, error) {
	var p protocol.HoverParams
	return s.positionRequest(req, &p, func() *protocol.TextDocumentPositionParams { return &p.TextDocumentPositionParams }, nil,
		func(ctx context.Context, t navTarget) (any, error) {
			ix, occ, ok := t.occurrence()
			if !ok {
				return nil, nil
			}
			md := hoverText(t.proj, ix, occ, t.findings)
			if md == "" {
				return nil, nil
			}
			r := t.conv.rng(t.path, occ.Range)
			return protocol.Hover{Contents: protocol.MarkupContent{Kind: protocol.Markdown, Value: md}, Range: &r}, nil
		})
}

func (s *Server) prepareRename(ctx context.Context, req *rpc.Request) (any, error) {
	var p protocol.PrepareRenameParams
	return s.positionRequest(req, &p, func() *protocol.TextDocumentPositionParams { return &p.TextDocumentPositionParams }, nil,
		func(ctx context.Context, t navTarget) (any, error) {
			tgt, err := t.prepare()
			if err != nil {
				return nil, err
			}
			return map[string]any{"range": t.conv.rng(t.path, tgt.Range), "placeholder": tgt.Placeholder}, nil
		})
}

func (t navTarget) prepare() (names.Target, error) {
	off, ok := t.offset()
	if !ok {
		return names.Target{}, rpc.Errorf(rpc.CodeRequestFailed, "cannot read %s", t.path)
	}
	tgt, err := names.PrepareRename(t.proj, names.For(t.proj), t.path, off)
	if refusal, ok := errors.AsType[*names.RefusalError](err); ok {
		return names.Target{}, rpc.Errorf(rpc.CodeRequestFailed, "%s", refusal.Reason)
	}
	return tgt, err
}

func (s *Server) rename(ctx context.Context, req *rpc.Request) (any, error) {
	var p protocol.RenameParams
	c := s.clientCaps()
	src := s.overlay()
	return s.positionRequest(req, &p, func() *protocol.TextDocumentPositionParams { return &p.TextDocumentPositionParams }, nil,
		func(ctx context.Context, t navTarget) (any, error) {
			tgt, err := t.prepare()
			if err != nil {
				return nil, err
			}
			edit, err := names.Rename(t.proj, names.For(t.proj), tgt, p.NewName, src)
			if refusal, ok := errors.AsType[*names.RefusalError](err); ok {
				return nil, rpc.Errorf(rpc.CodeRequestFailed, "%s", refusal.Reason)
			}
			if err != nil {
				return nil, err
			}
			for _, te := range edit.Edits {
				if t.unsafe[te.Path] {
					// RequestFailed, not ContentModified: VS Code's client turns
					// the latter into an empty answer, so the reason never shows.
					return nil, rpc.Errorf(rpc.CodeRequestFailed, "%s", names.ChangedSinceAnalyzed(t.proj.Rel(te.Path)).Reason)
				}
			}
			switch warn := names.RenameWarning(t.proj, names.For(t.proj), tgt, p.NewName); {
			case warn.Committed:
				if !s.confirm(ctx, warn.Text, renameAnyway) {
					return nil, nil
				}
			case warn.Text != "":
				s.showMessage(protocol.MessageTypeWarning, "%s", warn.Text)
			}
			w, _ := s.wireEdit(edit, c, t.versions, newPositions(c.encoding, src))
			return w, nil
		})
}

// renameAnyway is the action that goes on with a rename after a warning.
const renameAnyway = "Rename anyway"

// confirm asks the user, with window/showMessageRequest, whether to go on;
// the other choice is Cancel, and dismissing the message cancels too. A
// client that cannot ask (an error answer) gets the warning as a message
// and the work goes on, as before there was a question.
func (s *Server) confirm(ctx context.Context, warning, proceed string) bool {
	params := map[string]any{
		"type":    protocol.MessageTypeWarning,
		"message": warning,
		"actions": []map[string]string{{"title": proceed}, {"title": "Cancel"}},
	}
	var choice *struct {
		Title string `json:"title"`
	}
	if err := s.call(ctx, "window/showMessageRequest", params, &choice, 0); err != nil {
		if ctx.Err() != nil {
			return false
		}
		s.log.Debug("asking before a rename failed: showing the warning instead", "err", err)
		s.showMessage(protocol.MessageTypeWarning, "%s", warning)
		return true
	}
	return choice != nil && choice.Title == proceed
}

func (s *Server) documentSymbol(ctx context.Context, req *rpc.Request) (any, error) {
	var p protocol.DocumentSymbolParams
	if err := rpc.DecodeParams(req, &p); err != nil {
		return nil, err
	}
	pos := &protocol.TextDocumentPositionParams{TextDocument: p.TextDocument}
	t, ok, err := s.capture(req, pos)
	if err != nil || !ok {
		return []any{}, err
	}
	return rpc.Async(func(ctx context.Context) (any, error) {
		if !t.resolve(ctx) {
			return []any{}, ctx.Err()
		}
		return documentSymbols(t.proj, t.path, t.conv), nil
	}), nil
}

// workspaceSymbolLimit caps the answer: editors show the first screenful,
// and a 10,000-route project must not send megabytes per keystroke.
const workspaceSymbolLimit = 100

func (s *Server) workspaceSymbol(ctx context.Context, req *rpc.Request) (any, error) {
	var p protocol.WorkspaceSymbolParams
	if err := rpc.DecodeParams(req, &p); err != nil {
		return nil, err
	}
	s.mu.Lock()
	states := append([]*projectState(nil), s.projects...)
	s.mu.Unlock()
	conv := newPositions(s.clientCaps().encoding, s.buffers())
	var projs []*project.Project
	for _, ps := range states {
		snap, _, _ := ps.current()
		if nv, ok := snap.(navigable); ok {
			projs = append(projs, nv.navProject())
		}
	}
	return rpc.Async(func(ctx context.Context) (any, error) {
		var all []names.Symbol
		for _, pr := range projs {
			all = append(all, names.For(pr).Search(p.Query, workspaceSymbolLimit)...)
		}
		sort.SliceStable(all, func(i, j int) bool { return all[i].Score > all[j].Score })
		if len(all) > workspaceSymbolLimit {
			all = all[:workspaceSymbolLimit]
		}
		out := []protocol.SymbolInformation{}
		for _, sym := range all {
			out = append(out, protocol.SymbolInformation{
				Name:          sym.Name.Key,
				Kind:          symbolKind(sym.Name.Kind),
				Location:      s.location(conv, sym.Def.Path, sym.Def.Range),
				ContainerName: sym.Name.Kind.String(),
			})
		}
		return out, nil
	}), nil
}

func symbolKind(k names.Kind) protocol.SymbolKind {
	switch k {
	case names.Plugin:
		return protocol.SymbolKindModule
	case names.Method:
		return protocol.SymbolKindMethod
	case names.Middleware:
		return protocol.SymbolKindFunction
	case names.Route:
		return protocol.SymbolKindFunction
	case names.Event:
		return protocol.SymbolKindEvent
	case names.Handler:
		return protocol.SymbolKindFunction
	case names.Table:
		return protocol.SymbolKindStruct
	case names.Column:
		return protocol.SymbolKindField
	case names.Error:
		return protocol.SymbolKindClass
	case names.Job, names.Process:
		return protocol.SymbolKindConstant
	}
	return protocol.SymbolKindKey
}

// documentSymbols lists the plugins (with their service methods,
// middleware and handlers), routes by full name and events of one file,
// with ranges converted by conv.
func documentSymbols(p *project.Project, path string, conv *positions) []protocol.DocumentSymbol {
	toRange := func(r analysis.Range) protocol.Range { return conv.rng(path, r) }
	out := []protocol.DocumentSymbol{}
	f := p.File(path)
	if f == nil || f.Missing || f.Unreadable {
		return out
	}
	keys := func(ks []facts.Key, kind protocol.SymbolKind, detail string) []protocol.DocumentSymbol {
		var syms []protocol.DocumentSymbol
		for _, k := range ks {
			syms = append(syms, protocol.DocumentSymbol{Name: k.Name, Detail: detail, Kind: kind, Range: toRange(k.Range), SelectionRange: toRange(k.Range)})
		}
		return syms
	}
	for i := range f.Plugins {
		pl := &f.Plugins[i]
		name := pl.Name
		if !pl.NameKnown || name == "" {
			name = pl.ExportName
		}
		if name == "" {
			continue
		}
		sel := pl.NameRange
		if sel.IsZero() {
			sel = pl.ExportRange
		}
		rng := pl.DefineRange
		if sel.IsZero() {
			sel = rng
		}
		sym := protocol.DocumentSymbol{Name: name, Detail: "plugin", Kind: protocol.SymbolKindModule, Range: toRange(rng), SelectionRange: toRange(sel)}
		sym.Children = append(sym.Children, keys(pl.ServiceMethods, protocol.SymbolKindMethod, "service method")...)
		sym.Children = append(sym.Children, keys(pl.MiddlewareKeys, protocol.SymbolKindFunction, "middleware")...)
		sym.Children = append(sym.Children, keys(pl.HandlerKeys, protocol.SymbolKindFunction, "handler")...)
		sym.Children = append(sym.Children, keys(pl.EventKeys, protocol.SymbolKindEvent, "event")...)
		sym.Children = append(sym.Children, keys(customErrorKeys(pl.CustomErrors), protocol.SymbolKindClass, "custom error")...)
		out = append(out, sym)
	}
	for i := range f.Routes {
		r := &f.Routes[i]
		rng := r.CallRange
		if rng.IsZero() || r.NameRange.Start.Offset < rng.Start.Offset {
			rng = r.NameRange
		}
		out = append(out, protocol.DocumentSymbol{Name: r.FullName, Detail: "route · " + r.Kind, Kind: protocol.SymbolKindFunction, Range: toRange(rng), SelectionRange: toRange(r.NameRange)})
	}
	for _, e := range f.Events() {
		out = append(out, protocol.DocumentSymbol{Name: e.Name, Detail: "event", Kind: protocol.SymbolKindEvent, Range: toRange(e.Range), SelectionRange: toRange(e.Range)})
	}
	if m := f.Migration; m != nil {
		// A migration's tables, with the columns each statement adds.
		for _, op := range m.Ops {
			detail := map[facts.TableOpKind]string{facts.OpCreateTable: "create table", facts.OpAlterTable: "alter table", facts.OpDropTable: "drop table", facts.OpRenameTable: "rename table"}[op.Kind]
			sel := op.TableRange
			if sel.IsZero() {
				sel = op.Range
			}
			sym := protocol.DocumentSymbol{Name: op.Table, Detail: detail, Kind: protocol.SymbolKindStruct, Range: toRange(op.Range), SelectionRange: toRange(sel)}
			for _, c := range op.Add {
				sym.Children = append(sym.Children, protocol.DocumentSymbol{Name: c.Name, Detail: "column · " + c.Type, Kind: protocol.SymbolKindField, Range: toRange(c.Range), SelectionRange: toRange(c.Range)})
			}
			out = append(out, sym)
		}
	}
	return out
}

func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func customErrorKeys(errs []facts.CustomError) []facts.Key {
	out := make([]facts.Key, len(errs))
	for i, e := range errs {
		out[i] = facts.Key{Name: e.Name, Range: e.Range}
	}
	return out
}
