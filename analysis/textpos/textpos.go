// Package textpos is the one place that converts between byte offsets and
// line/character positions. Lines end as LSP says they do: at "\n", at
// "\r\n" (one line end, never split) and at a lone "\r". Characters are
// counted in the position encoding the client and server agreed on: UTF-16
// code units (the protocol's default, and what analysis.Pos.Col holds) or
// UTF-8 bytes. Invalid UTF-8 counts one unit per byte in either encoding, so
// a binary or mis-encoded file still gets stable, monotonic positions.
package textpos

import (
	"bytes"
	"sort"
	"unicode/utf8"

	"github.com/donkeyls/donkeyls/analysis"
)

// Encoding is how a position's character counts the text of its line.
type Encoding uint8

const (
	// UTF16 counts UTF-16 code units: a character outside the Basic
	// Multilingual Plane (most emoji) is two.
	UTF16 Encoding = iota
	// UTF8 counts bytes.
	UTF8
)

// String is the encoding's name in LSP's positionEncoding.
func (e Encoding) String() string {
	if e == UTF8 {
		return "utf-8"
	}
	return "utf-16"
}

// ParseEncoding reads an LSP PositionEncodingKind; ok is false for one this
// package does not count in (such as "utf-32").
func ParseEncoding(name string) (e Encoding, ok bool) {
	switch name {
	case "utf-16":
		return UTF16, true
	case "utf-8":
		return UTF8, true
	}
	return UTF16, false
}

// Table indexes the line starts of one text.
type Table struct {
	src    []byte
	starts []int // byte offset of the first byte of each line
}

// New builds a table; src is retained, not copied, and must not change.
func New(src []byte) *Table {
	starts := make([]int, 1, len(src)/32+1)
	if bytes.IndexByte(src, '\r') < 0 {
		// Only "\n" can end a line: find them with the vectorised search
		// (most files; the extractor builds a table per file).
		for i := bytes.IndexByte(src, '\n'); i >= 0; {
			starts = append(starts, i+1)
			j := bytes.IndexByte(src[i+1:], '\n')
			if j < 0 {
				break
			}
			i += 1 + j
		}
		return &Table{src: src, starts: starts}
	}
	for i := 0; i < len(src); i++ {
		if n := LineEndAt(src, i); n > 0 {
			i += n - 1
			starts = append(starts, i+1)
		}
	}
	return &Table{src: src, starts: starts}
}

// Lines is the number of lines (a text ending in a line end has an empty
// last line).
func (t *Table) Lines() int { return len(t.starts) }

// Pos converts a byte offset (clamped to the text) into an analysis
// position, whose column is in UTF-16 units.
func (t *Table) Pos(offset int) analysis.Pos {
	offset = clamp(offset, len(t.src))
	line, col := t.Position(offset, UTF16)
	return analysis.Pos{Offset: int32(offset), Line: int32(line), Col: int32(col)}
}

// Range converts a byte span.
func (t *Table) Range(start, end int) analysis.Range {
	return analysis.Range{Start: t.Pos(start), End: t.Pos(end)}
}

// Position converts a byte offset into a line and a character in enc.
// Offsets outside the text are clamped to it; one inside a line end (between
// "\r" and "\n") is the end of its line, and one inside a multi-byte
// character counts from that character's start.
func (t *Table) Position(offset int, enc Encoding) (line, char int) {
	offset = clamp(offset, len(t.src))
	line = t.lineOf(offset)
	start := t.starts[line]
	if offset > start && t.src[offset-1] == '\r' && offset < len(t.src) && t.src[offset] == '\n' {
		offset-- // between the "\r" and "\n" of the line's end
	}
	// A character is never cut by a line end (its continuation bytes are
	// not "\r" or "\n"), so the walk needs no end of line.
	return line, unitsBefore(t.src[start:], offset-start, enc)
}

// Offset converts a line and a character in enc into a byte offset. As the
// specification asks, a line past the end means the end of the text and a
// character past the end of its line means the line's end (before its
// terminator). A character that falls inside a character of the text (the
// middle of a surrogate pair, or of a UTF-8 sequence) rounds forward to its
// end, so an edit never splits one.
func (t *Table) Offset(line, char int, enc Encoding) int {
	if line < 0 {
		return 0
	}
	if line >= len(t.starts) {
		return len(t.src)
	}
	start, end := t.starts[line], t.lineEnd(line)
	n, _ := Advance(t.src[start:end], char, enc)
	return start + n
}

// lineEnd is the byte offset of line's terminator (or the text's end).
func (t *Table) lineEnd(line int) int {
	if line+1 >= len(t.starts) {
		return len(t.src)
	}
	end := t.starts[line+1]
	if end > 0 && t.src[end-1] == '\n' {
		end--
	}
	if end > t.starts[line] && t.src[end-1] == '\r' {
		end--
	}
	return end
}

// lineOf finds the line holding offset: the last line starting at or
// before it. (sort.Search inlines with its closure; slices.BinarySearch,
// generic, does not, and costs the extractor a third more here.)
func (t *Table) lineOf(offset int) int {
	return sort.Search(len(t.starts), func(i int) bool { return t.starts[i] > offset }) - 1
}

func clamp(offset, n int) int {
	return max(0, min(offset, n))
}

// text is what the walks below read: the analysis holds bytes, editor
// buffers hold strings.
type text interface{ ~string | ~[]byte }

// LineEndAt is the length of the line end that starts at s[i]: 2 for
// "\r\n", 1 for "\n" or a lone "\r", 0 when no line ends there. A "\r" at
// the very end of s is a whole line end: a caller that holds a text in
// pieces must not cut between "\r" and "\n".
func LineEndAt[T text](s T, i int) int {
	switch s[i] {
	case '\n':
		return 1
	case '\r':
		if i+1 < len(s) && s[i+1] == '\n' {
			return 2
		}
		return 1
	}
	return 0
}

// CountLineEnds counts the line ends in s.
func CountLineEnds[T text](s T) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if k := LineEndAt(s, i); k > 0 {
			i += k - 1
			n++
		}
	}
	return n
}

// Advance walks whole characters from the start of s until it has counted
// units code units in enc, or reached a line end or the end of s. It
// returns the bytes walked and the units they count; a character that would
// go past units is walked whole (see Table.Offset).
func Advance[T text](s T, units int, enc Encoding) (n, used int) {
	for n < len(s) && used < units {
		if LineEndAt(s, n) > 0 {
			break
		}
		if s[n] < utf8.RuneSelf {
			n++
			used++
			continue
		}
		r, size := decode(s[n:])
		n += size
		used += width(r, size, enc)
	}
	return n, used
}

// unitsBefore counts the units of the characters of line that end at or
// before offset.
func unitsBefore[T text](line T, offset int, enc Encoding) int {
	units := 0
	for i := 0; i < offset; {
		c := line[i]
		if c < utf8.RuneSelf {
			units++
			i++
			continue
		}
		r, size := decode(line[i:])
		if i+size > offset {
			break
		}
		units += width(r, size, enc)
		i += size
	}
	return units
}

// width is how many units in enc the character r, size bytes long, counts.
// An invalid byte decodes as U+FFFD of size 1: one unit.
func width(r rune, size int, enc Encoding) int {
	if enc == UTF8 {
		return size
	}
	if r >= 0x10000 {
		return 2
	}
	return 1
}

// decode is utf8.DecodeRune for either text type. The conversion copies
// nothing for bytes and at most four bytes, on the stack, for a string.
func decode[T text](s T) (rune, int) {
	return utf8.DecodeRune([]byte(s[:min(len(s), utf8.UTFMax)]))
}
