// Package project joins the facts of every file of one donkeylabs project with
// its configuration. A Project is an immutable snapshot: WithFile returns a new
// snapshot that shares every other file's facts, so an edit costs one file's
// extraction and never a rescan of the workspace.
//
// Discover and Load read only through the Source they are given (see
// source.go and docs/analysis.md): this package, like all of analysis,
// touches no file and starts no process itself.
package project

import (
	"context"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/donkeyls/donkeyls/analysis/facts"
)

// Buffers is a Source that also holds files which may not exist on disk yet
// (a buffer opened on a new path in the editor). Load analyzes each of them
// that the scan would have found had it been on disk.
type Buffers interface {
	Source
	// BufferPaths lists the clean absolute paths of the buffers.
	BufferPaths() []string
}

// Project is one donkeylabs project at one moment.
type Project struct {
	root   string
	config *Config
	// src is what the Load read through; analyzers that must ask about
	// files the facts do not hold (does this folder exist?) ask it.
	src   Source
	files fileTable
	// expected are the generated outputs the generator would write, with the
	// kind each is read as; those that do not exist have Missing facts.
	expected map[string]facts.Kind
	// generated are the paths of expected, sorted.
	generated []string
	// git holds the migrations' blob ids at HEAD. Load starts git in the
	// background, so it runs while files are parsed instead of after;
	// snapshots of one Load share the answer.
	git *gitInfo
	// reuse keeps results computed from some files' facts across the
	// snapshots of one Load; unchanged files share their facts, so a result
	// whose inputs are the very same facts is still right.
	reuse *reuseCache
	// stats says where the Load's facts came from.
	stats LoadStats
	// needsReload is set when a change needs a fresh Load for exact results.
	needsReload bool
	// memo caches values derived from the files; every new snapshot gets a
	// fresh one, so the cache never outlives the facts it was computed from
	// (except the entry model, which a later snapshot may take over when
	// what it reads did not change: see computeEntry).
	memo *memo
}

type memo struct {
	expectedOnce sync.Once
	expected     *Expected
	expectedDone atomic.Bool // set once expected is
	// expectedPatched says expected was derived from an earlier
	// snapshot's (tests read it).
	expectedPatched bool
	// entry is this snapshot's entry model once computed; base the
	// snapshot this one was made from, until then (see computeEntry).
	entry  atomic.Pointer[entryMemo]
	base   atomic.Pointer[memoLink]
	mu     sync.Mutex
	values map[any]*memoValue
}

type memoValue struct {
	once sync.Once
	v    any
	// done is set once v is: a later snapshot reads v without waiting
	// on once (see MemoSince).
	done atomic.Bool
}

// Change is one WithFile step between two snapshots: a path's facts
// before and after.
type Change struct{ Old, New *facts.File }

// Memo returns what build computes for key on this snapshot, computing it at
// most once. Analyzers use it to share a model derived from the facts (the
// plugin graph, say) between passes over the same snapshot; a new snapshot
// starts empty, so nothing outlives the facts it came from. key should be a
// value of an unexported type of the caller's package.
func (p *Project) Memo(key any, build func() any) any {
	m := p.m()
	m.mu.Lock()
	if m.values == nil {
		m.values = map[any]*memoValue{}
	}
	e, ok := m.values[key]
	if !ok {
		e = &memoValue{}
		m.values[key] = e
	}
	m.mu.Unlock()
	e.once.Do(func() {
		e.v = build()
		e.done.Store(true)
	})
	return e.v
}

// MemoSince is Memo for a model a snapshot can derive from an earlier
// one's. build gets the value the nearest earlier snapshot (made from this
// one's ancestors by WithFile, at most maxEntryLinks steps back) computed
// for key, with the changes since, oldest first, when same says every one
// of them reads the same to the model; otherwise prev is nil and build
// computes afresh. same must compare every fact the model reads of a file,
// and build must take from the changes' New facts whatever it keeps that
// is not compared (a pointer into the facts, a position).
func (p *Project) MemoSince(key any, same func(old, new *facts.File) bool, build func(prev any, changes []Change) any) any {
	return p.Memo(key, func() any {
		prev, changes := p.m().earlier(func(m *memo) (any, bool) { return m.done(key) }, same)
		return build(prev, changes)
	})
}

