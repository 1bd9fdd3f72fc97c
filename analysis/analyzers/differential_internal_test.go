package analyzers

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/internal/fixture"
	"github.com/donkeyls/donkeyls/internal/memsource"
	"github.com/donkeyls/donkeyls/internal/synth"
	"golang.org/x/tools/txtar"
)

// TestDifferentialEdits: a safety net for the keystroke path's reuse
// (patched expected outputs, findings reused per pass and per item, the
// patched plugin model). The hand-written chains of the other *FollowsEdits
// tests cover the cases someone thought of; this one applies long, seeded
// chains of edits drawn from the framework's own vocabulary found in the
// files (plugin, handler, middleware, dependency, route, router, event,
// service, table and column names; registrations and mounts deleted and put
// back; comment lines that move positions; braces broken and mended;
// plugins copied and removed; the generated registry, schemas and client),
// each applied to the previous snapshot as the server applies it, and after
// every edit compares the findings with a cold load of the same files.
// The seeds are fixed, so a failure reproduces; its message names the seed
// and the chain, shrunk to the edits the divergence needs.
func TestDifferentialEdits(t *testing.T) {
	seeds, steps := 5, 60
	if testing.Short() {
		seeds, steps = 2, 25
	}
	// bookshop is the shop's showcase made fresh, nearly the same files:
	// it draws from other seeds (seedBase) so the two chains differ.
	projects := []struct {
		name     string
		seedBase uint64
		src      func(t *testing.T) *memsource.Source
	}{
		{"shop", 0, func(t *testing.T) *memsource.Source {
			return fixture.Memory(t, fixture.Fixture{Name: "shop", Base: "shop", Arch: &txtar.Archive{}})
		}},
		{"bookshop", 100, func(t *testing.T) *memsource.Source {
			dir := fixture.Materialize(t, fixture.Fixture{Name: "bookshop", Base: "bookshop", Arch: &txtar.Archive{}})
			return fixture.FromDir(t, dir)
		}},
		{"synth", 200, func(t *testing.T) *memsource.Source {
			return fixture.Synth(t, synth.Options{Plugins: 5, Routes: 20, MigrationsPerPlugin: 2, Adapter: true, Seed: 2})
		}},
	}
	for _, pr := range projects {
		t.Run(pr.name, func(t *testing.T) {
			for i := range uint64(seeds) {
				seed := pr.seedBase + i
				chain := randomChain(t, pr.src(t), seed, steps)
				if len(chain) == 0 {
					t.Fatalf("seed %d: no edit applies to %s", seed, pr.name)
				}
				if d := replay(t, pr.src(t), chain); d != nil {
					small := shrink(t, func() *memsource.Source { return pr.src(t) }, chain)
					sd := replay(t, pr.src(t), small)
					t.Errorf("%s seed %d: after edit %d of %d the findings differ from a cold load\nfull chain:\n%s\nshrunk chain (%d edits):\n%s\n%s",
						pr.name, seed, d.step+1, len(chain), describeChain(chain[:d.step+1]), len(small), describeChain(small), sd)
				}
			}
		})
	}
}

// dop is one edit of a chain: a replacement of text that occurs exactly
// once in the file (with enough context around it to be unique), a file
// written whole, or a file removed.
type dop struct {
	desc     string
	path     string // slash path relative to the root
	kind     int    // opReplace, opWrite, opRemove
	old, new string // opReplace; new is the content for opWrite
}

const (
	opReplace = iota
	opWrite
	opRemove
)

func (o dop) String() string { return o.desc }

func describeChain(ops []dop) string {
	var b strings.Builder
	for i, o := range ops {
		fmt.Fprintf(&b, "  %2d. %s: %s\n", i+1, o.path, o.desc)
		if o.kind == opReplace {
			fmt.Fprintf(&b, "      %q\n   -> %q\n", o.old, o.new)
		}
	}
	return b.String()
}

