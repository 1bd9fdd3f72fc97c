package text

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/donkeyls/donkeyls/analysis/textpos"
)

var pieces = []string{"a", "bc", " ", "é", "界", "😀", "\n", "\r", "\r\n", "\xff", "\x80", "\xe7\x95", "\x80\x80\x80\x80\x80"}

func randomText(r *rand.Rand, n int) string {
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(pieces[r.Intn(len(pieces))])
	}
	return b.String()
}

// checkBuffer holds the chunked buffer to the flat text it stands for: the
// same bytes, the same line count, the same offset for every position
// asked, and the boundary rules kept.
func checkBuffer(t *testing.T, r *rand.Rand, b *buffer, flat string) {
	t.Helper()
	if got := b.String(); got != flat {
		t.Fatalf("buffer holds %d bytes that differ from the flat text's %d", len(got), len(flat))
	}
	lines := textpos.New([]byte(flat))
	if b.lineCount() != lines.Lines() || b.size != len(flat) {
		t.Fatalf("lineCount %d size %d, want %d and %d", b.lineCount(), b.size, lines.Lines(), len(flat))
	}
	for k := 1; k < len(b.chunks); k++ {
		if badBoundary(b.chunks[k-1].s, b.chunks[k].s) {
			t.Fatalf("chunk %d breaks the boundary rules: %q | %q", k, tailOf(b.chunks[k-1].s), b.chunks[k].s[:1])
		}
	}
	for range 30 {
		p := Position{Line: r.Intn(lines.Lines()+2) - 1, Character: r.Intn(12)}
		for _, enc := range []textpos.Encoding{textpos.UTF16, textpos.UTF8} {
			if got, want := b.offset(p, enc), lines.Offset(p.Line, p.Character, enc); got != want {
				t.Fatalf("offset(%+v, %s) = %d, want %d", p, enc, got, want)
			}
		}
	}
}

func tailOf(s string) string {
	if len(s) > 1 {
		return s[len(s)-1:]
	}
	return s
}

// TestBufferMatchesFlatText applies random edits (inserts, deletes,
// replacements across chunk boundaries, CR/LF pairs and broken UTF-8 at the
// cut points) to a buffer of several chunks and to a flat string.
func TestBufferMatchesFlatText(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	flat := randomText(r, 5*chunkTarget)
	b := newBuffer(flat)
	checkBuffer(t, r, b, flat)
	for range 3000 {
		start := r.Intn(len(flat) + 1)
		end := start
		switch r.Intn(4) {
		case 0: // delete up to two chunks
			end = start + r.Intn(2*chunkTarget)
		case 1:
			end = start + r.Intn(4)
		}
		if end > len(flat) {
			end = len(flat)
		}
		ins := ""
		if r.Intn(3) > 0 {
			ins = randomText(r, r.Intn(8))
		}
		if r.Intn(200) == 0 {
			ins = randomText(r, 3*chunkTarget)
		}
		b = b.replace(start, end, ins)
		flat = flat[:start] + ins + flat[end:]
		checkBuffer(t, r, b, flat)
	}
	for len(flat) > 0 { // delete everything, a piece at a time
		n := min(1+r.Intn(chunkTarget), len(flat))
		b = b.replace(0, n, "")
		flat = flat[n:]
		checkBuffer(t, r, b, flat)
	}
	if len(b.chunks) != 0 {
		t.Errorf("an empty buffer holds %d chunks", len(b.chunks))
	}
}

// FuzzBufferEdits compares one edit on the chunked buffer with the flat text.
func FuzzBufferEdits(f *testing.F) {
	f.Add(int64(1), 100, 3, "x\r")
	f.Fuzz(func(t *testing.T, seed int64, start, n int, ins string) {
		r := rand.New(rand.NewSource(seed))
		flat := randomText(r, 3*chunkTarget)
		if start < 0 || n < 0 || start > len(flat) {
			return
		}
		end := min(start+n, len(flat))
		b := newBuffer(flat).replace(start, end, ins)
		checkBuffer(t, r, b, flat[:start]+ins+flat[end:])
	})
}
