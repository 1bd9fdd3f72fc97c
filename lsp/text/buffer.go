package text

import (
	"strings"
	"unicode/utf8"

	"github.com/donkeyls/donkeyls/analysis/textpos"
)

// chunkTarget is the size a buffer's text is cut into. An edit rebuilds one
// chunk and copies the list of chunk headers: for 10 MB, some 1,300
// headers and 8 KB of text per keystroke instead of the whole buffer.
const chunkTarget = 8 << 10

// chunk is one piece of a buffer's text with the line ends it holds.
type chunk struct {
	s      string
	breaks int
}

// buffer is an immutable text held as a list of chunks. Edits share every
// chunk they do not touch. Two rules hold at every boundary between chunks,
// so that each chunk can be read on its own: no UTF-8 sequence is split
// (see badBoundary), and a "\r\n" is never
// split (a chunk's line ends are counted without looking at its neighbour).
type buffer struct {
	chunks []chunk
	size   int
	breaks int
}

func newBuffer(s string) *buffer {
	b := &buffer{chunks: splitChunks(s, nil)}
	b.size = len(s)
	for _, c := range b.chunks {
		b.breaks += c.breaks
	}
	return b
}

// splitChunks appends the chunks of s to out, cut near chunkTarget at
// boundaries that keep the rules.
func splitChunks(s string, out []chunk) []chunk {
	for len(s) > 0 {
		n := len(s)
		if n > chunkTarget+chunkTarget/2 {
			n = chunkTarget
			for k := 0; k < utf8.UTFMax-1 && n < len(s) && !utf8.RuneStart(s[n]); k++ {
				n++
			}
			if n < len(s) && s[n-1] == '\r' && s[n] == '\n' {
				n++
			}
		}
		out = append(out, chunk{s: s[:n], breaks: textpos.CountLineEnds(s[:n])})
		s = s[n:]
	}
	return out
}

// String joins the chunks.
func (b *buffer) String() string {
	if len(b.chunks) == 1 {
		return b.chunks[0].s
	}
	var sb strings.Builder
	sb.Grow(b.size)
	for _, c := range b.chunks {
		sb.WriteString(c.s)
	}
	return sb.String()
}

// lineCount is the number of lines (a text ending in a newline has an
// empty last line).
func (b *buffer) lineCount() int { return b.breaks + 1 }

// offset converts a position, its character counted in enc, to a byte
// offset, with the rules of textpos.Table.Offset.
func (b *buffer) offset(p Position, enc textpos.Encoding) int {
	if p.Line < 0 {
		return 0
	}
	if p.Line >= b.lineCount() {
		return b.size
	}
	// Find the chunk holding the start of the line, after p.Line breaks.
	k, off, seen := 0, 0, 0
	for p.Line > 0 && k < len(b.chunks) && seen+b.chunks[k].breaks < p.Line {
		seen += b.chunks[k].breaks
		off += len(b.chunks[k].s)
		k++
	}
	i := 0 // position in chunk k
	if p.Line > 0 {
		s := b.chunks[k].s
		for want := p.Line - seen; want > 0; i++ {
			if n := textpos.LineEndAt(s, i); n > 0 {
				i += n - 1
				want--
			}
		}
	}
	// Walk the line's characters, across chunks, until the character or
	// the line's end. No chunk boundary splits a character or a "\r\n".
	units := 0
	for k < len(b.chunks) {
		s := b.chunks[k].s
		n, used := textpos.Advance(s[i:], p.Character-units, enc)
		i += n
		units += used
		if units >= p.Character || i < len(s) {
			return off + i
		}
		off += len(s)
		k++
		i = 0
	}
	return b.size
}

// replace returns the buffer with bytes [start,end) replaced by ins.
func (b *buffer) replace(start, end int, ins string) *buffer {
	if len(b.chunks) == 0 {
		return newBuffer(ins)
	}
	// The chunks i..j hold the range; off is where chunk i starts.
	i, off := 0, 0
	for i < len(b.chunks)-1 && off+len(b.chunks[i].s) <= start {
		off += len(b.chunks[i].s)
		i++
	}
	j, offJ := i, off
	for j < len(b.chunks)-1 && offJ+len(b.chunks[j].s) < end {
		offJ += len(b.chunks[j].s)
		j++
	}
	head := b.chunks[i].s[:start-off]
	tail := b.chunks[j].s[end-offJ:]
	joined := head + ins + tail
	// Keep the rules at both new boundaries, and merge a chunk an edit left
	// small with a neighbour, by taking neighbours in.
	for {
		switch {
		case i > 0 && (joined == "" || len(joined) < chunkTarget/4 && j == len(b.chunks)-1 || badBoundary(b.chunks[i-1].s, joined)):
			i--
			joined = b.chunks[i].s + joined
		case j < len(b.chunks)-1 && (joined == "" || len(joined) < chunkTarget/4 || badBoundary(joined, b.chunks[j+1].s)):
			j++
			joined += b.chunks[j].s
		default:
			goto rebuilt
		}
	}
rebuilt:
	out := &buffer{size: b.size - (end - start) + len(ins), breaks: b.breaks}
	out.chunks = make([]chunk, 0, len(b.chunks)+len(joined)/chunkTarget+1)
	out.chunks = append(out.chunks, b.chunks[:i]...)
	for _, c := range b.chunks[i : j+1] {
		out.breaks -= c.breaks
	}
	n := len(out.chunks)
	out.chunks = splitChunks(joined, out.chunks)
	for _, c := range out.chunks[n:] {
		out.breaks += c.breaks
	}
	out.chunks = append(out.chunks, b.chunks[j+1:]...)
	return out
}

// badBoundary reports whether a chunk ending with a may not be followed by
// one starting with b: the cut would split a "\r\n", or could split a UTF-8
// sequence (b starts with a continuation byte that a lead byte near the end
// of a, followed only by continuation bytes, may own). Broken bytes decode
// one at a time either way, so any other cut reads the same.
func badBoundary(a, b string) bool {
	if a == "" || b == "" {
		return true
	}
	if a[len(a)-1] == '\r' && b[0] == '\n' {
		return true
	}
	if utf8.RuneStart(b[0]) {
		return false
	}
	if len(a) < utf8.UTFMax-1 {
		return true // the owner may be in the chunk before a: merge
	}
	for d := 1; d < utf8.UTFMax; d++ {
		c := a[len(a)-d]
		if c >= 0xC0 {
			return true
		}
		if utf8.RuneStart(c) {
			return false
		}
	}
	return false
}
