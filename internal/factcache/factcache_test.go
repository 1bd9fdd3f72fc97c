package factcache

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
	"unsafe"

	"github.com/donkeyls/donkeyls/analysis/facts"
	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/internal/fixture"
	"github.com/donkeyls/donkeyls/internal/memsource"
	"github.com/donkeyls/donkeyls/internal/synth"
	"github.com/donkeyls/donkeyls/internal/testenv"
)

// corpus is the facts of every file of every analyzer fixture and of a
// synthetic project: every extractor's output shapes.
// encodeFile is one entry's payload, from an encoder of its own.
func encodeFile(dst []byte, f *facts.File) ([]byte, error) { return new(encoder).file(dst, f) }

func corpus(t testing.TB) []*facts.File {
	t.Helper()
	var srcs []*memsource.Source
	paths, _ := filepath.Glob(filepath.Join(testenv.RepoRoot(), "analysis", "analyzers", "testdata", "*", "*.txtar"))
	for _, path := range paths {
		srcs = append(srcs, fixture.Memory(t, fixture.Load(t, path)))
	}
	srcs = append(srcs, fixture.Synth(t, synth.Options{Plugins: 10, Routes: 100, MigrationsPerPlugin: 2, Adapter: true, Seed: 1}))
	var files []*facts.File
	for _, src := range srcs {
		p, err := project.Load(context.Background(), src.Root(), src)
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range p.Files() {
			if f := p.File(path); f != nil && !f.Missing {
				files = append(files, f)
			}
		}
	}
	if len(files) < 100 {
		t.Fatalf("only %d files in the corpus", len(files))
	}
	return files
}

func TestRoundTripKeepsEveryFact(t *testing.T) {
	kinds := map[facts.Kind]bool{}
	shared := newInterner(0)
	for _, f := range corpus(t) {
		b, err := encodeFile(nil, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range []*interner{nil, shared} {
			g, err := decodeFile(b, in)
			if err != nil {
				t.Fatalf("%s: %v", f.Path, err)
			}
			if !reflect.DeepEqual(f, g) {
				t.Fatalf("%s (interned %v): decoded facts differ\nwant %+v\n got %+v", f.Path, in != nil, f, g)
			}
		}
		kinds[f.Kind] = true
	}
	if len(kinds) < 8 {
		t.Errorf("the corpus covers only %d kinds", len(kinds))
	}
}

// Every prefix and many corruptions of a valid payload decode to an error
// or to some File, never a panic or a huge allocation.
func TestDecodeNeverPanics(t *testing.T) {
	files := corpus(t)
	rng := rand.New(rand.NewSource(1))
	in := newInterner(0)
	for range 200 {
		b, _ := encodeFile(nil, files[rng.Intn(len(files))])
		for n := 0; n < len(b); n += 1 + len(b)/50 {
			_, _ = decodeFile(b[:n], nil)
			_, _ = decodeFile(b[:n], in)
		}
		for range 20 {
			c := append([]byte(nil), b...)
			c[rng.Intn(len(c))] ^= byte(1 + rng.Intn(255))
			_, _ = decodeFile(c, in)
		}
	}
}

// Two entries that name the same things share one copy of each name: the
// decoded facts of a large project are mostly repeated strings.
func TestDecodedEntriesShareStrings(t *testing.T) {
	a := &facts.File{Path: "/p/src/server/plugins/users/index.ts", Imports: []facts.Import{{Spec: "@donkeylabs/server"}}}
	b := &facts.File{Path: "/p/src/server/plugins/users/index.ts", Imports: []facts.Import{{Spec: "@donkeylabs/server"}}}
	in := newInterner(0)
	var got []*facts.File
	for _, f := range []*facts.File{a, b} {
		enc, err := encodeFile(nil, f)
		if err != nil {
			t.Fatal(err)
		}
		g, err := decodeFile(enc, in)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, g)
	}
	if unsafe.StringData(got[0].Imports[0].Spec) != unsafe.StringData(got[1].Imports[0].Spec) ||
		unsafe.StringData(got[0].Path) != unsafe.StringData(got[1].Path) {
		t.Error("equal strings of two decoded entries are separate copies")
	}
}

