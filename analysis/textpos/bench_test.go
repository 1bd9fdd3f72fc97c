package textpos

import (
	"strings"
	"testing"
)

// BenchmarkExtractorPositions is the extractor's use of a table: one per
// file, then a position for about every tenth byte (the starts and ends of
// the nodes it records), on ordinary TypeScript with some non-ASCII text.
func BenchmarkExtractorPositions(b *testing.B) {
	line := "  const value_界 = await db.selectFrom(\"books\").selectAll().execute(); // 😀\n"
	src := []byte(strings.Repeat(line, 1000))
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		t := New(src)
		for off := 0; off < len(src); off += 10 {
			_ = t.Pos(off)
		}
	}
}