// apply performs o on src and returns the next snapshot, or ok false when
// o does not apply to the files as they are (a shrunk chain skips it).
func (o dop) apply(src *memsource.Source, p *project.Project) (*project.Project, bool) {
	abs := filepath.Join(src.Root(), filepath.FromSlash(o.path))
	switch o.kind {
	case opRemove:
		if err := src.Remove(abs); err != nil {
			return p, false
		}
		return p.WithoutFile(abs), true
	case opWrite:
		if _, err := src.Stat(abs); err == nil {
			return p, false
		}
		if err := src.WriteFile(abs, []byte(o.new)); err != nil {
			return p, false
		}
		return p.WithFile(abs, []byte(o.new)), true
	}
	b, err := src.ReadFile(abs)
	if err != nil || strings.Count(string(b), o.old) != 1 {
		return p, false
	}
	content := []byte(strings.Replace(string(b), o.old, o.new, 1))
	if err := src.WriteFile(abs, content); err != nil {
		return p, false
	}
	return p.WithFile(abs, content), true
}

// inverse is the edit that undoes o once applied, as an editor's undo.
func (o dop) inverse(content string) dop {
	switch o.kind {
	case opRemove:
		return dop{desc: "undo: " + o.desc, path: o.path, kind: opWrite, new: content}
	case opWrite:
		return dop{desc: "undo: " + o.desc, path: o.path, kind: opRemove}
	}
	return dop{desc: "undo: " + o.desc, path: o.path, kind: opReplace, old: o.new, new: o.old}
}

func coldLoad(t *testing.T, src *memsource.Source) *project.Project {
	t.Helper()
	p, err := project.Load(context.Background(), src.Root(), src)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// divergence is the first edit after which the incremental findings were
// not a cold load's.
type divergence struct {
	step      int
	got, want []string
}

func (d *divergence) String() string {
	var b strings.Builder
	b.WriteString("findings only in the incremental snapshot:\n")
	for _, f := range d.got {
		if !slices.Contains(d.want, f) {
			fmt.Fprintf(&b, "  + %s\n", f)
		}
	}
	b.WriteString("findings only in the cold load:\n")
	for _, f := range d.want {
		if !slices.Contains(d.got, f) {
			fmt.Fprintf(&b, "  - %s\n", f)
		}
	}
	fmt.Fprintf(&b, "incremental (%d):\n  %s\ncold (%d):\n  %s", len(d.got), strings.Join(d.got, "\n  "), len(d.want), strings.Join(d.want, "\n  "))
	return b.String()
}

func sprintFindings(p *project.Project) []string {
	fs := Run(context.Background(), p)
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = fmt.Sprint(f)
	}
	return out
}

// replay applies chain to a fresh copy of the project, each edit to the
// previous snapshot, and compares every snapshot's findings with a cold
// load's. An edit that changes discovery (NeedsReload) is followed by a
// cold load, as the server does.
//
// While a file does not parse, the keystroke path keeps its last good
// facts (project's keepLastGood) so that verdicts do not flicker, which a
// cold load of the broken file cannot: the reference is then a cold load
// of the files with each such file at its last good content, that file
// then given its broken content (one WithFile from a cold snapshot whose
// findings were never computed, so nothing is reused but those facts).
func replay(t *testing.T, src *memsource.Source, chain []dop) *divergence {
	t.Helper()
	p := coldLoad(t, src)
	_ = Run(context.Background(), p)
	lastGood := map[string][]byte{} // abs path: the content its facts were last extracted from without errors
	for i, o := range chain {
		abs := filepath.Join(src.Root(), filepath.FromSlash(o.path))
		if f := p.File(abs); f != nil && !f.SyntaxErrors && !f.Missing {
			if _, ok := lastGood[abs]; !ok {
				b, _ := src.ReadFile(abs)
				lastGood[abs] = b
			}
		}
		var ok bool
		if p, ok = o.apply(src, p); !ok {
			continue
		}
		if p.NeedsReload() {
			p = coldLoad(t, src)
		}
		if f := p.File(abs); f != nil && !f.SyntaxErrors && !f.Missing {
			b, _ := src.ReadFile(abs)
			lastGood[abs] = b
		} else if f == nil || f.Missing || !f.StaleFacts {
			delete(lastGood, abs)
		}
		got := sprintFindings(p)
		want := sprintFindings(reference(t, src, p, lastGood))
		if !slices.Equal(got, want) {
			return &divergence{step: i, got: got, want: want}
		}
	}
	return nil
}

