package text

import (
	"fmt"
	"sync"

	"github.com/donkeyls/donkeyls/analysis/textpos"
)

// Document is one version of an open editor buffer. It is immutable:
// applying changes returns a new Document, so a snapshot taken for a
// diagnostics run or a code action never sees a later edit. The text is
// held in chunks that versions share, so a keystroke in a 10 MB buffer
// neither copies nor rescans it; the flat string is built on first use,
// once per version that an analysis actually reads.
type Document struct {
	URI        URI
	LanguageID string
	Version    int32
	buf        *buffer
	textOnce   sync.Once
	text       string
}

// NewDocument makes the first version of a buffer.
func NewDocument(uri URI, languageID string, version int32, text string) *Document {
	return &Document{URI: uri, LanguageID: languageID, Version: version, buf: newBuffer(text)}
}

// Text is the document's content.
func (d *Document) Text() string {
	d.textOnce.Do(func() { d.text = d.buf.String() })
	return d.text
}

// Len is the content's length in bytes.
func (d *Document) Len() int { return d.buf.size }

// Position is an LSP position: a 0-based line and a character counted in
// the session's position encoding (see textpos).
type Position struct {
	Line      int
	Character int
}

// Change is one content change event. Range nil means the whole document
// is replaced, which is how full sync (and VS Code after some operations)
// sends it; the protocol library decodes a missing range as 0:0, so the
// server decodes change events itself into this type.
type Change struct {
	Range *Range `json:"range,omitempty"`
	Text  string `json:"text"`
}

// Range is an LSP range.
type Range struct {
	Start Position `json:"start"`
	End   Position `json:"end"`
}

// Apply returns the document after changes, in order, at version, their
// characters counted in enc. Each
// change's range is read against the text the previous change produced, as
// the specification says. A version that does not increase is refused:
// applying an edit twice, or out of order, would silently corrupt the buffer.
func (d *Document) Apply(version int32, enc textpos.Encoding, changes []Change) (*Document, error) {
	if version <= d.Version {
		return nil, fmt.Errorf("%s: version %d after %d: change ignored", d.URI.Raw, version, d.Version)
	}
	buf := d.buf
	for _, c := range changes {
		if c.Range == nil {
			buf = newBuffer(c.Text)
			continue
		}
		start, end := buf.offset(c.Range.Start, enc), buf.offset(c.Range.End, enc)
		if end < start {
			start, end = end, start
		}
		buf = buf.replace(start, end, c.Text)
	}
	return &Document{URI: d.URI, LanguageID: d.LanguageID, Version: version, buf: buf}, nil
}
