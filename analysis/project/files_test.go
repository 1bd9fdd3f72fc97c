package project

import (
	"slices"
	"testing"

	"github.com/donkeyls/donkeyls/analysis/facts"
)

// TestFileTableKeepsSnapshotsApart: a snapshot made from another shares
// its index of paths when the paths are the same, yet each reads its own
// facts; a new or removed path gets an index of its own, and the older
// snapshot keeps its files.
func TestFileTableKeepsSnapshotsApart(t *testing.T) {
	a1, b1, c1 := &facts.File{Path: "/p/a.ts"}, &facts.File{Path: "/p/b.ts"}, &facts.File{Path: "/p/c.ts"}
	base := newFileTable(map[string]*facts.File{c1.Path: c1, a1.Path: a1, b1.Path: b1})
	check := func(name string, tab fileTable, want ...*facts.File) {
		t.Helper()
		var paths []string
		for _, f := range want {
			paths = append(paths, f.Path)
		}
		if !slices.Equal(tab.paths(), paths) || !slices.Equal(tab.facts, want) {
			t.Errorf("%s: paths %v facts %v, want %v", name, tab.paths(), tab.facts, want)
		}
		for _, f := range want {
			if got, ok := tab.get(f.Path); !ok || got != f {
				t.Errorf("%s: get(%s) = %p, %v; want %p", name, f.Path, got, ok, f)
			}
		}
	}
	b2 := &facts.File{Path: b1.Path}
	edited := base.with(b1.Path, b2)
	if edited.index != base.index {
		t.Error("an edit of an existing path builds a new index")
	}
	check("edited", edited, a1, b2, c1)
	check("base after the edit", base, a1, b1, c1)
	d := &facts.File{Path: "/p/ab.ts"}
	added := edited.with(d.Path, d)
	check("added", added, a1, d, b2, c1)
	check("edited after the addition", edited, a1, b2, c1)
	if _, ok := edited.get(d.Path); ok {
		t.Error("the new path leaks into the snapshot it was added to")
	}
	removed := added.without(a1.Path)
	check("removed", removed, d, b2, c1)
	check("added after the removal", added, a1, d, b2, c1)
	if removed.without("/p/none.ts").index != removed.index {
		t.Error("removing a path the table lacks builds a new index")
	}
}
