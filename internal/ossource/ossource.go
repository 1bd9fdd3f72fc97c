// Package ossource is the project.Source of the machine donkeyls runs on:
// files and directories through the operating system, HEAD through the git
// installed there. It is the one place the analysis reaches the outside
// world; the analysis packages name neither a file call nor a process.
//
// Beyond what the os package does, it keeps a walk of a project safe:
// anything but a regular file (a named pipe called x.ts) is refused rather
// than read, and the kernel's pseudo-filesystems (/proc, /sys, /dev and
// their kin) are never listed.
package ossource

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/internal/pseudofs"
	"github.com/donkeyls/donkeyls/internal/srcfile"
)

// Source reads the operating system's file system and asks git for HEAD.
// The zero value is ready to use and holds no state.
type Source struct{}

var _ project.Source = Source{}

// ReadFile reads a regular file; see srcfile.Read.
func (Source) ReadFile(path string) ([]byte, error) { return srcfile.Read(path) }

// ReadFileInto is ReadFile into buf when the file fits; see srcfile.ReadInto.
func (Source) ReadFileInto(path string, buf []byte) ([]byte, error) {
	return srcfile.ReadInto(path, buf)
}

// ReadDir is os.ReadDir without the pseudo-filesystems: a subdirectory
// that is one is left out (the kernel is asked about each), so no walk ever
// enters it, and a directory under /proc, /sys or /dev is refused with
// project.ErrNoSource. The directory listed is checked by name only: each
// one a walk lists was already checked as its parent's entry, and asking
// the kernel again would double a walk's system calls for nothing.
func (Source) ReadDir(path string) ([]fs.DirEntry, error) {
	if pseudofs.KnownMount(path) {
		return nil, &fs.PathError{Op: "readdir", Path: path, Err: fmt.Errorf("a pseudo-filesystem (/proc, /sys, /dev): %w", project.ErrNoSource)}
	}
	entries, err := os.ReadDir(path)
	kept := entries[:0]
	for _, d := range entries {
		if d.IsDir() && pseudofs.Skip(filepath.Join(path, d.Name())) {
			continue
		}
		kept = append(kept, d)
	}
	return kept, err
}

// Stat is os.Stat.
func (Source) Stat(path string) (fs.FileInfo, error) { return os.Stat(path) }

// SameFile is os.SameFile of the two paths' Stat.
func (Source) SameFile(a, b string) bool {
	ai, err := os.Stat(a)
	if err != nil {
		return false
	}
	bi, err := os.Stat(b)
	return err == nil && os.SameFile(ai, bi)
}

// HeadBlobs asks git; see gitHeadBlobs.
func (Source) HeadBlobs(ctx context.Context, root string, paths []string) (map[string]string, bool) {
	blobs := gitHeadBlobs(ctx, root, paths)
	return blobs, blobs != nil
}
