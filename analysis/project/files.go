package project

import (
	"slices"

	"github.com/donkeyls/donkeyls/analysis/facts"
)

// fileTable is a snapshot's facts, index for index with a sorted list of
// paths that every snapshot of a Load with the same paths shares. WithFile
// on an existing path copies one slice of pointers and keeps the index:
// copying a map of 10,000 paths, as each keystroke did, was a tenth of its
// CPU, and the analyzers' walks read the facts in path order anyway.
type fileTable struct {
	index *pathIndex
	facts []*facts.File
}

// pathIndex is a sorted list of paths and where each stands in it; it is
// never modified once built.
type pathIndex struct {
	paths []string
	pos   map[string]int32
}

// newFileTable indexes the facts of m by path.
func newFileTable(m map[string]*facts.File) fileTable {
	paths := make([]string, 0, len(m))
	for path := range m {
		paths = append(paths, path)
	}
	slices.Sort(paths)
	idx := &pathIndex{paths: paths, pos: make(map[string]int32, len(paths))}
	fs := make([]*facts.File, len(paths))
	for i, path := range paths {
		idx.pos[path] = int32(i)
		fs[i] = m[path]
	}
	return fileTable{index: idx, facts: fs}
}

// get returns path's facts and whether the table holds path.
func (t fileTable) get(path string) (*facts.File, bool) {
	if t.index == nil {
		return nil, false
	}
	i, ok := t.index.pos[path]
	if !ok {
		return nil, false
	}
	return t.facts[i], true
}

func (t fileTable) paths() []string {
	if t.index == nil {
		return nil
	}
	return t.index.paths
}

// with is t with path's facts f: the same index when t holds path, a new
// one when path is new.
func (t fileTable) with(path string, f *facts.File) fileTable {
	if t.index != nil {
		if i, ok := t.index.pos[path]; ok {
			fs := slices.Clone(t.facts)
			fs[i] = f
			return fileTable{index: t.index, facts: fs}
		}
	}
	m := t.toMap()
	m[path] = f
	return newFileTable(m)
}

// without is t without path.
func (t fileTable) without(path string) fileTable {
	if _, ok := t.get(path); !ok {
		return t
	}
	m := t.toMap()
	delete(m, path)
	return newFileTable(m)
}

func (t fileTable) toMap() map[string]*facts.File {
	m := make(map[string]*facts.File, len(t.facts)+1)
	for i, path := range t.paths() {
		m[path] = t.facts[i]
	}
	return m
}
