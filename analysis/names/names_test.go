package names

import (
	"testing"

	"github.com/donkeyls/donkeyls/analysis"
)

func rng(start, end int32) analysis.Range {
	return analysis.Range{Start: analysis.Pos{Offset: start, Col: start}, End: analysis.Pos{Offset: end, Col: end}}
}

// At must find the token under the cursor, a cursor just after it too, and
// tell two adjacent tokens apart (ctx.plugins.books.list: "books" ends
// where the dot before "list" stands).
func TestAt(t *testing.T) {
	ix := &Index{byPath: map[string]int{"f": 0}, files: []*fileOccurrences{{path: "f", occ: []Occurrence{
		{Name: Name{Plugin, "books"}, Range: rng(12, 17)},
		{Name: Name{Method, "books.list"}, Range: rng(18, 22)},
		{Name: Name{Event, "e"}, Range: rng(40, 43), Quoted: true},
	}}}}
	for _, c := range []struct {
		off  int
		want string
	}{
		{11, ""}, {12, "books"}, {17, "books"}, {18, "books.list"}, {22, "books.list"},
		{23, ""}, {39, ""}, {41, "e"}, {43, "e"}, {44, ""},
	} {
		o, ok := ix.At("f", c.off)
		if got := o.Name.Key; ok != (c.want != "") || got != c.want {
			t.Errorf("At(%d) = %q, %v; want %q", c.off, got, ok, c.want)
		}
	}
	if _, ok := ix.At("other", 12); ok {
		t.Error("At on a file with no names found one")
	}
	q := Occurrence{Range: rng(40, 43), Quoted: true}.TextRange()
	if q.Start.Offset != 41 || q.End.Offset != 42 || q.Start.Col != 41 {
		t.Errorf("TextRange of a quoted token = %v, want inside the quotes", q)
	}
}

// Exact matches rank first, then prefixes, then substrings at a word start,
// then scattered characters; a query whose characters are not all there in
// order matches nothing.
func TestSearchRanks(t *testing.T) {
	ix := &Index{files: []*fileOccurrences{{path: "f"}}}
	for i, k := range []string{"books", "books.list", "bookshelf", "audit.books", "bulk.ops", "orders"} {
		ix.files[0].occ = append(ix.files[0].occ, Occurrence{Name: Name{Route, k}, Def: true, Range: rng(int32(i), int32(i+1))})
	}
	got := ""
	for _, s := range ix.Search("books", 0) {
		got += s.Name.Key + " "
	}
	if want := "books bookshelf books.list audit.books "; got != want {
		t.Errorf("Search(books) = %q, want %q", got, want)
	}
	got = ""
	for _, s := range ix.Search("bks", 2) {
		got += s.Name.Key + " "
	}
	if want := "books bookshelf "; got != want {
		t.Errorf("Search(bks, 2) = %q, want %q", got, want)
	}
	if s := ix.Search("zz", 0); len(s) != 0 {
		t.Errorf("Search(zz) matched %v", s)
	}
}

// A key set never forgets a key it holds (queries skip files by it), and it
// tells most absent keys apart.
func TestKeySet(t *testing.T) {
	var k keySet
	var held []string
	for i := range 40 {
		key := "plugin" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		k.add(key)
		held = append(held, key)
	}
	for _, key := range held {
		if !k.mayHave(probe(key)) {
			t.Fatalf("key set lost %q", key)
		}
	}
	if k.mayHave(probe("")) {
		t.Error(`key set holds ""`)
	}
	absent := 0
	for i := range 1000 {
		if !k.mayHave(probe("other" + string(rune(0x100+i)))) {
			absent++
		}
	}
	if absent < 800 {
		t.Errorf("only %d of 1000 absent keys told apart from 40 held", absent)
	}
}

// The client's method name is the adapter's toCamelCase of the route's last
// segment; the namespaces before it are kept as written.
func TestClientSpelling(t *testing.T) {
	for in, want := range map[string]string{
		"books.list": "books.list", "books.list-all": "books.listAll", "books.list_all": "books.listAll",
		"api.books.GetOne": "api.books.getOne", "ping": "ping", "my-ns.x-y": "my-ns.xY", "a.b--c": "a.bC",
	} {
		if got := ClientSpelling(in); got != want {
			t.Errorf("ClientSpelling(%q) = %q, want %q", in, got, want)
		}
	}
}