// Two entries with equal field lists, keys or imported names share one
// array of them, and lists that differ in anything stay apart; slices
// holding positions are never shared (equal ones are rare outside copies).
func TestDecodedEntriesSharePositionFreeSlices(t *testing.T) {
	route := func(optional bool, name string) facts.Route {
		return facts.Route{
			Name:       name,
			Middleware: []string{string([]byte("auth"))},
			Input:      &facts.Schema{Fields: []facts.Field{{Name: "id", Type: "string"}, {Name: "limit", Type: "number", Optional: optional}}},
			DBTables:   []facts.Key{{Name: "users"}},
		}
	}
	files := []*facts.File{
		{Path: "/p/a.ts", Routes: []facts.Route{route(false, "a")}},
		{Path: "/p/b.ts", Routes: []facts.Route{route(false, "b")}},
		{Path: "/p/c.ts", Routes: []facts.Route{route(true, "c")}},
	}
	in := newInterner(0)
	var got []*facts.File
	for _, f := range files {
		enc, err := encodeFile(nil, f)
		if err != nil {
			t.Fatal(err)
		}
		g, err := decodeFile(enc, in)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(f, g) {
			t.Fatalf("%s: decoded facts differ\nwant %+v\n got %+v", f.Path, f, g)
		}
		got = append(got, g)
	}
	a, b, c := got[0].Routes[0], got[1].Routes[0], got[2].Routes[0]
	if &a.Input.Fields[0] != &b.Input.Fields[0] || &a.Middleware[0] != &b.Middleware[0] {
		t.Error("equal field lists or middleware of two entries are separate copies")
	}
	if &a.Input.Fields[0] == &c.Input.Fields[0] {
		t.Error("field lists that differ share one array")
	}
	if &a.DBTables[0] == &b.DBTables[0] {
		t.Error("slices with positions are shared")
	}
}

// What a load keeps of a file it parsed is what Put returns: the same
// facts, sharing their strings with the other files of the load and with
// no room to grow in their slices (a load of 5,000 plugins holds 35 MB
// less so).
func TestPutReturnsEqualCompactFacts(t *testing.T) {
	c, _ := Open(Options{Dir: t.TempDir(), FlushWait: time.Minute})
	if _, ok := c.Get("/p", key(0)); ok { // a load asks first
		t.Fatal("an empty cache answered")
	}
	var kept []*facts.File
	for i, path := range []string{"/p/a.ts", "/p/b.ts"} {
		f := &facts.File{Path: path, Imports: make([]facts.Import, 1, 8)}
		f.Imports[0].Spec = string([]byte("@donkeylabs/server")) // a copy of its own, as the extractor makes
		g := c.Put("/p", key(i), f)
		if !reflect.DeepEqual(f, g) {
			t.Fatalf("Put returned other facts\nwant %+v\n got %+v", f, g)
		}
		if cap(g.Imports) != len(g.Imports) {
			t.Errorf("Put kept room for %d imports where there is %d", cap(g.Imports), len(g.Imports))
		}
		kept = append(kept, g)
	}
	if unsafe.StringData(kept[0].Imports[0].Spec) != unsafe.StringData(kept[1].Imports[0].Spec) {
		t.Error("an equal string of two files put in one load is two copies")
	}
	c.Done("/p")
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
}

// Put encodes every file into one reused buffer and decodes what it keeps
// from there: what it returned for one file must survive the files put
// after it (a decoded slice or string pointing into the buffer would be
// overwritten by the next entry).
func TestPutKeepsNothingOfItsBuffer(t *testing.T) {
	files := corpus(t)
	c, _ := Open(Options{Dir: t.TempDir(), FlushWait: time.Minute})
	defer c.Close()
	kept := make([]*facts.File, len(files))
	for i, f := range files {
		kept[i] = c.Put("/p", key(i), f)
	}
	for i, f := range files {
		if !reflect.DeepEqual(f, kept[i]) {
			t.Fatalf("%s: what Put returned changed once later files were put", f.Path)
		}
	}
	c.Done("/p")
}

func key(i int) [32]byte {
	var k [32]byte
	copy(k[:], fmt.Sprintf("key %d", i))
	return k
}

func TestOpenCreatesNothingUntilAPut(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache")
	c, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Get("/p", key(1)); ok {
		t.Error("an empty cache answered")
	}
	c.Done("/p")
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("Open, Get and Done created %s: %v", dir, err)
	}
}

