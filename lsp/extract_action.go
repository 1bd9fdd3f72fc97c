package lsp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/facts"
	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/analysis/refactor"
	"github.com/donkeyls/donkeyls/analysis/textpos"
	"github.com/donkeyls/donkeyls/internal/ossource"
	"github.com/donkeyls/donkeyls/lsp/rpc"
	"github.com/donkeyls/donkeyls/lsp/text"
)

// CommandExtractPlugin runs the extraction with names the user chose (an
// editor prompts for them): one argument {uri, position, plugin?, method?}.
// It applies the edit through workspace/applyEdit, or shows why the move
// was refused, and answers {applied, reason, created} (created lists the
// URIs of new files: the plugin, for an editor to open).
const CommandExtractPlugin = analysis.CommandExtractPlugin

// applyEditTimeout bounds the wait for the client to apply an edit; an
// editor may ask the user first.
const applyEditTimeout = 2 * time.Minute

// codeRouteDirectDB is the hint the extraction resolves.
const codeRouteDirectDB = "route-direct-db"

// extractActions offers "Extract into new plugin '<name>'" and "Move into
// plugin '<name>'" (refactor.extract) on a route whose handler has a body:
// the default target named after the route, then the plugins that own the
// tables it queries. Each action carries the whole workspace edit; a move
// the refactoring refuses is offered disabled, with the reason, to clients
// that can show it. After the edit the registry is stale (a new plugin),
// which the stale-registry diagnostic reports with its regenerate fix, and
// on-save typegen runs when the user enabled it.
type extractActions struct{}

func (extractActions) Kinds() []string { return []string{KindRefactorExtract} }

func (extractActions) CodeActions(ctx context.Context, req *ActionRequest) ([]CodeAction, error) {
	if !kindWanted(req.Only, KindRefactorExtract) {
		return nil, nil
	}
	ps, ok := req.Snapshot.(projectSnapshot)
	if !ok {
		return nil, nil
	}
	src := req.Source
	if src == nil {
		src = docSource{Source: ossource.Source{}, doc: req.Doc}
	}
	content, err := src.ReadFile(req.Path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	p := ps.p
	if f := p.File(req.Path); f == nil || f.Hash != facts.HashBytes(content) {
		// The buffer moved on since the last analysis: read this version.
		p = p.WithFile(req.Path, content)
	}
	lines, enc := textpos.New(content), req.pos.encoding()
	offset := lines.Offset(int(req.Range.Start.Line), int(req.Range.Start.Character), enc)
	cands := refactor.Candidates(p, req.Path, offset)
	if len(cands) == 0 {
		// A selection that starts before the route (at its router) and
		// ends inside it still means that route.
		offset = lines.Offset(int(req.Range.End.Line), int(req.Range.End.Character), enc)
		if cands = refactor.Candidates(p, req.Path, offset); len(cands) == 0 {
			return nil, nil
		}
	}
	// The direct-db hints of this route are what the move resolves.
	var hints []analysis.Finding
	for _, f := range req.Findings {
		if f.Code != codeRouteDirectDB {
			continue
		}
		if r, ok := refactor.RouteAt(p.File(req.Path), int(f.Location.Range.Start.Offset)); ok && r.CallRange == cands[0].Route.CallRange {
			hints = append(hints, f)
		}
	}
	var out []CodeAction
	for i, c := range cands {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		edit, err := refactor.Extract(ctx, p, src, req.Path, offset, c.Options())
		var refusal *refactor.RefusalError
		switch {
		case errors.As(err, &refusal):
			out = append(out, CodeAction{Title: c.Title(), Kind: KindRefactorExtract, Disabled: refusal.Reason})
			continue
		case err != nil:
			return out, err
		}
		out = append(out, CodeAction{
			Title:     c.Title(),
			Kind:      KindRefactorExtract,
			Findings:  hints,
			Edit:      &edit,
			Preferred: i == 0 && len(hints) > 0,
		})
	}
	return out, nil
}

// docSource reads the request's open buffer, and the disk for the rest.
type docSource struct {
	project.Source
	doc *text.Document
}

func (d docSource) ReadFile(path string) ([]byte, error) {
	if d.doc != nil && d.doc.URI.IsFile() && filepath.Clean(d.doc.URI.Path) == filepath.Clean(path) {
		return []byte(d.doc.Text()), nil
	}
	return d.Source.ReadFile(path)
}

var _ project.Source = docSource{}

// extractArgs is the argument of donkeyls.extractToPlugin.
type extractArgs struct {
	URI      string            `json:"uri"`
	Position protocol.Position `json:"position"`
	Plugin   string            `json:"plugin"`
	Method   string            `json:"method"`
}

func (s *Server) cmdExtract(ctx context.Context, args []json.RawMessage, _ json.RawMessage) (any, error) {
	var a extractArgs
	if len(args) != 1 || json.Unmarshal(args[0], &a) != nil || a.URI == "" {
		return nil, rpc.Errorf(jsonrpc2.InvalidParams, "%s takes one argument {uri, position, plugin?, method?}", CommandExtractPlugin)
	}
	u, err := text.ParseURI(a.URI)
	if err != nil || !u.IsFile() {
		return nil, rpc.Errorf(jsonrpc2.InvalidParams, "not a local file: %s", a.URI)
	}
	ps := s.projectFor(u.Path)
	if ps == nil {
		return nil, rpc.Errorf(jsonrpc2.InvalidParams, "%s is in no donkeylabs project", u.Path)
	}
	snap, _, _ := ps.current()
	cur, ok := snap.(projectSnapshot)
	if !ok {
		return nil, rpc.Errorf(jsonrpc2.InvalidRequest, "the project at %s is not analyzed yet", ps.root)
	}
	src := s.overlay()
	content, err := src.ReadFile(u.Path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", u.Path, err)
	}
	p := cur.p
	if f := p.File(u.Path); f == nil || f.Hash != facts.HashBytes(content) {
		p = p.WithFile(u.Path, content)
	}
	c := s.clientCaps()
	offset := textpos.New(content).Offset(int(a.Position.Line), int(a.Position.Character), c.encoding)
	edit, err := refactor.Extract(ctx, p, src, u.Path, offset, refactor.Options{PluginName: a.Plugin, MethodName: a.Method})
	if refusal, ok := errors.AsType[*refactor.RefusalError](err); ok {
		s.showMessage(protocol.MessageTypeWarning, "%s", refusal.Error())
		return map[string]any{"applied": false, "reason": refusal.Reason}, nil
	}
	if err != nil {
		return nil, err
	}
	we, ok := s.wireEdit(edit, c, src.versionsWithin(ps.root), newPositions(c.encoding, src))
	if !c.applyEdit || !ok {
		return nil, rpc.Errorf(jsonrpc2.InvalidRequest, "the editor cannot apply this edit (it needs workspace/applyEdit with file creation)")
	}
	var res applyEditResult
	if err := s.call(ctx, "workspace/applyEdit", map[string]any{"label": "Extract route into plugin", "edit": we}, &res, applyEditTimeout); err != nil {
		return nil, err
	}
	// The new plugin file, so an editor can open it next.
	created := []string{}
	for _, cr := range edit.Creates {
		created = append(created, text.FileURI(cr.Path))
	}
	return map[string]any{"applied": res.Applied, "reason": res.FailureReason, "created": created}, nil
}
