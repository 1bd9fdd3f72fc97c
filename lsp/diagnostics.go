package lsp

import (
	"slices"

	"go.lsp.dev/protocol"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/lsp/text"
)

// publish sends the findings of one analysis, one notification per file.
// A file whose diagnostics did not change and whose content did not change
// is skipped; a file that had diagnostics and has none now gets an empty
// list, which is how a client learns they are fixed. An open buffer that
// changed and has nothing to report also gets an empty list for its
// version, so the client knows it was analyzed.
//
// Paths are canonical; the URI is the client's spelling of an open buffer
// and ours otherwise. When the spelling of a path changes (the buffer was
// closed, or reopened under another spelling), the old one is cleared
// first: a client keys diagnostics by the URI string, so they would stay.
//
// src reads the text the findings were computed from. Whether a file's
// diagnostics changed is decided on the findings themselves (what a
// diagnostic is made of: positions with their byte offsets, code,
// severity, message, remedy, related locations and the URIs they are sent
// under), so only the files sent are converted: a keystroke in a project
// with a finding in every file converts one file, not all of them.
func (ps *projectState) publish(findings []analysis.Finding, versions map[string]int32, changed map[string]uint64, all bool, src project.Source) {
	// Held across the notifications: retire must not clear a file that an
	// analysis still running then publishes again.
	ps.pubMu.Lock()
	defer ps.pubMu.Unlock()
	if ps.retired {
		return
	}
	findingsOf := map[string][]analysis.Finding{}
	for _, f := range findings {
		if p := f.Location.Path; p != "" {
			findingsOf[p] = append(findingsOf[p], f)
		}
	}
	uris := uriSpeller{spell: ps.srv.spellings(), ours: map[string]string{}}
	send := map[string]publishedEntry{}
	var cleared []string // old spellings to clear
	ps.mu.Lock()
	if ps.retired {
		ps.mu.Unlock()
		return
	}
	for p, fs := range findingsOf {
		_, touched := changed[p]
		prev, had := ps.published[p]
		uri := uris.of(p)
		if had && prev.uri == uri && !touched && !all && prev.sameAs(fs, &uris, changed) {
			continue
		}
		if had && prev.uri != uri {
			cleared = append(cleared, prev.uri)
		}
		e := publishedEntry{uri: uri, findings: fs, related: uris.related(fs)}
		ps.published[p] = e
		send[p] = e
	}
	for p, prev := range ps.published {
		if _, ok := findingsOf[p]; !ok {
			delete(ps.published, p)
			uri := uris.of(p)
			send[p] = publishedEntry{uri: uri}
			if prev.uri != uri {
				cleared = append(cleared, prev.uri)
			}
		}
	}
	for p := range versions {
		_, touched := changed[p]
		_, queued := send[p]
		if (touched || all) && !queued {
			// findingsOf has no entry for p, or it would be queued.
			send[p] = publishedEntry{uri: uris.of(p)}
		}
	}
	ps.mu.Unlock()
	slices.Sort(cleared)
	for _, uri := range cleared {
		ps.srv.notify("textDocument/publishDiagnostics", publishParams{URI: uri, Diagnostics: []protocol.Diagnostic{}})
	}
	paths := make([]string, 0, len(send))
	for p := range send {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	conv := newPositions(ps.srv.clientCaps().encoding, src)
	for _, p := range paths {
		e := send[p]
		params := publishParams{URI: e.uri, Diagnostics: make([]protocol.Diagnostic, len(e.findings))}
		k := 0
		for i, f := range e.findings {
			params.Diagnostics[i] = toDiagnostic(f, conv, func(string) string {
				k++
				return e.related[k-1]
			})
		}
		if v, ok := versions[p]; ok {
			params.Version = &v
		}
		ps.srv.notify("textDocument/publishDiagnostics", params)
	}
}

// publishedEntry is what a path's last publish said, and under which URI:
// the findings it was made of, and the URI of each of their related
// locations in order.
type publishedEntry struct {
	uri      string
	findings []analysis.Finding
	related  []string
}

// sameAs reports whether findings would be sent as e was: the same
// findings in the same order, their related locations under the same URIs.
// Fixes and commands are not part of a diagnostic (code actions read them
// from the latest analysis), so they do not count. A related location in
// a changed file is never the same: the file's new text can put another
// column in the client's encoding at the same line and byte offset.
func (e publishedEntry) sameAs(findings []analysis.Finding, uris *uriSpeller, changed map[string]uint64) bool {
	if len(findings) != len(e.findings) {
		return false
	}
	k := 0
	for i, f := range findings {
		old := e.findings[i]
		if f.Code != old.Code || f.Severity != old.Severity || f.Location != old.Location ||
			f.Message != old.Message || f.Remedy != old.Remedy || len(f.Related) != len(old.Related) {
			return false
		}
		for j, r := range f.Related {
			if _, edited := changed[r.Location.Path]; edited || r != old.Related[j] || uris.of(r.Location.Path) != e.related[k] {
				return false
			}
			k++
		}
	}
	return true
}

// uriSpeller names paths for one publish: the client's spelling of an open
// buffer, ours otherwise, each of ours built once.
type uriSpeller struct {
	spell map[string]string // open buffers' URIs by canonical path
	ours  map[string]string
}

func (u *uriSpeller) of(path string) string {
	if s, ok := u.spell[path]; ok {
		return s
	}
	s, ok := u.ours[path]
	if !ok {
		s = text.FileURI(path)
		u.ours[path] = s
	}
	return s
}

// related lists the URI of every related location of findings, in order
// (nil when they have none).
func (u *uriSpeller) related(findings []analysis.Finding) []string {
	var out []string
	for _, f := range findings {
		for _, r := range f.Related {
			out = append(out, u.of(r.Location.Path))
		}
	}
	return out
}

// spellings maps the canonical path of every open file buffer to the URI
// the client opened it with.
func (s *Server) spellings() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]string, len(s.docs))
	for _, d := range s.docs {
		if d.URI.IsFile() {
			out[d.URI.Path] = d.URI.Raw
		}
	}
	return out
}

