package ossource

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// gitHeadBlobs asks git for the blob ids of paths at HEAD with one ls-tree
// call. It returns nil when root is not in a git work tree or git is not
// installed: callers then skip git-based findings quietly.
func gitHeadBlobs(ctx context.Context, root string, paths []string) map[string]string {
	if len(paths) == 0 {
		return nil
	}
	if !mayBeInGit(root) {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	top, err := exec.CommandContext(ctx, "git", "-C", root, "rev-parse", "--show-toplevel").Output()
	if err != nil {
		return nil
	}
	topDir := strings.TrimSpace(string(top))
	if resolved, err := filepath.EvalSymlinks(topDir); err == nil {
		topDir = resolved
	}
	rootResolved := root
	if r, err := filepath.EvalSymlinks(root); err == nil {
		rootResolved = r
	}
	dirs := map[string]bool{}
	for _, p := range paths {
		dirs[filepath.Dir(p)] = true
	}
	args := []string{"-C", root, "ls-tree", "-r", "--full-tree", "HEAD", "--"}
	for d := range dirs {
		rel, err := filepath.Rel(rootResolved, resolveDir(d))
		if err != nil {
			continue
		}
		relTop, err := filepath.Rel(topDir, filepath.Join(rootResolved, rel))
		if err != nil {
			continue
		}
		args = append(args, filepath.ToSlash(relTop))
	}
	out, err := exec.CommandContext(ctx, "git", args...).Output()
	if err != nil {
		// No HEAD yet (a fresh repository): everything is new.
		return map[string]string{}
	}
	blobs := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		// <mode> SP <type> SP <object> TAB <path>
		line := sc.Text()
		tab := strings.IndexByte(line, '\t')
		if tab < 0 {
			continue
		}
		fields := strings.Fields(line[:tab])
		if len(fields) != 3 || fields[1] != "blob" {
			continue
		}
		abs := filepath.Join(topDir, filepath.FromSlash(line[tab+1:]))
		if rel, err := filepath.Rel(rootResolved, abs); err == nil {
			abs = filepath.Join(root, rel)
		}
		blobs[abs] = fields[2]
	}
	return blobs
}

// mayBeInGit looks for a .git entry in dir and its parents, so a project
// outside any repository costs a few stats instead of starting git. With
// GIT_DIR set, git may find a repository anywhere: ask it.
func mayBeInGit(dir string) bool {
	if os.Getenv("GIT_DIR") != "" {
		return true
	}
	if hasGitAbove(dir) {
		return true
	}
	// git follows symlinks: a root reached through one may sit in a
	// repository its written path does not show.
	resolved, err := filepath.EvalSymlinks(dir)
	return err == nil && resolved != dir && hasGitAbove(resolved)
}

func hasGitAbove(dir string) bool {
	for {
		if _, err := os.Lstat(filepath.Join(dir, ".git")); err == nil {
			return true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return false
		}
		dir = parent
	}
}

func resolveDir(d string) string {
	if r, err := filepath.EvalSymlinks(d); err == nil {
		return r
	}
	return d
}
