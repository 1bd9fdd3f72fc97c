// Package syntax parses TypeScript and TSX into a compact, immutable tree of
// our own. The tree-sitter binding is used only inside Parse: its tree is
// copied into plain Go slices and closed at once, so the rest of donkeyls
// never touches cgo, trees are safe to share between goroutines, and the
// binding can be swapped by rewriting this one file.
package syntax

import (
	"context"
	"fmt"
	"sync"

	sitter "github.com/smacker/go-tree-sitter"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/smacker/go-tree-sitter/typescript/tsx"
	"github.com/smacker/go-tree-sitter/typescript/typescript"
)

// MaxSize is the largest input Parse accepts. Hand-written TypeScript is far
// smaller; anything larger is generated or not source at all, and parsing it
// would cost seconds for facts nobody needs.
const MaxSize = 8 << 20

// Dialect selects the grammar.
type Dialect int

const (
	TypeScript Dialect = iota
	TSX
)

// Tree is a parsed file. It is immutable and safe for concurrent use.
type Tree struct {
	Src   []byte
	nodes []node
	lang  *langTables
}

type node struct {
	kind        uint16
	field       uint16 // field id in its parent, 0 when none
	flags       uint8
	start, end  uint32
	parent      int32
	firstChild  int32
	nextSibling int32
}

const (
	flagNamed uint8 = 1 << iota
	flagError
	flagMissing
	flagHasError
)

// langTables maps the grammar's symbol and field ids to names once per
// grammar, so reading a node's kind costs a slice index instead of cgo.
type langTables struct {
	lang       *sitter.Language
	kindNames  []string
	fieldNames []string
	fieldIDs   map[string]uint16
}

// Parser parses files; it is cheap to create and not safe for concurrent use.
type Parser struct {
	c      [2]*cparser
	tables *tablesCache
}

type tablesCache struct {
	once [2]sync.Once
	t    [2]*langTables
}

// sharedTables are read-only after construction; one per grammar per process.
var sharedTables = &tablesCache{}

func (c *tablesCache) get(d Dialect) *langTables {
	c.once[d].Do(func() {
		var lang *sitter.Language
		if d == TSX {
			lang = tsx.GetLanguage()
		} else {
			lang = typescript.GetLanguage()
		}
		lt := &langTables{lang: lang, fieldIDs: map[string]uint16{}}
		n := lang.SymbolCount()
		lt.kindNames = make([]string, n)
		for i := range n {
			lt.kindNames[i] = lang.SymbolName(sitter.Symbol(i))
		}
		lt.fieldNames = []string{""}
		for i := 1; ; i++ {
			name := lang.FieldName(i)
			if name == "" {
				break
			}
			lt.fieldNames = append(lt.fieldNames, name)
			lt.fieldIDs[name] = uint16(i)
		}
		c.t[d] = lt
	})
	return c.t[d]
}

// NewParser returns a parser for both dialects.
func NewParser() *Parser { return &Parser{tables: sharedTables} }

// Close releases the underlying parsers.
func (p *Parser) Close() {
	for i := range p.c {
		p.c[i].close()
		p.c[i] = nil
	}
}

// Parse parses src. It honours ctx, refuses inputs over MaxSize, and never
// panics: a panic inside the binding is returned as an error.
func (p *Parser) Parse(ctx context.Context, src []byte, d Dialect) (*Tree, error) {
	return p.parse(ctx, src, d, false)
}

// ParseTransient is Parse for a tree that is read at once and dropped: its
// nodes share the parser's buffer, so the tree is valid only until the next
// call on p. Fact extraction, which parses every file of a project and keeps
// only the facts, uses it to avoid allocating a tree per file.
func (p *Parser) ParseTransient(ctx context.Context, src []byte, d Dialect) (*Tree, error) {
	return p.parse(ctx, src, d, true)
}

func (p *Parser) parse(ctx context.Context, src []byte, d Dialect, transient bool) (tree *Tree, err error) {
	if len(src) > MaxSize {
		return nil, fmt.Errorf("%w (%d bytes, limit %d)", analysis.ErrTooLarge, len(src), MaxSize)
	}
	if d != TSX {
		d = TypeScript
	}
	defer func() {
		if r := recover(); r != nil {
			tree, err = nil, fmt.Errorf("parser failed: %v", r)
			p.Close() // possibly inconsistent; the next Parse makes a new one
		}
	}()
	if p.c[d] == nil {
		c, err := newCParser(d)
		if err != nil {
			return nil, err
		}
		p.c[d] = c
	}
	t := &Tree{Src: src, lang: p.tables.get(d)}
	if err := p.c[d].parse(ctx, src, t, transient); err != nil {
		return nil, err
	}
	return t, nil
}

// Root is the program node.
func (t *Tree) Root() Node {
	if t == nil || len(t.nodes) == 0 {
		return Node{}
	}
	return Node{t: t, i: 0}
}

// HasErrors reports whether the parser recovered from any syntax error.
func (t *Tree) HasErrors() bool {
	return t != nil && len(t.nodes) > 0 && t.nodes[0].flags&flagHasError != 0
}

// FirstError returns the first error or missing node in source order.
func (t *Tree) FirstError() (Node, bool) {
	if !t.HasErrors() {
		return Node{}, false
	}
	for i := range t.nodes {
		if t.nodes[i].flags&(flagError|flagMissing) != 0 {
			return Node{t: t, i: int32(i)}, true
		}
	}
	return Node{}, false
}