// reference is the snapshot p's findings must equal: a cold load of src,
// unless some file of p carries its last good facts (see replay).
func reference(t *testing.T, src *memsource.Source, p *project.Project, lastGood map[string][]byte) *project.Project {
	t.Helper()
	var stale []string
	for _, f := range p.Files() {
		if ff := p.File(f); ff != nil && ff.StaleFacts {
			stale = append(stale, f)
		}
	}
	if len(stale) == 0 {
		return coldLoad(t, src)
	}
	files := map[string][]byte{}
	var walk func(dir string)
	walk = func(dir string) {
		es, err := src.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			abs := filepath.Join(dir, e.Name())
			if e.IsDir() {
				walk(abs)
				continue
			}
			b, err := src.ReadFile(abs)
			if err != nil {
				t.Fatal(err)
			}
			rel, _ := filepath.Rel(src.Root(), abs)
			files[filepath.ToSlash(rel)] = b
		}
	}
	walk(src.Root())
	for _, f := range stale {
		good, ok := lastGood[f]
		if !ok {
			t.Fatalf("%s carries its last good facts, but the test never saw it parse", f)
		}
		rel, _ := filepath.Rel(src.Root(), f)
		files[filepath.ToSlash(rel)] = good
	}
	q := coldLoad(t, fixture.NewMemory(src.Root(), files, nil))
	for _, f := range stale {
		b, err := src.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		q = q.WithFile(f, b)
		if ff := q.File(f); ff == nil || !ff.StaleFacts {
			t.Fatalf("%s: the reference does not carry its last good facts", f)
		}
	}
	return q
}

// shrink drops edits from a diverging chain while it still diverges: a
// greedy pass, one edit at a time from the last, within a budget of
// replays so that a failure reports in seconds.
func shrink(t *testing.T, fresh func() *memsource.Source, chain []dop) []dop {
	t.Helper()
	if d := replay(t, fresh(), chain); d != nil {
		chain = slices.Clone(chain[:d.step+1])
	}
	budget := 150
	for i := len(chain) - 2; i >= 0 && budget > 0; i-- {
		budget--
		try := slices.Delete(slices.Clone(chain), i, i+1)
		if d := replay(t, fresh(), try); d != nil && d.step == len(try)-1 {
			chain = try
		}
	}
	return chain
}

// vocab are the framework's names an edit renames: the first group of
// each pattern is the name.
var vocab = []struct {
	what string
	re   *regexp.Regexp
}{
	{"a plugin's name", regexp.MustCompile(`name:\s*"([\w.-]+)"`)},
	{"a handler key", regexp.MustCompile(`(\w+):\s*createHandler`)},
	{"a middleware key", regexp.MustCompile(`(\w+):\s*createMiddleware`)},
	{"a dependency", regexp.MustCompile(`dependencies:\s*\[[^\]]*?"(\w+)"`)},
	{"a route name", regexp.MustCompile(`\.route\("([\w.-]+)"\)`)},
	{"a router prefix", regexp.MustCompile(`createRouter\("([\w.-]+)"`)},
	{"an event name", regexp.MustCompile(`"(\w+\.[\w.]+)":\s*z\.`)},
	{"an emitted event", regexp.MustCompile(`emit\("([\w.]+)"`)},
	{"a service name", regexp.MustCompile(`defineService\("(\w+)"`)},
	{"a column", regexp.MustCompile(`(?:addColumn|dropColumn|renameColumn|column)\("(\w+)"`)},
	{"a table", regexp.MustCompile(`(?:createTable|alterTable|dropTable|on|table)\("(\w+)"\)`)},
	{"a plugin use", regexp.MustCompile(`ctx\.plugins\.(\w+)`)},
	{"a service use", regexp.MustCompile(`ctx\.services\.(\w+)`)},
	{"an export", regexp.MustCompile(`export const (\w+)`)},
	{"an import", regexp.MustCompile(`import \{ (\w+) \}`)},
	{"a registered name", regexp.MustCompile(`register(?:Plugin|Service)\((\w+)`)},
	{"a mounted router", regexp.MustCompile(`\.(?:use|router)\((\w+)\)`)},
	{"a registry key", regexp.MustCompile(`(?m)^\s+(\w+): Register<`)},
	{"a property", regexp.MustCompile(`(?m)^\s+"?(\w+)"?\??: `)},
}

