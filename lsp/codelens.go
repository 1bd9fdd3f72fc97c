package lsp

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"go.lsp.dev/protocol"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/names"
	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/lsp/rpc"
)

// Code lenses: above each plugin "N uses · registered in index.ts", above
// each route "M callers · in client". textDocument/codeLens only places
// them (from the file's facts, no counting); codeLens/resolve counts the
// one the editor shows, so a file with a hundred routes costs a hundred
// lookups only as far as the user scrolls.

// lensData is what a lens carries from codeLens to codeLens/resolve.
type lensData struct {
	URI  string `json:"uri"`
	Kind string `json:"kind"` // "plugin" or "route"
	Key  string `json:"key"`
}

type codeLens struct {
	Range   protocol.Range    `json:"range"`
	Command *protocol.Command `json:"command,omitempty"`
	Data    *lensData         `json:"data,omitempty"`
}

func (s *Server) codeLens(ctx context.Context, req *rpc.Request) (any, error) {
	var p protocol.CodeLensParams
	if err := rpc.DecodeParams(req, &p); err != nil {
		return nil, err
	}
	pos := &protocol.TextDocumentPositionParams{TextDocument: p.TextDocument}
	t, ok, err := s.capture(req, pos)
	if err != nil || !ok {
		return []codeLens{}, err
	}
	uri := string(p.TextDocument.URI)
	return rpc.Async(func(ctx context.Context) (any, error) {
		if !t.resolve(ctx) {
			return []codeLens{}, ctx.Err()
		}
		return fileLenses(t.proj, t.path, uri, t.conv), nil
	}), nil
}

// fileLenses places one lens per plugin and route of the file, unresolved,
// with ranges converted by conv.
func fileLenses(p *project.Project, path, uri string, conv *positions) []codeLens {
	toRange := func(r analysis.Range) protocol.Range { return conv.rng(path, r) }
	out := []codeLens{}
	f := p.File(path)
	if f == nil || f.Missing || f.Unreadable || f.Kind.IsGenerated() {
		return out
	}
	for i := range f.Plugins {
		pl := &f.Plugins[i]
		if !pl.NameKnown || pl.Name == "" {
			continue
		}
		at := pl.ExportRange
		if at.IsZero() {
			at = pl.NameRange
		}
		out = append(out, codeLens{Range: toRange(at), Data: &lensData{URI: uri, Kind: "plugin", Key: pl.Name}})
	}
	for i := range f.Routes {
		r := &f.Routes[i]
		if r.FullName == "" {
			continue
		}
		out = append(out, codeLens{Range: toRange(r.NameRange), Data: &lensData{URI: uri, Kind: "route", Key: r.FullName}})
	}
	return out
}

func (s *Server) codeLensResolve(ctx context.Context, req *rpc.Request) (any, error) {
	var lens codeLens
	if err := rpc.DecodeParams(req, &lens); err != nil {
		return nil, err
	}
	if lens.Data == nil {
		return nil, rpc.Errorf(rpc.CodeRequestFailed, "code lens without data: not one of donkeyls's")
	}
	pos := &protocol.TextDocumentPositionParams{TextDocument: protocol.TextDocumentIdentifier{URI: protocol.DocumentURI(lens.Data.URI)}, Position: lens.Range.Start}
	t, ok, err := s.capture(req, pos)
	if err != nil {
		return nil, err
	}
	return rpc.Async(func(ctx context.Context) (any, error) {
		title := "donkeyls: no project for this file"
		if ok && t.resolve(ctx) {
			title = lensTitle(t.proj, names.For(t.proj), *lens.Data)
		}
		// No command: the lens is a label. What to do on a click differs
		// per editor; references and hover say the rest.
		lens.Command = &protocol.Command{Title: title}
		return lens, nil
	}), nil
}

// lensTitle counts a plugin's uses and registrations, or a route's callers
// and whether the generated client has it.
func lensTitle(p *project.Project, ix *names.Index, d lensData) string {
	switch d.Kind {
	case "plugin":
		n := names.Name{Kind: names.Plugin, Key: d.Key}
		info := ix.Plugins[d.Key]
		if info == nil {
			return "plugin " + d.Key + " is gone: the file changed"
		}
		uses := ix.CountUses(n)
		if len(info.Registered) == 0 {
			return count(uses, "use") + " · not registered"
		}
		files := []string{}
		for _, l := range info.Registered {
			if b := filepath.Base(l.Path); !contains(files, b) {
				files = append(files, b)
			}
		}
		return count(uses, "use") + " · registered in " + strings.Join(files, ", ")
	case "route":
		n := names.Name{Kind: names.Route, Key: d.Key}
		callers, inClient := 0, false
		ix.EachOccurrence(n, func(o names.Occurrence) {
			switch o.Via {
			case names.ViaClientCall:
				callers++
			case names.ViaClient:
				inClient = true
			}
		})
		where := "not in client"
		switch {
		case p.Config().ClientPath() == "":
			where = "no client (no adapter)"
		case inClient:
			where = "in client"
		}
		return count(callers, "caller") + " · " + where
	}
	return fmt.Sprintf("%s %s", d.Kind, d.Key)
}

func contains(list []string, s string) bool {
	return slices.Contains(list, s)
}
