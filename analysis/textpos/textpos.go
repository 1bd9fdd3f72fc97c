// Package textpos converts between byte offsets and LSP positions (0-based
// line, UTF-16 column). Invalid UTF-8 counts one unit per byte, so a binary or
// mis-encoded file still gets stable, monotonic positions.
package textpos

import (
	"sort"
	"unicode/utf8"

	"github.com/donkeyls/donkeyls/analysis"
)

// Table indexes line starts of one text.
type Table struct {
	src   []byte
	lines []int // byte offset of each line start
}

// New builds a table; src is retained, not copied.
func New(src []byte) *Table {
	lines := make([]int, 1, len(src)/32+1)
	for i, b := range src {
		if b == '\n' {
			lines = append(lines, i+1)
		}
	}
	return &Table{src: src, lines: lines}
}

// Pos converts a byte offset (clamped to the text) into a position.
func (t *Table) Pos(offset int) analysis.Pos {
	if offset < 0 {
		offset = 0
	}
	if offset > len(t.src) {
		offset = len(t.src)
	}
	line := sort.Search(len(t.lines), func(i int) bool { return t.lines[i] > offset }) - 1
	start := t.lines[line]
	return analysis.Pos{Offset: offset, Line: line, Col: UTF16Len(t.src[start:offset])}
}

// Range converts a byte span.
func (t *Table) Range(start, end int) analysis.Range {
	return analysis.Range{Start: t.Pos(start), End: t.Pos(end)}
}

// Offset converts an LSP position into a byte offset. A line past the end
// clamps to the end of the text; a column past the end of its line clamps to
// the line end (before the newline), as editors expect.
func (t *Table) Offset(line, col int) int {
	if line < 0 {
		return 0
	}
	if line >= len(t.lines) {
		return len(t.src)
	}
	i := t.lines[line]
	end := len(t.src)
	if line+1 < len(t.lines) {
		end = t.lines[line+1] - 1
	}
	units := 0
	for i < end && units < col {
		r, size := utf8.DecodeRune(t.src[i:end])
		if r == utf8.RuneError && size <= 1 {
			size = 1
		}
		if r >= 0x10000 {
			units += 2
		} else {
			units++
		}
		i += size
	}
	return i
}

// Lines is the number of lines.
func (t *Table) Lines() int { return len(t.lines) }

// UTF16Len counts UTF-16 code units in b.
func UTF16Len(b []byte) int {
	n := 0
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			n++
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
		i += size
	}
	return n
}
