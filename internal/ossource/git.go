package ossource

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
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
		before, after, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		fields := strings.Fields(before)
		if len(fields) != 3 || fields[1] != "blob" {
			continue
		}
		abs := filepath.Join(topDir, filepath.FromSlash(after))
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

// HeadTree lists HEAD's files under dir (recursively) with their blob ids.
func (Source) HeadTree(ctx context.Context, root, dir string) (map[string]string, bool) {
	if !mayBeInGit(root) {
		return nil, false
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	// ls-tree of a folder lists everything below it; the path asked for
	// need not exist.
	blobs := gitHeadBlobs(ctx, root, []string{filepath.Join(dir, "x")})
	return blobs, blobs != nil
}

// HeadFiles returns the content at HEAD of those of paths HEAD holds, with
// one git process.
func (Source) HeadFiles(ctx context.Context, root string, paths []string) map[string][]byte {
	if len(paths) == 0 || !mayBeInGit(root) {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var in bytes.Buffer
	var asked []string
	for _, p := range paths {
		rel, err := filepath.Rel(root, p)
		if err != nil || strings.ContainsAny(rel, "\n\r") {
			continue
		}
		asked = append(asked, p)
		// ./ makes the path relative to -C root, not to the top level.
		fmt.Fprintf(&in, "HEAD:./%s\n", filepath.ToSlash(rel))
	}
	cmd := exec.CommandContext(ctx, "git", "-C", root, "cat-file", "--batch")
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		return nil
	}
	files := map[string][]byte{}
	for _, p := range asked {
		// <object> SP blob SP <size> LF <content> LF, or "<name> missing" LF.
		nl := bytes.IndexByte(out, '\n')
		if nl < 0 {
			break
		}
		header := strings.Fields(string(out[:nl]))
		out = out[nl+1:]
		if len(header) != 3 || header[1] != "blob" {
			continue
		}
		var size int
		if _, err := fmt.Sscanf(header[2], "%d", &size); err != nil || size < 0 || size+1 > len(out) {
			break
		}
		files[p] = out[:size:size]
		out = out[size+1:]
	}
	return files
}