// publishParams is PublishDiagnosticsParams with a version that is omitted
// for closed files rather than sent as 0.
type publishParams struct {
	URI         string                `json:"uri"`
	Version     *int32                `json:"version,omitempty"`
	Diagnostics []protocol.Diagnostic `json:"diagnostics"`
}

// uriFor names path the way the client named it when the file is open, so
// a client that compares URI strings finds its buffer.
func (s *Server) uriFor(path string) string {
	s.mu.Lock()
	d := s.docs[text.Key(path)]
	s.mu.Unlock()
	if d != nil {
		return d.URI.Raw
	}
	return text.FileURI(path)
}

// toDiagnostic converts a finding, its positions by pos (which reads the
// content the finding was computed from, the document version published
// with it) and each related location's URI by uriOf, called once per
// related location in order.
func toDiagnostic(f analysis.Finding, pos *positions, uriOf func(path string) string) protocol.Diagnostic {
	d := protocol.Diagnostic{
		Range:    pos.rng(f.Location.Path, f.Location.Range),
		Severity: protocol.DiagnosticSeverity(f.Severity),
		Code:     f.Code,
		Source:   "donkeyls",
		Message:  f.Message,
		Data:     diagnosticData{Fix: f.Remedy},
	}
	for _, r := range f.Related {
		d.RelatedInformation = append(d.RelatedInformation, protocol.DiagnosticRelatedInformation{
			Location: protocol.Location{URI: protocol.DocumentURI(uriOf(r.Location.Path)), Range: pos.rng(r.Location.Path, r.Location.Range)},
			Message:  r.Message,
		})
	}
	return d
}

// toPosition sends an analysis position as it is: its line and UTF-16
// column.
func toPosition(p analysis.Pos) protocol.Position {
	line, col := p.Line, p.Col
	if line < 0 {
		line = 0
	}
	if col < 0 {
		col = 0
	}
	return protocol.Position{Line: uint32(line), Character: uint32(col)}
}

// before reports whether a precedes b.
func before(a, b protocol.Position) bool {
	return a.Line < b.Line || (a.Line == b.Line && a.Character < b.Character)
}

// overlaps reports whether two ranges share a point (touching counts, so a
// cursor at the end of a diagnostic still gets its fixes).
func overlaps(a, b protocol.Range) bool {
	return !before(a.End, b.Start) && !before(b.End, a.Start)
}
