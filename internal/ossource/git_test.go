package ossource

import (
	"os"
	"os/exec"
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

// HEAD as git holds it: a folder renamed in the work tree is still listed
// under its old path, and its files' content is read back exactly.
func TestHeadTreeAndFilesAfterAFolderRename(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	root := t.TempDir()
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", root, "-c", "user.email=t@example.com", "-c", "user.name=t"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	old := filepath.Join(root, "plugins", "books")
	if err := os.MkdirAll(filepath.Join(old, "migrations"), 0o755); err != nil {
		t.Fatal(err)
	}
	index := []byte("export const booksPlugin = createPlugin.define({ name: \"books\" });\n")
	if err := os.WriteFile(filepath.Join(old, "index.ts"), index, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(old, "migrations", "001_a.ts"), []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run("init", "-q")
	run("add", "-A")
	run("commit", "-qm", "init")
	run("mv", "plugins/books", "plugins/catalog")

	ctx := t.Context()
	tree, ok := Source{}.HeadTree(ctx, root, filepath.Join(root, "plugins"))
	if !ok {
		t.Fatal("not in a repository")
	}
	for _, p := range []string{filepath.Join(old, "index.ts"), filepath.Join(old, "migrations", "001_a.ts")} {
		if tree[p] == "" {
			t.Errorf("HEAD's tree lacks %s: %v", p, tree)
		}
	}
	if len(tree) != 2 {
		t.Errorf("HEAD's tree has %d files, want 2: %v", len(tree), tree)
	}
	got := Source{}.HeadFiles(ctx, root, []string{filepath.Join(old, "index.ts"), filepath.Join(root, "plugins", "catalog", "index.ts")})
	if string(got[filepath.Join(old, "index.ts")]) != string(index) {
		t.Errorf("HEAD's index.ts = %q, want %q", got[filepath.Join(old, "index.ts")], index)
	}
	if _, ok := got[filepath.Join(root, "plugins", "catalog", "index.ts")]; ok {
		t.Error("a path HEAD does not hold has content")
	}
}
