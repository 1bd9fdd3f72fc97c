package analyzers

import "testing"

func TestSameIgnoringSpace(t *testing.T) {
	for _, c := range []struct{ a, b string }{
		{"{\n  a: string;\n}", "{ a: string; }"}, {"string", " string "}, {"{\n\n}", "{ }"},
		{"a b", "ab"}, {"string | null[]", "string[] | null"}, {"", "  "}, {"x", ""}, {"a  b", "a b"},
	} {
		if got, want := sameIgnoringSpace(c.a, c.b), normalizeType(c.a) == normalizeType(c.b); got != want {
			t.Errorf("sameIgnoringSpace(%q, %q) = %v, normalizeType says %v", c.a, c.b, got, want)
		}
	}
}