func TestGetReturnsWhatPutStored(t *testing.T) {
	dir := t.TempDir()
	files := corpus(t)[:50]
	c, _ := Open(Options{Dir: dir, FlushWait: time.Minute})
	for i, f := range files {
		c.Put("/p", key(i), f)
	}
	c.Done("/p")
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	c, _ = Open(Options{Dir: dir, FlushWait: time.Minute})
	for i, f := range files {
		g, ok := c.Get("/p", key(i))
		if !ok || !reflect.DeepEqual(f, g) {
			t.Fatalf("entry %d (%s): ok %v, equal %v", i, f.Path, ok, reflect.DeepEqual(f, g))
		}
	}
	if _, ok := c.Get("/other", key(0)); ok {
		t.Error("another root read the entry")
	}
	// A load that used only half the entries leaves only those.
	c, _ = Open(Options{Dir: dir, FlushWait: time.Minute})
	for i := range 25 {
		c.Get("/p", key(i))
	}
	c.Done("/p")
	c.Close()
	c, _ = Open(Options{Dir: dir})
	defer c.Close()
	if _, ok := c.Get("/p", key(10)); !ok {
		t.Error("an entry the last load used is gone")
	}
	if _, ok := c.Get("/p", key(40)); ok {
		t.Error("an entry the last load did not use is still there")
	}
	// Another version never reads them.
	other, _ := Open(Options{Dir: dir, Version: "other"})
	defer other.Close()
	if _, ok := other.Get("/p", key(0)); ok {
		t.Error("another version read an entry")
	}
}

func size(t *testing.T, dir string) (total int64, n int) {
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			info, _ := d.Info()
			total += info.Size()
			n++
		}
		return nil
	})
	return total, n
}

// Many distinct projects leave the cache under its bound, with the most
// recent one kept.
func TestCacheStaysUnderItsBound(t *testing.T) {
	dir := t.TempDir()
	files := corpus(t)
	const max = 64 << 10
	for round := range 40 {
		c, _ := Open(Options{Dir: dir, MaxBytes: max, FlushWait: time.Minute})
		root := fmt.Sprintf("/project/%d", round)
		for i := range 20 {
			c.Put(root, key(i), files[(round*20+i)%len(files)])
		}
		c.Done(root)
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		total, n := size(t, dir)
		if total > max {
			t.Fatalf("round %d: %d bytes in %d packs, bound %d", round, total, n, max)
		}
		c, _ = Open(Options{Dir: dir})
		if _, ok := c.Get(root, key(0)); !ok {
			t.Fatalf("round %d: the pack just written was trimmed", round)
		}
		c.Close()
	}
}

// packFiles lists the files in a cache's packs directory.
func packFiles(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(dir, packsDir))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// A load's entries go to a spool file as they are put, not into memory;
// the pack written from it is byte for byte the one written from entries
// held in memory (the fallback when the spool cannot be written), entries
// reused from the old pack included, and the spool is gone afterwards.
func TestSpooledPackEqualsHeldPack(t *testing.T) {
	files := corpus(t)[:60]
	var packs [2][]byte
	for i, spooling := range []bool{true, false} {
		dir := t.TempDir()
		// A first load of half the files, then one that reuses a third of
		// them and parses the rest: both kinds of entry in one pack.
		for round, put := range [][2]int{{0, 30}, {20, 60}} {
			c, _ := Open(Options{Dir: dir, FlushWait: time.Minute})
			p := c.pack("/p")
			if !spooling {
				p.spoolErr = errors.New("no spool in this test")
			}
			for j := put[0]; j < put[1]; j++ {
				if _, ok := c.Get("/p", key(j)); !ok {
					c.Put("/p", key(j), files[j])
				}
			}
			var spooled, held, reused int
			p.mu.Lock()
			for _, e := range p.used {
				switch {
				case e.spooled:
					spooled++
				case e.src != nil:
					reused++
				case e.payload != nil:
					held++
				}
			}
			p.mu.Unlock()
			if spooling && (spooled == 0 || held != 0 || reused != 10*round) {
				t.Fatalf("round %d: %d entries spooled, %d held in memory, %d reused; want every parsed one spooled", round, spooled, held, reused)
			}
			if !spooling && spooled != 0 {
				t.Fatalf("round %d: %d entries spooled without a spool", round, spooled)
			}
			c.Done("/p")
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
		}
		names := packFiles(t, dir)
		if len(names) != 1 || filepath.Ext(names[0]) != ".pack" {
			t.Fatalf("spooling %v: the packs directory holds %q, want one pack", spooling, names)
		}
		b, err := os.ReadFile(filepath.Join(dir, packsDir, names[0]))
		if err != nil {
			t.Fatal(err)
		}
		packs[i] = b
	}
	if !bytes.Equal(packs[0], packs[1]) {
		t.Fatalf("the pack written from the spool (%d bytes) differs from the one written from memory (%d bytes)", len(packs[0]), len(packs[1]))
	}
}