// Len is the number of nodes, for benchmarks and sanity checks.
func (t *Tree) Len() int { return len(t.nodes) }

// Node is a handle on one node of a Tree. The zero Node is "no node": every
// method on it returns a zero value, so chains of lookups need no nil checks.
type Node struct {
	t *Tree
	i int32
}

// IsNull reports whether n is the zero Node.
func (n Node) IsNull() bool { return n.t == nil }

func (n Node) raw() *node { return &n.t.nodes[n.i] }

// Kind is the grammar's node type, e.g. "call_expression".
func (n Node) Kind() string {
	if n.t == nil {
		return ""
	}
	k := n.raw().kind
	if int(k) < len(n.t.lang.kindNames) {
		return n.t.lang.kindNames[k]
	}
	if n.raw().flags&flagError != 0 {
		return "ERROR"
	}
	return ""
}

// Is reports whether n is of the given kind.
func (n Node) Is(kind string) bool { return n.t != nil && n.Kind() == kind }

// IsNamed reports whether n is a named node (not punctuation).
func (n Node) IsNamed() bool { return n.t != nil && n.raw().flags&flagNamed != 0 }

// IsError reports whether n is an ERROR or MISSING node.
func (n Node) IsError() bool { return n.t != nil && n.raw().flags&(flagError|flagMissing) != 0 }

// HasError reports whether n or anything below it is an error.
func (n Node) HasError() bool { return n.t != nil && n.raw().flags&flagHasError != 0 }

// Start and End are byte offsets.
func (n Node) Start() int {
	if n.t == nil {
		return 0
	}
	return int(n.raw().start)
}

func (n Node) End() int {
	if n.t == nil {
		return 0
	}
	return int(n.raw().end)
}

// Text is the node's source text.
func (n Node) Text() string {
	if n.t == nil {
		return ""
	}
	r := n.raw()
	return string(n.t.Src[r.start:r.end])
}

// Parent returns the parent, or the zero Node at the root.
func (n Node) Parent() Node {
	if n.t == nil || n.raw().parent < 0 {
		return Node{}
	}
	return Node{t: n.t, i: n.raw().parent}
}

// FirstChild returns the first child, named or not.
func (n Node) FirstChild() Node {
	if n.t == nil || n.raw().firstChild < 0 {
		return Node{}
	}
	return Node{t: n.t, i: n.raw().firstChild}
}

// NextSibling returns the next sibling, named or not.
func (n Node) NextSibling() Node {
	if n.t == nil || n.raw().nextSibling < 0 {
		return Node{}
	}
	return Node{t: n.t, i: n.raw().nextSibling}
}

// Children returns all children, named or not.
func (n Node) Children() []Node {
	var out []Node
	for c := n.FirstChild(); !c.IsNull(); c = c.NextSibling() {
		out = append(out, c)
	}
	return out
}

// NamedChildren returns the named children, skipping comments.
func (n Node) NamedChildren() []Node {
	var out []Node
	for c := n.FirstChild(); !c.IsNull(); c = c.NextSibling() {
		if c.IsNamed() && c.Kind() != "comment" {
			out = append(out, c)
		}
	}
	return out
}

// Field returns the first child in the named field, e.g. "function".
func (n Node) Field(name string) Node {
	if n.t == nil {
		return Node{}
	}
	id, ok := n.t.lang.fieldIDs[name]
	if !ok {
		return Node{}
	}
	for c := n.FirstChild(); !c.IsNull(); c = c.NextSibling() {
		if c.raw().field == id {
			return c
		}
	}
	return Node{}
}

// FieldName is the field n occupies in its parent, "" when none.
func (n Node) FieldName() string {
	if n.t == nil {
		return ""
	}
	f := n.raw().field
	if int(f) < len(n.t.lang.fieldNames) {
		return n.t.lang.fieldNames[f]
	}
	return ""
}

// Walk visits n and its descendants in source order; returning false from fn
// skips the node's children.
func (n Node) Walk(fn func(Node) bool) {
	if n.t == nil {
		return
	}
	// Iterative pre-order walk over the flat arrays: deep nesting in
	// generated or hostile input must not exhaust the goroutine stack.
	t := n.t
	root := n.i
	i := root
	for {
		descend := fn(Node{t: t, i: i})
		if descend && t.nodes[i].firstChild >= 0 {
			i = t.nodes[i].firstChild
			continue
		}
		for {
			if i == root {
				return
			}
			if s := t.nodes[i].nextSibling; s >= 0 {
				i = s
				break
			}
			i = t.nodes[i].parent
		}
	}
}

// Unwrap strips parentheses, `as` / `satisfies` casts and non-null
// assertions, which never change what a value is for our purposes.
func (n Node) Unwrap() Node {
	for !n.IsNull() {
		switch n.Kind() {
		case "parenthesized_expression", "as_expression", "satisfies_expression", "non_null_expression":
			inner := Node{}
			for c := n.FirstChild(); !c.IsNull(); c = c.NextSibling() {
				if c.IsNamed() && c.Kind() != "comment" {
					inner = c
					break
				}
			}
			if inner.IsNull() {
				return n
			}
			n = inner
		default:
			return n
		}
	}
	return n
}
