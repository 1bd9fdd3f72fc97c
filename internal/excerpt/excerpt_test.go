package excerpt

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestOfBoundsAndKeepsRunes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{strings.Repeat("a", 50), 10, "aaaaaaaaaa... (50 bytes)"},
		{"ab€cd", 3, "ab... (7 bytes)"}, // € is 3 bytes: never cut inside it
	} {
		if got := Of(tc.in, tc.max); got != tc.want {
			t.Errorf("Of(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
		if got := Bytes([]byte(tc.in), tc.max); got != tc.want {
			t.Errorf("Bytes(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
	huge := strings.Repeat("é", 1<<20)
	if got := Of(huge, Short); len(got) > Short+32 || !utf8.ValidString(got) {
		t.Errorf("Of of 2 MiB gives %d bytes (valid UTF-8: %v)", len(got), utf8.ValidString(got))
	}
	if got := Quote([]byte("a\x00b\nc"), 3); got != `"a\x00b"... (5 bytes)` {
		t.Errorf("Quote = %s", got)
	}
}