// done returns key's value when this memo has computed it.
func (m *memo) done(key any) (any, bool) {
	m.mu.Lock()
	e := m.values[key]
	m.mu.Unlock()
	if e == nil || !e.done.Load() {
		return nil, false
	}
	return e.v, true
}

// earlier walks the links back from m to the nearest memo for which have
// answers, as long as every step reads the same to same; it returns what
// have found and the changes since, oldest first, or nil.
func (m *memo) earlier(have func(*memo) (any, bool), same func(old, new *facts.File) bool) (any, []Change) {
	var changes []Change
	for range maxEntryLinks {
		link := m.base.Load()
		if link == nil || !same(link.old, link.new) {
			return nil, nil
		}
		changes = append(changes, Change{Old: link.old, New: link.new})
		if v, ok := have(link.memo); ok {
			slices.Reverse(changes)
			return v, changes
		}
		m = link.memo
	}
	return nil, nil
}

// ForgetEarlier drops this snapshot's link to the one it was made from,
// once everything that could reuse the earlier models is computed (the
// analyzers' Run ends with it), so a settled server keeps no more than
// one snapshot's models.
func (p *Project) ForgetEarlier() { p.m().base.Store(nil) }

func (p *Project) m() *memo {
	return p.memo
}

// Source is what the Load behind this snapshot read through.
func (p *Project) Source() Source { return p.src }

// Root is the directory holding donkeylabs.config.ts (or the flat layout).
func (p *Project) Root() string { return p.root }

// Config is the project's configuration as read statically.
func (p *Project) Config() *Config { return p.config }

// File returns the facts of path, or nil when the project does not analyze it.
func (p *Project) File(path string) *facts.File {
	// Analyzers look up clean paths thousands of times per keystroke;
	// cleaning each first was a tenth of their time.
	if f, ok := p.files.get(path); ok {
		return f
	}
	return p.file(filepath.Clean(path))
}

// file is the facts of a clean path, nil when there are none.
func (p *Project) file(path string) *facts.File {
	f, _ := p.files.get(path)
	return f
}

// Files lists every analyzed path, sorted. The slice is shared: do not modify it.
func (p *Project) Files() []string { return p.files.paths() }

// sortedFiles is the facts of Files(), index for index: analyzers walk
// every file several times per keystroke, and looking each path up again
// (hashing 10,000 long paths) was a tenth of the edit. The slice is shared.
func (p *Project) sortedFiles() []*facts.File { return p.files.facts }

// EachFile calls fn for every file's facts in path order.
func (p *Project) EachFile(fn func(*facts.File)) {
	for _, f := range p.sortedFiles() {
		fn(f)
	}
}

// IsGenerated reports whether the generator writes path.
func (p *Project) IsGenerated(path string) bool {
	_, ok := p.expected[filepath.Clean(path)]
	return ok
}

// GeneratedPaths lists the outputs the generator writes for this project,
// sorted. The list is fixed for a Load and sorted once (an analyzer asks
// for it at every keystroke); callers get a copy they may modify.
func (p *Project) GeneratedPaths() []string {
	return slices.Clone(p.generated)
}

// Contains reports whether path lies inside the project root and outside the
// directories no analysis looks at.
func (p *Project) Contains(path string) bool {
	rel, err := filepath.Rel(p.root, filepath.Clean(path))
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return false
	}
	for part := range strings.SplitSeq(filepath.ToSlash(rel), "/") {
		if part == "node_modules" || part == ".git" {
			return false
		}
	}
	return true
}

