package lsp

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"sort"

	"go.lsp.dev/protocol"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/lsp/text"
)

// publish sends the findings of one analysis, one notification per file.
// A file whose diagnostics did not change and whose content did not change
// is skipped; a file that had diagnostics and has none now gets an empty
// list, which is how a client learns they are fixed. An open buffer that
// changed and has nothing to report also gets an empty list for its
// version, so the client knows it was analyzed.
func (ps *projectState) publish(findings []analysis.Finding, versions map[string]int32, changed map[string]uint64, all bool) {
	// Held across the notifications: retire must not clear a file that an
	// analysis still running then publishes again.
	ps.pubMu.Lock()
	defer ps.pubMu.Unlock()
	if ps.retired {
		return
	}
	byPath := map[string][]protocol.Diagnostic{}
	for _, f := range findings {
		p := f.Location.Path
		if p == "" {
			continue
		}
		byPath[p] = append(byPath[p], ps.srv.toDiagnostic(f))
	}
	out := map[string][]protocol.Diagnostic{}
	ps.mu.Lock()
	for p, diags := range byPath {
		fp := fingerprint(diags)
		_, touched := changed[p]
		if ps.published[p] == fp && !touched && !all {
			continue
		}
		ps.published[p] = fp
		out[p] = diags
	}
	for p := range ps.published {
		if _, ok := byPath[p]; !ok {
			delete(ps.published, p)
			out[p] = []protocol.Diagnostic{}
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
	paths := make([]string, 0, len(out))
	for p := range out {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		params := publishParams{URI: ps.srv.uriFor(p), Diagnostics: out[p]}
		if v, ok := versions[p]; ok {
			params.Version = &v
		}
		ps.srv.notify("textDocument/publishDiagnostics", params)
	}
}

// publishParams is PublishDiagnosticsParams with a version that is omitted
// for closed files rather than sent as 0.
type publishParams struct {
	URI         string                `json:"uri"`
	Version     *int32                `json:"version,omitempty"`
	Diagnostics []protocol.Diagnostic `json:"diagnostics"`
}

func fingerprint(diags []protocol.Diagnostic) string {
	b, _ := json.Marshal(diags)
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

// toDiagnostic converts a finding. The analysis already computed its
// positions in UTF-16 units from the content it read, which is the content
// of the document version published with it.
func (s *Server) toDiagnostic(f analysis.Finding) protocol.Diagnostic {
	d := protocol.Diagnostic{
		Range:    toRange(f.Location.Range),
		Severity: protocol.DiagnosticSeverity(f.Severity),
		Code:     f.Code,
		Source:   "donkeyls",
		Message:  f.Message,
	}
	for _, r := range f.Related {
		d.RelatedInformation = append(d.RelatedInformation, protocol.DiagnosticRelatedInformation{
			Location: protocol.Location{URI: protocol.DocumentURI(s.uriFor(r.Location.Path)), Range: toRange(r.Location.Range)},
			Message:  r.Message,
		})
	}
	return d
}

func toRange(r analysis.Range) protocol.Range {
	return protocol.Range{Start: toPosition(r.Start), End: toPosition(r.End)}
}

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
