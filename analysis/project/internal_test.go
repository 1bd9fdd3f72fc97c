package project

import (
	"path/filepath"
	"testing"
)

// isWithin decides which files belong to a project, an output directory or
// a plugins folder; its fast path must agree with filepath.Rel.
func TestIsWithin(t *testing.T) {
	sep := string(filepath.Separator)
	abs := func(parts ...string) string { return sep + filepath.Join(parts...) }
	for _, tc := range []struct {
		dir, path string
		want      bool
	}{
		{abs("app", "src"), abs("app", "src"), true},
		{abs("app", "src"), abs("app", "src", "index.ts"), true},
		{abs("app", "src"), abs("app", "src", "a", "b.ts"), true},
		{abs("app", "src"), abs("app", "srcx", "b.ts"), false},
		{abs("app", "src"), abs("app", "sr"), false},
		{abs("app", "src"), abs("app"), false},
		{abs("app", "src") + sep, abs("app", "src", "b.ts"), true},
		{sep, abs("app", "b.ts"), true},
		{"", abs("app", "b.ts"), false},
	} {
		if got := isWithin(tc.dir, tc.path); got != tc.want {
			t.Errorf("isWithin(%q, %q) = %v, want %v", tc.dir, tc.path, got, tc.want)
		}
	}
}
