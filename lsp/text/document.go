package text

import (
	"fmt"
)

// Document is one version of an open editor buffer. It is immutable:
// applying changes returns a new Document, so a snapshot taken for a
// diagnostics run or a code action never sees a later edit.
type Document struct {
	URI        URI
	LanguageID string
	Version    int32
	Text       string
	lines      *Lines
}

// NewDocument makes the first version of a buffer.
func NewDocument(uri URI, languageID string, version int32, text string) *Document {
	return &Document{URI: uri, LanguageID: languageID, Version: version, Text: text, lines: NewLines(text)}
}

// Lines returns the document's line table. It is built eagerly so that
// concurrent readers of one Document never race on a lazy cache.
func (d *Document) Lines() *Lines {
	if d.lines == nil {
		return NewLines(d.Text)
	}
	return d.lines
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

// Apply returns the document after changes, in order, at version. Each
// change's range is read against the text the previous change produced, as
// the specification says. A version that does not increase is refused:
// applying an edit twice, or out of order, would silently corrupt the buffer.
func (d *Document) Apply(version int32, changes []Change) (*Document, error) {
	if version <= d.Version {
		return nil, fmt.Errorf("%s: version %d after %d: change ignored", d.URI.Raw, version, d.Version)
	}
	out := d.Text
	lines := d.lines
	for _, c := range changes {
		if c.Range == nil {
			out = c.Text
			lines = nil
			continue
		}
		if lines == nil {
			lines = NewLines(out)
		}
		start, end := lines.Offset(c.Range.Start), lines.Offset(c.Range.End)
		if end < start {
			start, end = end, start
		}
		out = out[:start] + c.Text + out[end:]
		lines = nil
	}
	return NewDocument(d.URI, d.LanguageID, version, out), nil
}
