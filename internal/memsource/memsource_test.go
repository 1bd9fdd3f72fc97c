package memsource_test

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/internal/memsource"
)

func newTree(head map[string][]byte) (*memsource.Source, string) {
	root := filepath.Join(string(filepath.Separator), "mem", "app")
	return memsource.New(root, fstest.MapFS{
		"b.ts":               {Data: []byte("b")},
		"a/x.ts":             {Data: []byte("x")},
		"modules/notes/m.ts": {Data: []byte("m")},
		"plugins/notes":      {Data: []byte("../modules/notes"), Mode: fs.ModeSymlink},
	}, head), root
}

// The tree answers as the operating system would: listings sorted with
// their own types, errors that are fs.ErrNotExist with the absolute path,
// nothing outside the root, symlinks followed by Stat and SameFile.
func TestReadsLikeTheOS(t *testing.T) {
	src, root := newTree(nil)
	entries, err := src.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if got := filepath.Join(names...); got != filepath.Join("a", "b.ts", "modules", "plugins") {
		t.Errorf("listing %v", names)
	}
	if b, err := src.ReadFile(filepath.Join(root, "plugins", "notes", "m.ts")); err != nil || string(b) != "m" {
		t.Errorf("read through the symlink: %q %v", b, err)
	}
	missing := filepath.Join(root, "nope.ts")
	_, err = src.ReadFile(missing)
	var pe *fs.PathError
	if !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &pe) || pe.Path != missing {
		t.Errorf("missing file: %v", err)
	}
	if _, err := src.Stat(filepath.Join(root, "..", "other")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("outside the root: %v", err)
	}
	if _, err := src.ReadFile(filepath.Join(root, "a")); err == nil {
		t.Error("a directory read as a file")
	}
	if !src.SameFile(filepath.Join(root, "plugins", "notes"), filepath.Join(root, "modules", "notes")) {
		t.Error("a symlinked folder is not the same as its target")
	}
	if src.SameFile(filepath.Join(root, "a"), filepath.Join(root, "modules", "notes")) {
		t.Error("two folders are the same")
	}
}

// HEAD: no map means no repository; a map answers the blobs it holds.
func TestHeadBlobs(t *testing.T) {
	src, root := newTree(nil)
	if blobs, inRepo := src.HeadBlobs(context.Background(), root, []string{filepath.Join(root, "b.ts")}); inRepo || blobs != nil {
		t.Errorf("outside a repository: %v %v", blobs, inRepo)
	}
	src, root = newTree(map[string][]byte{"b.ts": []byte("old b")})
	b, x := filepath.Join(root, "b.ts"), filepath.Join(root, "a", "x.ts")
	blobs, inRepo := src.HeadBlobs(context.Background(), root, []string{b, x})
	if !inRepo || len(blobs) != 1 || blobs[b] != project.GitBlobID([]byte("old b")) {
		t.Errorf("blobs %v in repo %v", blobs, inRepo)
	}
}
