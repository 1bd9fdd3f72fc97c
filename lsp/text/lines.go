package text

import (
	"unicode/utf8"
)

// Position is an LSP position: a 0-based line and a column in UTF-16 code
// units, the protocol's default encoding.
type Position struct {
	Line      int
	Character int
}

// Lines is a line table over one immutable text. LSP counts "\n", "\r\n"
// and a lone "\r" as line ends, so the table does too.
type Lines struct {
	text   string
	starts []int // byte offset of the first byte of each line
}

// NewLines indexes text.
func NewLines(text string) *Lines {
	starts := make([]int, 1, 1+len(text)/32)
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case '\n':
			starts = append(starts, i+1)
		case '\r':
			if i+1 < len(text) && text[i+1] == '\n' {
				i++
			}
			starts = append(starts, i+1)
		}
	}
	return &Lines{text: text, starts: starts}
}

// Count is the number of lines (a text ending in a newline has an empty last line).
func (l *Lines) Count() int { return len(l.starts) }

// lineEnd is the byte offset of line's terminator (or the text's end).
func (l *Lines) lineEnd(line int) int {
	if line+1 >= len(l.starts) {
		return len(l.text)
	}
	end := l.starts[line+1]
	if end > 0 && l.text[end-1] == '\n' {
		end--
	}
	if end > l.starts[line] && l.text[end-1] == '\r' {
		end--
	}
	return end
}

// Offset converts an LSP position to a byte offset. Like the specification
// asks, a line past the end means the end of the text and a character past
// the end of its line means the line's end; a character that falls inside a
// surrogate pair rounds forward to the end of that character, so an edit can
// never split one.
func (l *Lines) Offset(p Position) int {
	if p.Line < 0 {
		return 0
	}
	if p.Line >= len(l.starts) {
		return len(l.text)
	}
	start, end := l.starts[p.Line], l.lineEnd(p.Line)
	units := 0
	i := start
	for i < end && units < p.Character {
		r, size := utf8.DecodeRuneInString(l.text[i:end])
		units += utf16Len(r)
		i += size
	}
	return i
}

// Position converts a byte offset to an LSP position. An offset inside a
// multi-byte character counts from the character's start; offsets outside
// the text are clamped.
func (l *Lines) Position(offset int) Position {
	if offset < 0 {
		offset = 0
	}
	if offset > len(l.text) {
		offset = len(l.text)
	}
	line := l.lineOf(offset)
	start := l.starts[line]
	end := l.lineEnd(line)
	if offset > end {
		// Inside a "\r\n" terminator: the end of the line.
		offset = end
	}
	units := 0
	for i := start; i < offset; {
		r, size := utf8.DecodeRuneInString(l.text[i:end])
		if i+size > offset {
			break
		}
		units += utf16Len(r)
		i += size
	}
	return Position{Line: line, Character: units}
}

// lineOf finds the line holding offset by binary search.
func (l *Lines) lineOf(offset int) int {
	lo, hi := 0, len(l.starts)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if l.starts[mid] <= offset {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// utf16Len is how many UTF-16 code units r takes. An invalid byte decodes as
// U+FFFD, one unit, which is also what clients see after replacing it.
func utf16Len(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}
