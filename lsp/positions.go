package lsp

import (
	"go.lsp.dev/protocol"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/textpos"
)

// negotiateEncoding picks the position encoding of the session from the
// client's general.positionEncodings (LSP 3.17): the first one the client
// lists that textpos counts in, since clients list their preference first
// (Neovim and Helix put utf-8 there). A client that offers none, or only
// encodings we do not count in, gets UTF-16, which every client supports.
func negotiateEncoding(offered []string) textpos.Encoding {
	for _, name := range offered {
		if e, ok := textpos.ParseEncoding(name); ok {
			return e
		}
	}
	return textpos.UTF16
}

// positions converts between the analysis' byte offsets and the client's
// positions for one answer (a publish, a code action request, a navigation
// request), in the session's encoding. Each path's offsets refer to the
// text src reads for it: the buffers as the analysis or the request saw
// them, the disk for closed files. An analysis.Pos already holds its UTF-16
// column, so under UTF-16 nothing is read to send a position. One answer is
// built on one goroutine, so positions is not safe for concurrent use. A
// nil *positions converts in UTF-16 and reads nothing.
type positions struct {
	enc    textpos.Encoding
	src    textReader
	tables map[string]*textpos.Table
}

// textReader is all positions needs of a project.Source: the text.
type textReader interface {
	ReadFile(path string) ([]byte, error)
}

func newPositions(enc textpos.Encoding, src textReader) *positions {
	return &positions{enc: enc, src: src, tables: map[string]*textpos.Table{}}
}

// encoding is the encoding p converts to.
func (p *positions) encoding() textpos.Encoding {
	if p == nil {
		return textpos.UTF16
	}
	return p.enc
}

// table is path's line table, nil when it cannot be read.
func (p *positions) table(path string) *textpos.Table {
	if p == nil {
		return nil
	}
	if t, ok := p.tables[path]; ok {
		return t
	}
	var t *textpos.Table
	if b, err := p.src.ReadFile(path); err == nil {
		t = textpos.New(b)
	}
	p.tables[path] = t
	return t
}

// rng converts a range of path for the client.
func (p *positions) rng(path string, r analysis.Range) protocol.Range {
	return protocol.Range{Start: p.pos(path, r.Start), End: p.pos(path, r.End)}
}

// pos converts a position of path for the client. A file that can no longer
// be read keeps the analysis' own line and column: the best there is, and
// the next analysis, which notices the file is gone, replaces it.
func (p *positions) pos(path string, at analysis.Pos) protocol.Position {
	if p.encoding() != textpos.UTF16 {
		if t := p.table(path); t != nil {
			line, char := t.Position(int(at.Offset), p.enc)
			return protocol.Position{Line: uint32(line), Character: uint32(char)}
		}
	}
	return toPosition(at)
}

// offset converts a client's position in path to a byte offset; ok is false
// when path cannot be read.
func (p *positions) offset(path string, at protocol.Position) (int, bool) {
	t := p.table(path)
	if t == nil {
		return 0, false
	}
	return t.Offset(int(at.Line), int(at.Character), p.enc), true
}
