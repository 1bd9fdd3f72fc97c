package textpos

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// pos is a line and a character in one encoding.
type pos struct{ line, char int }

func TestPositionTable(t *testing.T) {
	// Widths: "é" 2 bytes/1 unit, "漢" 3 bytes/1 unit, "🎉" 4 bytes/2 units.
	cases := []struct {
		name   string
		src    string
		offset int
		utf16  pos
		utf8   pos
	}{
		{"start", "abc", 0, pos{0, 0}, pos{0, 0}},
		{"LF", "a\nbc", 3, pos{1, 1}, pos{1, 1}},
		{"CRLF is one line end", "a\r\nbc", 4, pos{1, 1}, pos{1, 1}},
		{"lone CR ends a line", "a\rbb\rccc", 7, pos{2, 2}, pos{2, 2}},
		{"mixed line ends", "a\nb\r\nc\rd", 7, pos{3, 0}, pos{3, 0}},
		{"empty lines of each kind", "\n\r\n\r\rx", 5, pos{4, 0}, pos{4, 0}},
		{"inside CRLF is the line's end", "ab\r\ncd", 3, pos{0, 2}, pos{0, 2}},
		{"at the CR of CRLF", "ab\r\ncd", 2, pos{0, 2}, pos{0, 2}},
		{"after a trailing line end", "ab\r", 3, pos{1, 0}, pos{1, 0}},
		{"BMP characters", "é漢x", 5, pos{0, 2}, pos{0, 5}},
		{"surrogate pair", "🎉x", 4, pos{0, 2}, pos{0, 4}},
		{"inside a surrogate pair's bytes", "🎉x", 2, pos{0, 0}, pos{0, 0}},
		{"after CR then emoji", "x\r🎉🎉y", 10, pos{1, 4}, pos{1, 8}},
		{"invalid UTF-8: one unit per byte", "ab\xff\xfecd", 4, pos{0, 4}, pos{0, 4}},
		{"truncated sequence", "a\xe6\xbcb", 3, pos{0, 3}, pos{0, 3}},
		{"negative offset", "ab", -5, pos{0, 0}, pos{0, 0}},
		{"offset past the end", "ab\ncd", 99, pos{1, 2}, pos{1, 2}},
		{"empty text", "", 0, pos{0, 0}, pos{0, 0}},
	}
	for _, c := range cases {
		tab := New([]byte(c.src))
		for _, e := range []struct {
			enc  Encoding
			want pos
		}{{UTF16, c.utf16}, {UTF8, c.utf8}} {
			line, char := tab.Position(c.offset, e.enc)
			if (pos{line, char}) != e.want {
				t.Errorf("%s: Position(%q, %d, %s) = %d:%d, want %d:%d", c.name, c.src, c.offset, e.enc, line, char, e.want.line, e.want.char)
			}
		}
		if p := tab.Pos(c.offset); int(p.Line) != c.utf16.line || int(p.Col) != c.utf16.char {
			t.Errorf("%s: Pos(%d) = %d:%d, want the UTF-16 position %d:%d", c.name, c.offset, p.Line, p.Col, c.utf16.line, c.utf16.char)
		}
	}
}

func TestOffsetTable(t *testing.T) {
	cases := []struct {
		name       string
		src        string
		line, char int
		enc        Encoding
		want       int
	}{
		{"lone CR", "a\rbb\rccc", 2, 2, UTF16, 7},
		{"CRLF", "a\r\nbb", 1, 1, UTF16, 4},
		{"past the line's end stops before CRLF", "ab\r\ncd", 0, 9, UTF16, 2},
		{"past the line's end stops before CR", "ab\rcd", 0, 9, UTF8, 2},
		{"past the last line's end", "ab\ncd", 1, 9, UTF16, 5},
		{"line past the end", "ab\ncd", 7, 0, UTF16, 5},
		{"negative line", "ab\ncd", -1, 3, UTF16, 0},
		{"negative character", "ab\ncd", 1, -3, UTF16, 3},
		{"after a surrogate pair", "🎉x", 0, 2, UTF16, 4},
		{"inside a surrogate pair rounds forward", "🎉x", 0, 1, UTF16, 4},
		{"UTF-8 bytes", "é漢x", 0, 5, UTF8, 5},
		{"inside a UTF-8 sequence rounds forward", "é漢x", 0, 3, UTF8, 5},
		{"UTF-16 after BMP characters", "é漢x", 0, 2, UTF16, 5},
		{"invalid UTF-8", "ab\xff\xfecd", 0, 4, UTF16, 4},
		{"empty text", "", 0, 3, UTF8, 0},
	}
	for _, c := range cases {
		if got := New([]byte(c.src)).Offset(c.line, c.char, c.enc); got != c.want {
			t.Errorf("%s: Offset(%q, %d:%d %s) = %d, want %d", c.name, c.src, c.line, c.char, c.enc, got, c.want)
		}
	}
}

