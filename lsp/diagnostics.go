package lsp

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"

	"go.lsp.dev/protocol"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/analysis/textpos"
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
// diagnostics changed is decided on their UTF-16 form and offsets, which
// the analysis computed already; only the files sent are converted to the
// session's encoding, so a UTF-8 client costs reads of what is sent only.
func (ps *projectState) publish(findings []analysis.Finding, versions map[string]int32, changed map[string]uint64, all bool, src project.Source) {
	// Held across the notifications: retire must not clear a file that an
	// analysis still running then publishes again.
	ps.pubMu.Lock()
	defer ps.pubMu.Unlock()
	if ps.retired {
		return
	}
	byPath := map[string][]protocol.Diagnostic{}
	findingsOf := map[string][]analysis.Finding{}
	utf16 := newPositions(textpos.UTF16, src)
	for _, f := range findings {
		p := f.Location.Path
		if p == "" {
			continue
		}
		byPath[p] = append(byPath[p], ps.srv.toDiagnostic(f, utf16))
		findingsOf[p] = append(findingsOf[p], f)
	}
	spell := ps.srv.spellings()
	uriOf := func(p string) string {
		if u, ok := spell[p]; ok {
			return u
		}
		return text.FileURI(p)
	}
	out := map[string][]protocol.Diagnostic{}
	var cleared []string // old spellings to clear
	ps.mu.Lock()
	if ps.retired {
		ps.mu.Unlock()
		return
	}
	for p, diags := range byPath {
		fp := fingerprint(diags, findingsOf[p])
		_, touched := changed[p]
		prev, had := ps.published[p]
		uri := uriOf(p)
		if had && prev.fingerprint == fp && prev.uri == uri && !touched && !all {
			continue
		}
		if had && prev.uri != uri {
			cleared = append(cleared, prev.uri)
		}
		ps.published[p] = publishedEntry{fingerprint: fp, uri: uri}
		out[p] = diags
	}
	for p, prev := range ps.published {
		if _, ok := byPath[p]; !ok {
			delete(ps.published, p)
			out[p] = []protocol.Diagnostic{}
			if uri := uriOf(p); prev.uri != uri {
				cleared = append(cleared, prev.uri)
			}
		}
	}
	for p := range versions {
		_, touched := changed[p]
		_, has := byPath[p]
		_, queued := out[p]
		if (touched || all) && !has && !queued {
			out[p] = []protocol.Diagnostic{}
		}
	}
	ps.mu.Unlock()
	slices.Sort(cleared)
	for _, uri := range cleared {
		ps.srv.notify("textDocument/publishDiagnostics", publishParams{URI: uri, Diagnostics: []protocol.Diagnostic{}})
	}
	paths := make([]string, 0, len(out))
	for p := range out {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	if enc := ps.srv.clientCaps().encoding; enc != textpos.UTF16 {
		conv := newPositions(enc, src)
		for _, p := range paths {
			for i, f := range findingsOf[p] {
				out[p][i] = ps.srv.toDiagnostic(f, conv)
			}
		}
	}
	for _, p := range paths {
		params := publishParams{URI: uriOf(p), Diagnostics: out[p]}
		if v, ok := versions[p]; ok {
			params.Version = &v
		}
		ps.srv.notify("textDocument/publishDiagnostics", params)
	}
}

// publishedEntry is what a path's last publish said, and under which URI.
type publishedEntry struct {
	fingerprint string
	uri         string
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

// fingerprint identifies what a file's diagnostics say. The offsets are in
// it for encodings other than UTF-16: an edit that keeps a related
// location's UTF-16 column can still move its UTF-8 one.
func fingerprint(diags []protocol.Diagnostic, findings []analysis.Finding) string {
	b, _ := json.Marshal(diags)
	for _, f := range findings {
		b = fmt.Appendf(b, "|%d-%d", f.Location.Range.Start.Offset, f.Location.Range.End.Offset)
		for _, r := range f.Related {
			b = fmt.Appendf(b, ",%d-%d", r.Location.Range.Start.Offset, r.Location.Range.End.Offset)
		}
	}
	return fmt.Sprintf("%x", sha256.Sum256(b))
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
// with it).
func (s *Server) toDiagnostic(f analysis.Finding, pos *positions) protocol.Diagnostic {
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
			Location: protocol.Location{URI: protocol.DocumentURI(s.uriFor(r.Location.Path)), Range: pos.rng(r.Location.Path, r.Location.Range)},
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