// lineEdits are lines an edit deletes (and, often, an undo puts back).
var lineEdits = regexp.MustCompile(`(?m)^.*(?:registerPlugin|registerService|server\.use|\.router\(|dependencies:|addColumn|import ).*\n`)

// chainGen draws edits for one seeded chain.
type chainGen struct {
	t     *testing.T
	rng   *rand.Rand
	src   *memsource.Source
	files []string // slash paths of the .ts files, sorted
	names []string // every name vocab matched, for realistic renames
	n     int
	// pending are edits that follow one drawn earlier (a copied plugin's
	// registration).
	pending []dop
}

func listFiles(t *testing.T, src *memsource.Source) []string {
	t.Helper()
	var out []string
	var walk func(dir string)
	walk = func(dir string) {
		es, err := src.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			abs := filepath.Join(dir, e.Name())
			if e.IsDir() {
				if e.Name() != "node_modules" {
					walk(abs)
				}
				continue
			}
			rel, _ := filepath.Rel(src.Root(), abs)
			if strings.HasSuffix(rel, ".ts") && filepath.Base(rel) != "donkeylabs.config.ts" {
				out = append(out, filepath.ToSlash(rel))
			}
		}
	}
	walk(src.Root())
	slices.Sort(out)
	return out
}

// randomChain draws steps edits for src from seed, applying each as it
// goes (so each is drawn from the files as the previous ones left them).
// About a third of the steps undo an earlier edit.
func randomChain(t *testing.T, src *memsource.Source, seed uint64, steps int) []dop {
	t.Helper()
	g := &chainGen{t: t, rng: rand.New(rand.NewPCG(seed, 0x5eed)), src: src}
	g.files = listFiles(t, src)
	for _, f := range g.files {
		for _, v := range vocab[:len(vocab)-1] {
			for _, m := range v.re.FindAllStringSubmatch(g.read(f), -1) {
				if !slices.Contains(g.names, m[1]) {
					g.names = append(g.names, m[1])
				}
			}
		}
	}
	p := coldLoad(t, src)
	var chain, undo []dop
	for attempts := 0; len(chain) < steps; attempts++ {
		if attempts > 100*steps {
			t.Fatalf("seed %d: only %d edits of %d apply", seed, len(chain), steps)
		}
		var o dop
		if len(undo) > 0 && g.rng.IntN(3) == 0 {
			o, undo = undo[len(undo)-1], undo[:len(undo)-1]
		} else {
			var ok bool
			if o, ok = g.next(); !ok {
				continue
			}
		}
		before := g.read(o.path)
		var ok bool
		if p, ok = o.apply(src, p); !ok {
			continue
		}
		if p.NeedsReload() {
			p = coldLoad(t, src)
		}
		chain = append(chain, o)
		if strings.HasPrefix(o.desc, "undo: ") {
			continue
		}
		inv := o.inverse(before)
		if inv.kind != opReplace || strings.Count(g.read(o.path), inv.old) == 1 {
			undo = append(undo, inv)
		}
		g.files = listFiles(t, src)
	}
	return chain
}

func (g *chainGen) read(rel string) string {
	b, err := g.src.ReadFile(filepath.Join(g.src.Root(), filepath.FromSlash(rel)))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		g.t.Fatal(err)
	}
	return string(b)
}

