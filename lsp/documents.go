package lsp

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"

	"go.lsp.dev/protocol"

	"github.com/donkeyls/donkeyls/internal/srcfile"
	"github.com/donkeyls/donkeyls/lsp/rpc"
	"github.com/donkeyls/donkeyls/lsp/settings"
	"github.com/donkeyls/donkeyls/lsp/text"
)

func (s *Server) didOpen(ctx context.Context, req *rpc.Request) (any, error) {
	var p protocol.DidOpenTextDocumentParams
	if err := rpc.DecodeParams(req, &p); err != nil {
		return nil, err
	}
	u, err := text.ParseURI(string(p.TextDocument.URI))
	if err != nil {
		return nil, errInvalidParams(req.Method, err)
	}
	doc := text.NewDocument(u, string(p.TextDocument.LanguageID), p.TextDocument.Version, p.TextDocument.Text)
	s.mu.Lock()
	s.docs[u.Key()] = doc
	s.saved[u.Key()] = doc.Text()
	s.mu.Unlock()
	if u.IsFile() && isProjectConfig(u.Path) {
		if disk, err := srcfile.Read(u.Path); err == nil && string(disk) == doc.Text() {
			return nil, nil // nothing to reload for a configuration opened as it is
		}
	}
	s.contentChanged(u)
	return nil, nil
}

func (s *Server) didChange(ctx context.Context, req *rpc.Request) (any, error) {
	var p didChangeParams
	if err := rpc.DecodeParams(req, &p); err != nil {
		return nil, err
	}
	u, err := text.ParseURI(p.TextDocument.URI)
	if err != nil {
		return nil, errInvalidParams(req.Method, err)
	}
	changes := make([]text.Change, len(p.ContentChanges))
	for i, c := range p.ContentChanges {
		changes[i].Text = c.Text
		if c.Range != nil {
			changes[i].Range = &text.Range{
				Start: text.Position{Line: int(c.Range.Start.Line), Character: int(c.Range.Start.Character)},
				End:   text.Position{Line: int(c.Range.End.Line), Character: int(c.Range.End.Character)},
			}
		}
	}
	s.mu.Lock()
	doc := s.docs[u.Key()]
	if doc == nil {
		s.mu.Unlock()
		s.log.Warn("didChange for a document that is not open: ignored", "uri", u.Raw)
		return nil, nil
	}
	next, err := doc.Apply(p.TextDocument.Version, s.caps.encoding, changes)
	if err == nil {
		s.docs[u.Key()] = next
	}
	s.mu.Unlock()
	if err != nil {
		s.log.Warn("didChange: ignored", "err", err)
		return nil, nil
	}
	s.contentChanged(u)
	return nil, nil
}

func (s *Server) didClose(ctx context.Context, req *rpc.Request) (any, error) {
	var p protocol.DidCloseTextDocumentParams
	if err := rpc.DecodeParams(req, &p); err != nil {
		return nil, err
	}
	u, err := text.ParseURI(string(p.TextDocument.URI))
	if err != nil {
		return nil, errInvalidParams(req.Method, err)
	}
	s.mu.Lock()
	_, open := s.docs[u.Key()]
	delete(s.docs, u.Key())
	delete(s.saved, u.Key())
	s.mu.Unlock()
	if open {
		// The disk is the truth again.
		s.contentChanged(u)
	}
	return nil, nil
}

// contentChanged routes a buffer change to the project that reads it.
func (s *Server) contentChanged(u text.URI) {
	if !u.IsFile() {
		return
	}
	ps := s.projectFor(u.Path)
	if ps == nil {
		return
	}
	if isProjectConfig(u.Path) {
		ps.requestLoad()
		return
	}
	if ps.concerns(u.Path) {
		ps.markDirty(u.Path)
	}
}

