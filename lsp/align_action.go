package lsp

import (
	"context"

	"github.com/donkeyls/donkeyls/analysis/names"
	"github.com/donkeyls/donkeyls/analysis/textpos"
)

// alignActions offers, on a plugin whose export or folder no longer match
// its name (after a rename, or an edit of `name:` by hand), to rename them
// too: the way a user asks for more than the name. The folder moves as a
// RenameFile in documentChanges, so editors without resource operations
// never see the action.
type alignActions struct{}

func (alignActions) Kinds() []string { return []string{KindRefactorRewrite} }

func (alignActions) CodeActions(ctx context.Context, req *ActionRequest) ([]CodeAction, error) {
	if !kindWanted(req.Only, KindRefactorRewrite) {
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
		return nil, nil
	}
	offset := textpos.New(content).Offset(int(req.Range.Start.Line), int(req.Range.Start.Character), req.pos.encoding())
	a, ok, err := names.Align(ps.p, req.Path, offset, src)
	if err != nil || !ok {
		return nil, err
	}
	title := a.Title
	if a.Migrations {
		title += " (its migrations move with it, where the server looks for them)"
	}
	act := CodeAction{Title: title, Kind: KindRefactorRewrite, Disabled: a.Disabled}
	if a.Disabled == "" {
		edit := a.Edit
		act.Edit = &edit
	}
	return []CodeAction{act}, nil
}