// A load that ends without Done (an error, a cancellation) leaves no spool
// behind once the cache is closed.
func TestCloseRemovesTheSpoolOfAnUnfinishedLoad(t *testing.T) {
	dir := t.TempDir()
	c, _ := Open(Options{Dir: dir, FlushWait: time.Minute})
	for i, f := range corpus(t)[:5] {
		c.Put("/p", key(i), f)
	}
	if names := packFiles(t, dir); len(names) != 1 {
		t.Fatalf("while loading, the packs directory holds %q, want the spool", names)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if names := packFiles(t, dir); len(names) != 0 {
		t.Fatalf("after Close, the packs directory holds %q", names)
	}
}

// packSpans indexes the pack in dir's one pack file, in file order.
func packSpans(t *testing.T, dir string) (path string, keys [][32]byte, spans []span) {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(dir, packsDir, "*.pack"))
	if len(paths) != 1 {
		t.Fatalf("%d packs in %s", len(paths), dir)
	}
	f, err := os.Open(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	indexPack(bufio.NewReader(f), st.Size(), versionKey(""), func(k [32]byte, sp span) {
		keys = append(keys, k)
		spans = append(spans, sp)
	})
	return paths[0], keys, spans
}

// A pack is read an entry at a time while a load runs, so it can change
// under the load after it was indexed (another tool, a disk filling up):
// an entry that no longer checks out when it is read is a miss, never
// other facts, and a rewrite leaves out what it cannot copy soundly.
func TestPackChangedAfterIndexingIsNeverTrusted(t *testing.T) {
	dir := t.TempDir()
	files := corpus(t)[:40]
	byKey := map[[32]byte]*facts.File{}
	c, _ := Open(Options{Dir: dir, FlushWait: time.Minute})
	for i, f := range files {
		c.Put("/p", key(i), f)
		byKey[key(i)] = f
	}
	c.Done("/p")
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	path, keys, spans := packSpans(t, dir)
	if len(keys) != len(files) {
		t.Fatalf("indexed %d of %d entries", len(keys), len(files))
	}
	// In place, as the reading load sees it: the last bytes of entry 3's
	// payload flipped (where only a checksum can tell), entry 30 on cut off.
	damage := func(flip, cut int) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		b[spans[flip].off+36+int64(spans[flip].n)-3] ^= 0x01
		if cut >= 0 {
			b = b[:spans[cut].off+40]
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(b); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	c, _ = Open(Options{Dir: dir, FlushWait: time.Minute})
	if g, ok := c.Get("/p", keys[0]); !ok || !reflect.DeepEqual(g, byKey[keys[0]]) {
		t.Fatal("the first entry of a sound pack was not read back")
	}
	damage(3, 30)
	for i, k := range keys {
		g, ok := c.Get("/p", k)
		want := i != 3 && i < 30
		if ok != want {
			t.Errorf("entry %d of the changed pack: read %v, want %v", i, ok, want)
		}
		if ok && !reflect.DeepEqual(g, byKey[k]) {
			t.Fatalf("entry %d of the changed pack: other facts", i)
		}
	}
	// The load parses what it could not read; entry 5, read soundly,
	// changes before the rewrite copies it.
	for i, k := range keys {
		if i == 3 || i >= 30 {
			c.Put("/p", k, byKey[k])
		}
	}
	damage(5, -1)
	c.Done("/p")
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	c, _ = Open(Options{Dir: dir})
	defer c.Close()
	for i, k := range keys {
		g, ok := c.Get("/p", k)
		if ok != (i != 5) {
			t.Errorf("entry %d of the rewritten pack: read %v, want %v", i, ok, i != 5)
		}
		if ok && !reflect.DeepEqual(g, byKey[k]) {
			t.Fatalf("entry %d of the rewritten pack: other facts", i)
		}
	}
}