func (s *Server) didSave(ctx context.Context, req *rpc.Request) (any, error) {
	var p protocol.DidSaveTextDocumentParams
	if err := rpc.DecodeParams(req, &p); err != nil {
		return nil, err
	}
	u, err := text.ParseURI(string(p.TextDocument.URI))
	if err != nil || !u.IsFile() {
		return nil, nil
	}
	s.mu.Lock()
	now := p.Text
	if doc := s.docs[u.Key()]; doc != nil && now == "" {
		now = doc.Text()
	}
	prev, hadPrev := s.saved[u.Key()]
	if _, open := s.docs[u.Key()]; open {
		s.saved[u.Key()] = now
	}
	// Untrusted, the save is still judged as if it could run typegen, so
	// the user learns that it was refused and how to allow it.
	mode := s.settings.Typegen.OnSave
	s.mu.Unlock()

	name := filepath.Base(u.Path)
	ps := s.projectFor(u.Path)
	if ps == nil {
		return nil, nil
	}
	// The file on disk now matches the buffer: restart-required may apply.
	ps.record(nil, false)
	if mode == settings.OnSaveOff {
		s.log.Debug("saved: no typegen, donkeyls.typegen.onSave is off", "file", name)
		return nil, nil
	}
	snap, _, _ := ps.current()
	if snap == nil || !snap.Analyzes(u.Path) {
		return nil, nil
	}
	if snap.IsGenerated(u.Path) {
		// Never for the generator's own outputs: that would loop.
		s.log.Debug("saved: a generated output, no typegen", "file", name)
		return nil, nil
	}
	if mode == settings.OnSaveAlways {
		s.goWork(func() { s.typegenOnSave(ps, "saved "+name) })
		return nil, nil
	}
	if !hadPrev {
		return nil, nil
	}
	// whenStale: compare the file as it was at the previous save with the
	// file as saved now, on the snapshot's other files.
	path := u.Path
	s.goWork(func() {
		before := snap.WithFile(path, []byte(prev))
		after := snap.WithFile(path, []byte(now))
		stale, why := after.Stale(before, []string{path})
		if !stale {
			s.log.Debug("saved: outputs still up to date", "file", name)
			return
		}
		s.typegenOnSave(ps, "saved "+name+": "+strings.Join(why, "; "))
	})
	return nil, nil
}

// isProjectConfig reports whether path is read by the project's
// configuration rather than as a source: a change reloads the project.
func isProjectConfig(path string) bool {
	switch filepath.Base(path) {
	case "donkeylabs.config.ts", "package.json", "bun.lock", "bun.lockb", "pnpm-lock.yaml", "yarn.lock", "package-lock.json":
		return true
	}
	return false
}

func (s *Server) didChangeWatchedFiles(ctx context.Context, req *rpc.Request) (any, error) {
	var p struct {
		Changes []struct {
			URI  string `json:"uri"`
			Type int    `json:"type"`
		} `json:"changes"`
	}
	if err := json.Unmarshal(req.Params, &p); err != nil {
		return nil, errInvalidParams(req.Method, err)
	}
	paths := make([]string, 0, len(p.Changes))
	for _, c := range p.Changes {
		u, err := text.ParseURI(c.URI)
		if err != nil || !u.IsFile() {
			continue
		}
		paths = append(paths, u.Path)
	}
	s.filesChanged(paths)
	return nil, nil
}

// filesChanged handles changes on disk, from the client's watcher or ours.
// Each affected project records the whole batch and is woken once: a branch
// checkout that touches 500 files costs one analysis.
func (s *Server) filesChanged(paths []string) {
	rediscover := false
	dirty := map[*projectState][]string{}
	reload := map[*projectState]bool{}
	for _, path := range paths {
		path = filepath.Clean(path)
		s.mu.Lock()
		_, open := s.docs[text.Key(path)]
		s.mu.Unlock()
		if open {
			continue // the buffer overrides the disk
		}
		ps := s.projectFor(path)
		if filepath.Base(path) == "donkeylabs.config.ts" && (ps == nil || ps.root != filepath.Dir(path)) {
			rediscover = true
		}
		if ps == nil {
			continue
		}
		switch {
		case isProjectConfig(path):
			reload[ps] = true
		case ps.concerns(path):
			dirty[ps] = append(dirty[ps], path)
		case looksLikeDir(path):
			// A directory appeared or vanished (a plugin folder, a
			// checkout): what it holds is not known file by file.
			reload[ps] = true
		}
	}
	for ps, list := range dirty {
		ps.record(list, reload[ps])
		delete(reload, ps)
	}
	for ps := range reload {
		ps.record(nil, true)
	}
	if rediscover {
		for _, dir := range s.folders {
			s.goWork(func() { s.discover(dir, nil) })
		}
	}
}

// looksLikeDir reports whether path is a directory, or was one: a deleted
// path without an extension is treated as a directory.
func looksLikeDir(path string) bool {
	if st, err := os.Stat(path); err == nil {
		return st.IsDir()
	}
	return filepath.Ext(path) == ""
}
