package text

import (
	"strings"
	"testing"

	"github.com/donkeyls/donkeyls/analysis/textpos"
)

// BenchmarkTypingLargeBuffer applies one-character incremental edits, the
// way an editor sends keystrokes, to a 1 MB and a 10 MB buffer of ordinary
// TypeScript lines. One op is one keystroke; the cursor moves down the file
// so no edit lands where the last one did.
func BenchmarkTypingLargeBuffer(b *testing.B) {
	for _, size := range []struct {
		name  string
		bytes int
	}{{"1MB", 1 << 20}, {"10MB", 10 << 20}} {
		b.Run(size.name, func(b *testing.B) {
			line := "  const value_界 = await db.selectFrom(\"books\").selectAll().execute(); // 😀\n"
			src := strings.Repeat(line, size.bytes/len(line)+1)
			lines := strings.Count(src, "\n")
			u, _ := ParseURI("file:///p/big.ts")
			d := NewDocument(u, "typescript", 1, src)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				l := (i * 7919) % lines
				next, err := d.Apply(int32(i+2), textpos.UTF16, []Change{{Range: &Range{Start: Position{l, 10}, End: Position{l, 10}}, Text: "x"}})
				if err != nil {
					b.Fatal(err)
				}
				d = next
			}
		})
	}
}
