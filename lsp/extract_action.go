package lsp

import (
	"context"
	"errors"
	"os"
	"path/filepath"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/facts"
	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/analysis/refactor"
	"github.com/donkeyls/donkeyls/lsp/text"
)

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
		src = docSource{doc: req.Doc}
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
	lines := text.NewLines(string(content))
	offset := lines.Offset(text.Position{Line: int(req.Range.Start.Line), Character: int(req.Range.Start.Character)})
	cands := refactor.Candidates(p, req.Path, offset)
	if len(cands) == 0 {
		// A selection that starts before the route (at its router) and
		// ends inside it still means that route.
		offset = lines.Offset(text.Position{Line: int(req.Range.End.Line), Character: int(req.Range.End.Character)})
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
		if r, ok := refactor.RouteAt(p.File(req.Path), f.Location.Range.Start.Offset); ok && r.CallRange == cands[0].Route.CallRange {
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
type docSource struct{ doc *text.Document }

func (d docSource) ReadFile(path string) ([]byte, error) {
	if d.doc != nil && d.doc.URI.IsFile() && filepath.Clean(d.doc.URI.Path) == filepath.Clean(path) {
		return []byte(d.doc.Text), nil
	}
	return os.ReadFile(path)
}

var _ project.Source = docSource{}
