package ossource

import (
	"os"
	"path/filepath"
	"testing"
)

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
