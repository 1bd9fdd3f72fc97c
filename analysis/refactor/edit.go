package refactor

import (
	"fmt"
	"maps"
	"path/filepath"
	"sort"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/textpos"
)

// rawEdit replaces [start, end) of one file; seq keeps the order in which
// insertions at one offset were made.
type rawEdit struct {
	start, end int
	text       string
	seq        int
}

// editSet collects the edits of one refactoring, per file.
type editSet struct {
	order   []string
	byPath  map[string][]rawEdit
	lines   map[string]*textpos.Table
	creates []analysis.FileCreate
	seq     int
}

func newEditSet() *editSet {
	return &editSet{byPath: map[string][]rawEdit{}, lines: map[string]*textpos.Table{}}
}

func (s *editSet) add(m *module, start, end int, text string) {
	if _, ok := s.byPath[m.path]; !ok {
		s.order = append(s.order, m.path)
		s.lines[m.path] = m.lines
	}
	s.seq++
	s.byPath[m.path] = append(s.byPath[m.path], rawEdit{start: start, end: end, text: text, seq: s.seq})
}

func (s *editSet) insert(m *module, at int, text string) { s.add(m, at, at, text) }

// sorted orders one file's edits as LSP wants them applied: by position,
// insertions at one offset in the order they were made, a replacement
// after the insertions at its start. Overlaps are a bug in the caller.
func sortedEdits(es []rawEdit) ([]rawEdit, error) {
	out := append([]rawEdit(nil), es...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.start != b.start {
			return a.start < b.start
		}
		ai, bi := a.start == a.end, b.start == b.end
		if ai != bi {
			return ai // insertions first
		}
		return a.seq < b.seq
	})
	for i := 1; i < len(out); i++ {
		if out[i-1].end > out[i].start {
			return nil, fmt.Errorf("internal error: overlapping edits at %d-%d and %d-%d", out[i-1].start, out[i-1].end, out[i].start, out[i].end)
		}
	}
	return out, nil
}

// workspaceEdit converts the collected edits.
func (s *editSet) workspaceEdit() (analysis.WorkspaceEdit, error) {
	var we analysis.WorkspaceEdit
	we.Creates = append(we.Creates, s.creates...)
	for _, path := range s.order {
		es, err := sortedEdits(s.byPath[path])
		if err != nil {
			return analysis.WorkspaceEdit{}, fmt.Errorf("%s: %w", path, err)
		}
		lt := s.lines[path]
		for _, e := range es {
			we.Edits = append(we.Edits, analysis.TextEdit{Path: path, Range: lt.Range(e.start, e.end), NewText: e.text})
		}
	}
	return we, nil
}

// ApplyEdit applies a workspace edit to file contents in memory, as an
// editor would: creations first (failing if the file exists), then each
// file's edits, all against the file's original text. files maps clean
// absolute paths to contents; the result is a new map.
func ApplyEdit(files map[string][]byte, we analysis.WorkspaceEdit) (map[string][]byte, error) {
	out := make(map[string][]byte, len(files)+len(we.Creates))
	maps.Copy(out, files)
	for _, c := range we.Creates {
		p := filepath.Clean(c.Path)
		if _, ok := out[p]; ok {
			return nil, fmt.Errorf("creating %s: file exists", p)
		}
		out[p] = []byte(c.Content)
	}
	byPath := map[string][]rawEdit{}
	var order []string
	for i, e := range we.Edits {
		p := filepath.Clean(e.Path)
		if _, ok := byPath[p]; !ok {
			order = append(order, p)
		}
		byPath[p] = append(byPath[p], rawEdit{start: int(e.Range.Start.Offset), end: int(e.Range.End.Offset), text: e.NewText, seq: i})
	}
	for _, p := range order {
		src, ok := out[p]
		if !ok {
			return nil, fmt.Errorf("editing %s: no such file", p)
		}
		es, err := sortedEdits(byPath[p])
		if err != nil {
			return nil, fmt.Errorf("editing %s: %w", p, err)
		}
		var b []byte
		pos := 0
		for _, e := range es {
			if e.start < pos || e.end > len(src) || e.start > e.end {
				return nil, fmt.Errorf("editing %s: edit %d-%d out of range", p, e.start, e.end)
			}
			b = append(b, src[pos:e.start]...)
			b = append(b, e.text...)
			pos = e.end
		}
		b = append(b, src[pos:]...)
		out[p] = b
	}
	return out, nil
}