// replaceAt is the edit that replaces content[i:j] of rel with r, its old
// text widened line by line until both it and the new text occur once.
func (g *chainGen) replaceAt(desc, rel, content string, i, j int, r string) (dop, bool) {
	a := strings.LastIndexByte(content[:i], '\n') + 1
	b := j
	if k := strings.IndexByte(content[j:], '\n'); k >= 0 {
		b = j + k
	} else {
		b = len(content)
	}
	for {
		old, new := content[a:b], content[a:i]+r+content[j:b]
		after := content[:a] + new + content[b:]
		if old != new && new != "" && strings.Count(content, old) == 1 && strings.Count(after, new) == 1 {
			return dop{desc: desc, path: rel, kind: opReplace, old: old, new: new}, true
		}
		if a == 0 && b == len(content) {
			return dop{}, false
		}
		if a > 0 {
			a = strings.LastIndexByte(content[:a-1], '\n') + 1
		}
		if b < len(content) {
			if k := strings.IndexByte(content[b+1:], '\n'); k >= 0 {
				b = b + 1 + k
			} else {
				b = len(content)
			}
		}
	}
}

// next draws one edit; ok false when the drawn kind found nothing to edit.
func (g *chainGen) next() (dop, bool) {
	g.n++
	if len(g.pending) > 0 && g.rng.IntN(2) == 0 {
		o := g.pending[0]
		g.pending = g.pending[1:]
		return o, true
	}
	rel := g.files[g.rng.IntN(len(g.files))]
	// Plugin files, the entry and routes are where most edits go.
	if g.rng.IntN(2) == 0 {
		var hot []string
		for _, f := range g.files {
			if strings.HasSuffix(f, "/index.ts") || strings.Contains(f, "/routes/") || strings.HasSuffix(f, "events.ts") {
				hot = append(hot, f)
			}
		}
		rel = hot[g.rng.IntN(len(hot))]
	}
	content := g.read(rel)
	switch k := g.rng.IntN(20); {
	case k < 9: // rename a name of the vocabulary, wherever it occurs
		v := vocab[g.rng.IntN(len(vocab))]
		type hit struct {
			rel  string
			i, j int
		}
		var hits []hit
		for _, f := range g.files {
			for _, m := range v.re.FindAllStringSubmatchIndex(g.read(f), -1) {
				hits = append(hits, hit{f, m[2], m[3]})
			}
		}
		if len(hits) == 0 {
			return dop{}, false
		}
		h := hits[g.rng.IntN(len(hits))]
		rel, content = h.rel, g.read(h.rel)
		name := content[h.i:h.j]
		to := name + "X"
		switch g.rng.IntN(3) {
		case 0: // another name of the project: collisions, existing targets
			to = g.names[g.rng.IntN(len(g.names))]
		case 1:
			to = name[:len(name)-1]
		}
		if to == "" || to == name {
			return dop{}, false
		}
		return g.replaceAt(fmt.Sprintf("%s %q renamed %q", v.what, name, to), rel, content, h.i, h.j, to)
	case k < 12: // a line above something: every position below moves
		lines := strings.SplitAfter(content, "\n")
		l := g.rng.IntN(len(lines))
		off := len(strings.Join(lines[:l], ""))
		return g.replaceAt(fmt.Sprintf("a comment line above line %d", l+1), rel, content, off, off, fmt.Sprintf("// edit %d\n", g.n))
	case k < 14: // a registration, mount, dependency, column or import line deleted
		if g.rng.IntN(2) == 0 {
			rel = "src/server/index.ts"
			content = g.read(rel)
		}
		ms := lineEdits.FindAllStringIndex(content, -1)
		if len(ms) == 0 {
			return dop{}, false
		}
		m := ms[g.rng.IntN(len(ms))]
		return g.replaceAt(fmt.Sprintf("the line %q deleted", strings.TrimSpace(content[m[0]:m[1]])), rel, content, m[0], m[1], "")
	case k == 14: // a dependency added
		ms := regexp.MustCompile(`dependencies:\s*\[`).FindAllStringIndex(content, -1)
		if len(ms) == 0 {
			return dop{}, false
		}
		m := ms[g.rng.IntN(len(ms))]
		dep := g.names[g.rng.IntN(len(g.names))]
		return g.replaceAt(fmt.Sprintf("a dependency %q added", dep), rel, content, m[1], m[1], fmt.Sprintf("%q, ", dep))
	case k == 15: // the syntax broken: a closing brace deleted
		var idx []int
		for i, c := range content {
			if c == '}' {
				idx = append(idx, i)
			}
		}
		if len(idx) == 0 {
			return dop{}, false
		}
		i := idx[g.rng.IntN(len(idx))]
		return g.replaceAt("a closing brace deleted", rel, content, i, i+1, "")
	case k == 16: // a statement in a body
		ms := regexp.MustCompile(`(?m)^\s+(?:const|return|await) `).FindAllStringIndex(content, -1)
		if len(ms) == 0 {
			return dop{}, false
		}
		m := ms[g.rng.IntN(len(ms))]
		return g.replaceAt("a statement inserted", rel, content, m[0], m[0], fmt.Sprintf("\n    const edit%d = %d;", g.n, g.n))
	case k == 17: // a plugin copied under a new name
		var plugins []string
		for _, f := range g.files {
			if path.Base(f) == "index.ts" && path.Base(path.Dir(path.Dir(f))) == "plugins" {
				plugins = append(plugins, f)
			}
		}
		if len(plugins) == 0 {
			return dop{}, false
		}
		from := plugins[g.rng.IntN(len(plugins))]
		c := g.read(from)
		m := vocab[0].re.FindStringSubmatch(c)
		if m == nil {
			return dop{}, false
		}
		name := fmt.Sprintf("%scopy%d", m[1], g.n)
		c = strings.Replace(c, m[0], fmt.Sprintf("name: %q", name), 1)
		if e := regexp.MustCompile(`export const (\w+)`).FindStringSubmatch(c); e != nil {
			c = strings.ReplaceAll(c, e[1], e[1]+"Copy")
		}
		dir := path.Dir(path.Dir(from))
		to := path.Join(dir, name, "index.ts")
		if e := regexp.MustCompile(`export const (\w+)`).FindStringSubmatch(c); e != nil && g.rng.IntN(2) == 0 {
			// Registered in the entry too, in a later edit.
			entry := "src/server/index.ts"
			if ec := g.read(entry); strings.Contains(ec, "server.registerPlugin(") {
				i := strings.Index(ec, "server.registerPlugin(")
				g.pending = append(g.pending, dop{desc: fmt.Sprintf("plugin %q imported and registered", name), path: entry, kind: opReplace,
					old: ec[:i], new: fmt.Sprintf("%simport { %s } from \"./plugins/%s\";\nserver.registerPlugin(%s);\n", ec[:i], e[1], name, e[1])})
			}
		}
		if g.rng.IntN(2) == 0 {
			to = path.Join(path.Dir(from), fmt.Sprintf("copy%d.ts", g.n))
		}
		return dop{desc: fmt.Sprintf("%s copied as plugin %q", from, name), path: to, kind: opWrite, new: c}, true
	case k == 18: // a file removed
		return dop{desc: "the file removed", path: rel, kind: opRemove}, true
	default: // a generated file edited: registry, schema, client, events
		var gen []string
		for _, f := range g.files {
			if strings.HasPrefix(f, ".@donkeylabs/") || strings.HasSuffix(f, "schema.ts") || strings.HasPrefix(f, "src/lib/") {
				gen = append(gen, f)
			}
		}
		if len(gen) == 0 {
			return dop{}, false
		}
		rel = gen[g.rng.IntN(len(gen))]
		content = g.read(rel)
		ms := regexp.MustCompile(`(?m)^\s+"?(\w+)"?\??:`).FindAllStringSubmatchIndex(content, -1)
		if len(ms) == 0 || g.rng.IntN(4) == 0 {
			lines := strings.SplitAfter(content, "\n")
			l := g.rng.IntN(len(lines))
			off := len(strings.Join(lines[:l], ""))
			return g.replaceAt(fmt.Sprintf("a line deleted at line %d", l+1), rel, content, off, off+len(lines[l]), "")
		}
		m := ms[g.rng.IntN(len(ms))]
		name := content[m[2]:m[3]]
		return g.replaceAt(fmt.Sprintf("the generated key %q renamed", name), rel, content, m[2], m[3], name+"X")
	}
}
