package project

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"slices"
	"sync"
)

// Source is everything the analysis reads of the world outside the process:
// file contents, directory listings, file metadata, and what version
// control holds at HEAD. The analysis packages touch no file and start no
// process themselves; the caller chooses where their reads go. The language
// server, check and dev pass the operating system's (internal/ossource),
// with the language server's open buffers laid over it; tests pass one held
// in memory (internal/memsource), so a fixture never touches the disk.
//
// Paths are absolute and clean, in the operating system's form.
type Source interface {
	// ReadFile returns a file's content. A path that is not a regular file
	// is an error; one that does not exist is fs.ErrNotExist.
	ReadFile(path string) ([]byte, error)
	// ReadDir lists a directory sorted by name, as os.ReadDir does: each
	// entry's type is its own (a symlink is not followed). A directory the
	// Source holds no source in by nature (a pseudo-filesystem) is refused
	// with ErrNoSource, and left out of its parent's listing.
	ReadDir(path string) ([]fs.DirEntry, error)
	// Stat describes path, following symlinks.
	Stat(path string) (fs.FileInfo, error)
	// SameFile reports whether a and b are the same file or directory once
	// symlinks are followed; false when either does not exist.
	SameFile(a, b string) bool
	Repository
}

// Repository is the version-control view of a Source: what is committed.
type Repository interface {
	// HeadBlobs returns git's blob ids at HEAD of those of paths that HEAD
	// tracks, keyed by path. inRepo is false when root is in no work tree
	// (or no version control is at hand): git-based findings are then
	// skipped quietly. A repository without a first commit has an empty map.
	HeadBlobs(ctx context.Context, root string, paths []string) (blobs map[string]string, inRepo bool)
	// HeadTree returns the blob ids at HEAD of every file below dir (which
	// need not exist any more), keyed by path; inRepo as for HeadBlobs.
	HeadTree(ctx context.Context, root, dir string) (blobs map[string]string, inRepo bool)
	// HeadFiles returns the content at HEAD of those of paths HEAD holds.
	HeadFiles(ctx context.Context, root string, paths []string) map[string][]byte
}

// IntoReader is a Source that can read a file into a caller's buffer. A
// warm load only hashes most files (their facts come from the cache), so
// reading every one into a fresh slice left the whole project's bytes
// behind as garbage: 11.7 MB per load of 1,000 plugins.
type IntoReader interface {
	// ReadFileInto is ReadFile into buf's storage when it fits; the
	// result may alias buf.
	ReadFileInto(path string, buf []byte) ([]byte, error)
}

// ReadFileInto reads path through src into buf when src can, and with
// ReadFile otherwise. The result may alias buf.
func ReadFileInto(src Source, path string, buf []byte) ([]byte, error) {
	if r, ok := src.(IntoReader); ok {
		return r.ReadFileInto(path, buf)
	}
	return src.ReadFile(path)
}

// ErrNoSource is how a Source refuses to list a directory that holds no
// source by nature (the kernel's /proc, /sys, /dev).
var ErrNoSource = errors.New("it holds no source")

// walkDir visits every entry below root, depth first in name order as
// filepath.WalkDir does, listing directories through src. visit may return
// fs.SkipDir for a directory not to enter it, or fs.SkipAll to stop. A
// subdirectory that cannot be listed is passed over (it holds no project
// files we could read); the root that cannot be is an error.
func walkDir(src Source, root string, visit func(path string, d fs.DirEntry) error) error {
	entries, err := src.ReadDir(root)
	if err != nil {
		return err
	}
	if err := walkEntries(src, root, entries, visit); err != nil && err != fs.SkipAll {
		return err
	}
	return nil
}

func walkEntries(src Source, dir string, entries []fs.DirEntry, visit func(string, fs.DirEntry) error) error {
	for _, d := range entries {
		path := filepath.Join(dir, d.Name())
		if err := visit(path, d); err != nil {
			if err != fs.SkipDir {
				return err
			}
			if !d.IsDir() {
				return nil // as filepath.WalkDir: the rest of this directory
			}
			continue
		}
		if !d.IsDir() {
			continue
		}
		sub, err := src.ReadDir(path)
		if err != nil {
			continue
		}
		if err := walkEntries(src, path, sub, visit); err != nil {
			return err
		}
	}
	return nil
}

// Listings is a Source that lists each directory once and answers every
// later ReadDir of it from memory; everything else goes to the Source it
// wraps. Discovering projects and then scanning one walk the same tree:
// sharing the listings halves the directory system calls of a start (on
// 1,000 plugins the second walk was a tenth of a warm check's CPU). It
// never sees a directory change after its first listing, so it lives for
// one discovery and the loads that follow it, no longer.
type Listings struct {
	Source
	mu     sync.Mutex
	dirs   map[string]*listing
	forgot bool
}

// Forget drops every listing; from then on ReadDir lists the wrapped
// Source each time. A snapshot keeps the Source it was loaded through, so
// a server forgets once the loads the listings were made for are done:
// nothing later reads them stale, and they do not stay in memory.
func (l *Listings) Forget() {
	l.mu.Lock()
	l.dirs, l.forgot = nil, true
	l.mu.Unlock()
}

type listing struct {
	once    sync.Once
	entries []fs.DirEntry
	err     error
}

// NewListings wraps src.
func NewListings(src Source) *Listings {
	return &Listings{Source: src, dirs: map[string]*listing{}}
}

// ReadFileInto implements IntoReader through the wrapped Source.
func (l *Listings) ReadFileInto(path string, buf []byte) ([]byte, error) {
	return ReadFileInto(l.Source, path, buf)
}

// ReadDir lists path through the wrapped Source the first time it is
// asked, from memory after; concurrent callers share the one listing. Each
// caller gets its own slice.
func (l *Listings) ReadDir(path string) ([]fs.DirEntry, error) {
	l.mu.Lock()
	if l.forgot {
		l.mu.Unlock()
		return l.Source.ReadDir(path)
	}
	e := l.dirs[path]
	if e == nil {
		e = &listing{}
		l.dirs[path] = e
	}
	l.mu.Unlock()
	e.once.Do(func() { e.entries, e.err = l.Source.ReadDir(path) })
	return slices.Clone(e.entries), e.err
}
