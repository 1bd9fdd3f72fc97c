// Package memsource is a project.Source held in memory, for tests: a
// testing/fstest.MapFS laid out at a root path, and the files git's HEAD
// holds. A project loaded through it touches no disk and starts no process,
// so a fixture is the same everywhere and costs no temporary directory.
package memsource

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing/fstest"

	"github.com/donkeyls/donkeyls/analysis/project"
)

// Source is a work tree in memory. Methods may be called concurrently;
// WriteFile and Remove change what later reads see.
type Source struct {
	root string

	mu    sync.RWMutex
	files fstest.MapFS
	head  map[string][]byte // nil: the tree is in no repository
}

var _ project.Source = (*Source)(nil)

// New lays files (slash paths relative to root) out at the absolute path
// root. head, when not nil, makes root a git work tree whose HEAD holds
// those files (slash paths relative to root); nil means no repository.
func New(root string, files fstest.MapFS, head map[string][]byte) *Source {
	if files == nil {
		files = fstest.MapFS{}
	}
	return &Source{root: filepath.Clean(root), files: files, head: head}
}

// Root is where the tree appears.
func (s *Source) Root() string { return s.root }

// name turns an absolute path into the MapFS name, "." for the root.
func (s *Source) name(op, p string) (string, error) {
	rel, err := filepath.Rel(s.root, filepath.Clean(p))
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", &fs.PathError{Op: op, Path: p, Err: fs.ErrNotExist}
	}
	return filepath.ToSlash(rel), nil
}

// ReadFile reads a regular file (following symlinks).
func (s *Source) ReadFile(p string) ([]byte, error) {
	name, err := s.name("read", p)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	st, err := fs.Stat(s.files, name)
	if err != nil {
		return nil, rePath(err, p)
	}
	if !st.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "read", Path: p, Err: errors.New("not a regular file")}
	}
	b, err := fs.ReadFile(s.files, name)
	return b, rePath(err, p)
}

// ReadDir lists a directory sorted by name; entries are not followed.
func (s *Source) ReadDir(p string) ([]fs.DirEntry, error) {
	name, err := s.name("readdir", p)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	entries, err := fs.ReadDir(s.files, name)
	return entries, rePath(err, p)
}

// Stat describes p, following symlinks.
func (s *Source) Stat(p string) (fs.FileInfo, error) {
	name, err := s.name("stat", p)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	st, err := fs.Stat(s.files, name)
	return st, rePath(err, p)
}

// SameFile compares the paths with every symlink resolved.
func (s *Source) SameFile(a, b string) bool {
	an, err := s.name("stat", a)
	if err != nil {
		return false
	}
	bn, err := s.name("stat", b)
	if err != nil {
		return false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	ar, ok := s.resolve(an)
	if !ok {
		return false
	}
	br, ok := s.resolve(bn)
	return ok && ar == br
}

// resolve follows the symlinks of every element of name, as the kernel
// does, and reports false for a name that does not exist (or loops).
func (s *Source) resolve(name string) (string, bool) {
	resolved := "."
	rest := strings.Split(name, "/")
	for hops := 0; len(rest) > 0; {
		elem := rest[0]
		rest = rest[1:]
		if elem == "." || elem == "" {
			continue
		}
		next := path.Join(resolved, elem)
		st, err := fs.Lstat(s.files, next)
		if err != nil {
			return "", false
		}
		if st.Mode().Type() != fs.ModeSymlink {
			resolved = next
			continue
		}
		if hops++; hops > 40 {
			return "", false
		}
		target, err := fs.ReadLink(s.files, next)
		if err != nil || path.IsAbs(target) {
			return "", false // an absolute link leaves the tree
		}
		rest = append(strings.Split(path.Join(resolved, target), "/"), rest...)
		resolved = "."
	}
	return resolved, true
}

// HeadBlobs answers from the head files given to New.
func (s *Source) HeadBlobs(_ context.Context, _ string, paths []string) (map[string]string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.head == nil {
		return nil, false
	}
	blobs := map[string]string{}
	for _, p := range paths {
		name, err := s.name("head", p)
		if err != nil {
			continue
		}
		if b, ok := s.head[name]; ok {
			blobs[p] = project.GitBlobID(b)
		}
	}
	return blobs, true
}

// WriteFile creates or replaces the file at p, as an editor's save would.
func (s *Source) WriteFile(p string, data []byte) error {
	name, err := s.name("write", p)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[name] = &fstest.MapFile{Data: append([]byte(nil), data...), Mode: 0o644}
	return nil
}

// Symlink makes p a symbolic link to target (relative to p's directory).
func (s *Source) Symlink(target, p string) error {
	name, err := s.name("symlink", p)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[name] = &fstest.MapFile{Data: []byte(filepath.ToSlash(target)), Mode: fs.ModeSymlink | 0o777}
	return nil
}

// Remove deletes p and everything below it.
func (s *Source) Remove(p string) error {
	name, err := s.name("remove", p)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.files {
		if k == name || strings.HasPrefix(k, name+"/") || name == "." {
			delete(s.files, k)
		}
	}
	return nil
}

// rePath puts the absolute path back into an fs.PathError, so messages and
// errors.Is read as they would from the operating system.
func rePath(err error, p string) error {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return &fs.PathError{Op: pe.Op, Path: p, Err: pe.Err}
	}
	return err
}

// HeadTree answers from the head files given to New.
func (s *Source) HeadTree(_ context.Context, _ string, dir string) (map[string]string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.head == nil {
		return nil, false
	}
	prefix, err := s.name("head", dir)
	if err != nil {
		return map[string]string{}, true
	}
	blobs := map[string]string{}
	for name, b := range s.head {
		if prefix == "." || strings.HasPrefix(name, prefix+"/") {
			blobs[filepath.Join(s.root, filepath.FromSlash(name))] = project.GitBlobID(b)
		}
	}
	return blobs, true
}

// HeadFiles answers from the head files given to New.
func (s *Source) HeadFiles(_ context.Context, _ string, paths []string) map[string][]byte {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := map[string][]byte{}
	for _, p := range paths {
		name, err := s.name("head", p)
		if err != nil {
			continue
		}
		if b, ok := s.head[name]; ok {
			out[p] = append([]byte(nil), b...)
		}
	}
	return out
}
