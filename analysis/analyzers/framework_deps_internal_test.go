package analyzers

import (
	"path/filepath"
	"reflect"
	"testing"
)

// graphOf builds a depGraph from adjacency lists.
func graphOf(adj [][]int32) *depGraph {
	g := &depGraph{start: make([]int32, len(adj)+1)}
	for v, ws := range adj {
		g.start[v] = int32(len(g.edges))
		g.edges = append(g.edges, ws...)
	}
	g.start[len(adj)] = int32(len(g.edges))
	return g
}

// The fixtures have two- and three-plugin cycles; the cases no fixture
// reaches are a plugin depending on itself and a node that leads into a
// cycle without being on it.
func TestCycles(t *testing.T) {
	g := graphOf([][]int32{
		0: {1},
		1: {0},
		2: {2},
		3: {4},
		4: {5},
		5: {6, 3},
		6: {0},
		7: nil,
	})
	if got, want := cycles(g), [][]int32{{0, 1}, {2}, {3, 4, 5}}; !reflect.DeepEqual(got, want) {
		t.Errorf("cycles = %v, want %v", got, want)
	}
	in := map[int32]bool{3: true, 4: true, 5: true}
	if got, want := shortestCycle(4, g, in), []int32{4, 5, 3, 4}; !reflect.DeepEqual(got, want) {
		t.Errorf("shortestCycle(4) = %v, want %v", got, want)
	}
	if got, want := shortestCycle(2, g, map[int32]bool{2: true}), []int32{2, 2}; !reflect.DeepEqual(got, want) {
		t.Errorf("shortestCycle(2) = %v, want %v", got, want)
	}
}

func TestCleanDir(t *testing.T) {
	for _, p := range []string{"/", "/a", "/a/b", "/a/b/c.ts", "a", "a/b", "."} {
		p = filepath.FromSlash(p)
		if got, want := cleanDir(p), filepath.Dir(p); got != want {
			t.Errorf("cleanDir(%q) = %q, want %q", p, got, want)
		}
	}
}
