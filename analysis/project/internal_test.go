package project

import (
	"os"
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

// A project reached through a symlink may sit in a repository its written
// path does not show; git follows the link, and so must the shortcut that
// decides whether to ask git at all.
func TestMayBeInGitFollowsSymlinks(t *testing.T) {
	base := t.TempDir()
	if hasGitAbove(base) {
		t.Skip("the temporary directory is itself inside a repository")
	}
	repo := filepath.Join(base, "mono")
	app := filepath.Join(repo, "apps", "shop")
	if err := os.MkdirAll(filepath.Join(repo, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(app, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(base, "shop")
	if err := os.Symlink(app, link); err != nil {
		t.Skipf("symlink: %v", err)
	}
	outside := filepath.Join(base, "elsewhere")
	if err := os.MkdirAll(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GIT_DIR", "")
	for dir, want := range map[string]bool{app: true, link: true, outside: false} {
		if got := mayBeInGit(dir); got != want {
			t.Errorf("mayBeInGit(%s) = %v, want %v", dir, got, want)
		}
	}
}