func TestLinesAndLineEnds(t *testing.T) {
	for _, c := range []struct {
		src  string
		ends int
	}{{"", 0}, {"a", 0}, {"a\n", 1}, {"a\r\nb", 1}, {"a\rb\rc", 2}, {"\r\r\n\n", 3}, {"x\r", 1}} {
		if got := CountLineEnds(c.src); got != c.ends {
			t.Errorf("CountLineEnds(%q) = %d, want %d", c.src, got, c.ends)
		}
		if got := New([]byte(c.src)).Lines(); got != c.ends+1 {
			t.Errorf("Lines(%q) = %d, want %d", c.src, got, c.ends+1)
		}
	}
}

func TestParseEncoding(t *testing.T) {
	for _, name := range []string{"utf-8", "utf-16"} {
		e, ok := ParseEncoding(name)
		if !ok || e.String() != name {
			t.Errorf("ParseEncoding(%q) = %v, %v", name, e, ok)
		}
	}
	if _, ok := ParseEncoding("utf-32"); ok {
		t.Error("utf-32 is not counted in, so it must not be accepted")
	}
}

// FuzzRoundTrip checks, for any text, that every offset on a character
// boundary survives offset → position → offset in both encodings, that
// positions never go backwards as offsets grow, and that Offset never
// leaves the text.
func FuzzRoundTrip(f *testing.F) {
	for _, s := range []string{"", "a\rbb\rccc", "x\r\n🎉é\n漢\r", "ab\xff\xfe\r\n\xf0\x9f", "\r\r\n\n\n\r"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		tab := New(src)
		for _, enc := range []Encoding{UTF16, UTF8} {
			prev := pos{-1, -1}
			for off := 0; off <= len(src); off++ {
				line, char := tab.Position(off, enc)
				p := pos{line, char}
				if p.line < prev.line || p.line == prev.line && p.char < prev.char {
					t.Fatalf("%s: Position(%d) = %v goes back from %v in %q", enc, off, p, prev, src)
				}
				prev = p
				if boundary(src, off) {
					if back := tab.Offset(line, char, enc); back != off {
						t.Fatalf("%s: offset %d → %v → %d in %q", enc, off, p, back, src)
					}
				}
			}
			for line := -1; line <= tab.Lines(); line++ {
				for char := -1; char < 8; char++ {
					if o := tab.Offset(line, char, enc); o < 0 || o > len(src) {
						t.Fatalf("%s: Offset(%d, %d) = %d outside the text of %d bytes", enc, line, char, o, len(src))
					}
				}
			}
		}
	})
}

// boundary reports whether off starts a character of src (or is its end)
// and does not fall between the "\r" and "\n" of one line end.
func boundary(src []byte, off int) bool {
	if off > 0 && off < len(src) && src[off-1] == '\r' && src[off] == '\n' {
		return false
	}
	for i := 0; i < len(src); {
		if i == off {
			return true
		}
		if i > off {
			return false
		}
		_, size := utf8.DecodeRune(src[i:])
		i += size
	}
	return off == len(src)
}

func TestAdvanceStopsAtLineEnds(t *testing.T) {
	for _, s := range []string{"ab\ncd", "ab\rcd", "ab\r\ncd"} {
		if n, used := Advance(s, 10, UTF16); n != 2 || used != 2 {
			t.Errorf("Advance(%q) = %d, %d: want 2, 2 (stop at the line end)", s, n, used)
		}
	}
	if n, used := Advance(strings.Repeat("🎉", 3), 3, UTF16); n != 8 || used != 4 {
		t.Errorf("Advance over emoji = %d bytes, %d units: want 8, 4 (the pair walked whole)", n, used)
	}
}