// Rel returns path relative to the root with forward slashes.
func (p *Project) Rel(path string) string {
	rel, err := filepath.Rel(p.root, path)
	if err != nil {
		return filepath.ToSlash(path)
	}
	return filepath.ToSlash(rel)
}

// GitHeadBlob returns the git blob id of path at HEAD and whether git tracks
// it there. Only migration files are looked up.
func (p *Project) GitHeadBlob(path string) (string, bool) {
	blobs := p.gitBlobs()
	if blobs == nil {
		return "", false
	}
	b, ok := blobs[filepath.Clean(path)]
	return b, ok
}

type reuseCache struct {
	mu sync.Mutex
	m  map[any]reuseEntry
	// latest, when set, keeps one entry per type of key, the last stored:
	// storing a key evicts the other key of its type (see
	// LoadOptions.NoReuse). Nil keeps every entry.
	latest map[reflect.Type]any
}

// store keeps e under key; the caller holds c.mu.
func (c *reuseCache) store(key any, e reuseEntry) {
	if c.latest != nil {
		t := reflect.TypeOf(key)
		if old, ok := c.latest[t]; ok && old != key {
			delete(c.m, old)
		}
		c.latest[t] = key
	}
	c.m[key] = e
}

type reuseEntry struct {
	inputs []*facts.File
	value  any
}

// Reuse returns what build computed for key the last time it was asked with
// the very same input facts (by identity), on this snapshot or an earlier one
// of the same Load; otherwise it builds and remembers. The keystroke path uses
// it for work that depends on a few files, such as one plugin's schema from
// its migrations. key must identify the computation and the files it reads;
// build must read nothing but inputs (and values fixed for the Load, such as
// the config).
func (p *Project) Reuse(key any, inputs []*facts.File, build func() any) any {
	c := p.reuse
	if c == nil {
		return build()
	}
	c.mu.Lock()
	e, ok := c.m[key]
	c.mu.Unlock()
	if ok && sameFiles(e.inputs, inputs) {
		return e.value
	}
	v := build()
	c.mu.Lock()
	c.store(key, reuseEntry{inputs: append([]*facts.File(nil), inputs...), value: v})
	c.mu.Unlock()
	return v
}

// Recall returns what Remember last stored under key in this Load. It is for
// results whose inputs are only known once they are computed (the plugins a
// file's code happens to use): the caller stores the files it read with the
// value and checks them against the snapshot before trusting it.
func (p *Project) Recall(key any) (any, bool) {
	c := p.reuse
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	return e.value, ok
}

// Remember stores v under key for Recall.
func (p *Project) Remember(key, v any) {
	c := p.reuse
	if c == nil {
		return
	}
	c.mu.Lock()
	c.store(key, reuseEntry{value: v})
	c.mu.Unlock()
}

// Current reports whether every file in files is still this snapshot's
// version of its path.
func (p *Project) Current(files []*facts.File) bool {
	for _, f := range files {
		if p.File(f.Path) != f {
			return false
		}
	}
	return true
}

func sameFiles(a, b []*facts.File) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// gitInfo holds the migrations' blob ids at HEAD, fetched once per Load and
// shared by its snapshots; blobs is written before done is closed.
type gitInfo struct {
	done   chan struct{}
	blobs  map[string]string
	cancel context.CancelFunc // stops git when the Load fails
	// head answers what the plugin-rename model asks of HEAD, once per
	// question for the whole Load: HEAD does not move under a Load.
	head *headCache
}

func (p *Project) gitBlobs() map[string]string {
	if p.git == nil {
		return nil
	}
	<-p.git.done
	return p.git.blobs
}

// InGit reports whether the project is inside a git work tree.
func (p *Project) InGit() bool { return p.gitBlobs() != nil }

// LoadStats says how many files the Load behind this snapshot parsed and
// how many it took from the facts cache.
func (p *Project) LoadStats() LoadStats { return p.stats }
