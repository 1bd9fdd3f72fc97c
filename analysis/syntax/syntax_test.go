package syntax

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/tools/txtar"

	"github.com/donkeyls/donkeyls/analysis"
)

// exampleSource is a file of the fixtures' shop base (internal/fixture).
func exampleSource(tb testing.TB, rel string) []byte {
	tb.Helper()
	_, here, _, _ := runtimeCaller()
	arch, err := txtar.ParseFile(filepath.Join(filepath.Dir(here), "..", "..", "internal", "fixture", "testdata", "shop.txtar"))
	if err != nil {
		tb.Fatal(err)
	}
	for _, f := range arch.Files {
		if f.Name == rel {
			return f.Data
		}
	}
	tb.Fatalf("the shop base has no %s", rel)
	return nil
}

func TestTreeShape(t *testing.T) {
	p := NewParser()
	defer p.Close()
	tree, err := p.Parse(context.Background(), []byte(`export const a = f(1, "x");`), TypeScript)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	tree.Root().Walk(func(n Node) bool {
		if n.IsNamed() {
			kinds = append(kinds, n.Kind())
		}
		return true
	})
	want := "program export_statement lexical_declaration variable_declarator identifier call_expression identifier arguments number string string_fragment"
	if got := strings.Join(kinds, " "); got != want {
		t.Errorf("named kinds\n got %s\nwant %s", got, want)
	}
	var call Node
	tree.Root().Walk(func(n Node) bool {
		if n.Is("call_expression") {
			call = n
		}
		return true
	})
	if call.Field("function").Text() != "f" || call.Field("arguments").Parent() != call || call.Text() != `f(1, "x")` {
		t.Errorf("fields and text of the call: %q %q", call.Field("function").Text(), call.Text())
	}
	if tree.HasErrors() {
		t.Error("valid code reported as broken")
	}
}

func TestErrorsAndHostileInput(t *testing.T) {
	p := NewParser()
	defer p.Close()
	tree, err := p.Parse(context.Background(), []byte("const a = {{ b: ;"), TypeScript)
	if err != nil {
		t.Fatal(err)
	}
	if !tree.HasErrors() {
		t.Error("broken code not reported")
	}
	if e, ok := tree.FirstError(); !ok || !e.IsError() {
		t.Errorf("first error: %v %v", e.Kind(), ok)
	}
	// Deep nesting is cut off, never a crash.
	deep := append(bytes.Repeat([]byte("["), 100000), bytes.Repeat([]byte("]"), 100000)...)
	if _, err := p.Parse(context.Background(), deep, TypeScript); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Parse(context.Background(), make([]byte, MaxSize+1), TypeScript); !errors.Is(err, analysis.ErrTooLarge) {
		t.Errorf("oversized input: %v, want analysis.ErrTooLarge", err)
	}
	// The zero Node answers every question without panicking.
	var zero Node
	if zero.Kind() != "" || zero.Field("x").IsNull() != true || zero.Text() != "" || len(zero.Children()) != 0 {
		t.Error("zero node misbehaves")
	}
}

func TestParseHonoursCancellation(t *testing.T) {
	p := NewParser()
	defer p.Close()
	big := bytes.Repeat([]byte("export const a = { b: [1, 2, 3], c: f(x => x + 1) };\n"), 100000)
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	if _, err := p.Parse(ctx, big, TypeScript); err == nil {
		t.Skip("the parse finished within a millisecond; nothing to cancel")
	}
	// The parser is still usable afterwards.
	if _, err := p.Parse(context.Background(), []byte("const x = 1;"), TypeScript); err != nil {
		t.Errorf("parser unusable after a cancelled parse: %v", err)
	}
}

func BenchmarkParse(b *testing.B) {
	src := exampleSource(b, "src/server/plugins/books/index.ts")
	p := NewParser()
	defer p.Close()
	b.SetBytes(int64(len(src)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := p.Parse(context.Background(), src, TypeScript); err != nil {
			b.Fatal(err)
		}
	}
}

func runtimeCaller() (uintptr, string, int, bool) { return runtime.Caller(0) }

// The parser reuses its flattening buffer. A tree from Parse must survive
// later parses untouched; a transient tree must read the same as a kept one
// while it is valid.
func TestParseKeepsTreesAcrossReuse(t *testing.T) {
	ctx := context.Background()
	p := NewParser()
	defer p.Close()
	plugin := exampleSource(t, "src/server/plugins/books/index.ts")
	kept, err := p.Parse(ctx, plugin, TypeScript)
	if err != nil {
		t.Fatal(err)
	}
	shape := func(tree *Tree) string {
		var b strings.Builder
		tree.Root().Walk(func(n Node) bool {
			b.WriteString(n.Kind())
			b.WriteByte(' ')
			return true
		})
		return b.String()
	}
	before := shape(kept)
	transient, err := p.ParseTransient(ctx, plugin, TypeScript)
	if err != nil {
		t.Fatal(err)
	}
	if got := shape(transient); got != before {
		t.Errorf("a transient tree reads differently from a kept tree of the same source")
	}
	// Overwrite the shared buffer with a different file, twice as large.
	other := bytes.Repeat([]byte("export const x = { a: [1, 2, 3], b: f(g(h)) };\n"), 400)
	if _, err := p.ParseTransient(ctx, other, TypeScript); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Parse(ctx, other, TypeScript); err != nil {
		t.Fatal(err)
	}
	if got := shape(kept); got != before {
		t.Errorf("a tree from Parse changed when the parser was reused")
	}
}
