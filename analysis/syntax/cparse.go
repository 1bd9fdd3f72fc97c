package syntax

// Parsing and flattening happen in C in one call per file. Going through the
// binding's Go API costs several cgo transitions and a map insertion per
// node, which made flattening twice as expensive as parsing itself; here the
// whole tree is copied into a Go-allocated array (which holds no Go pointers)
// before returning. The runtime and grammars are compiled by the
// go-tree-sitter packages imported in syntax.go; we only declare the part of
// tree-sitter's stable C API we use.

/*
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

typedef struct TSParser TSParser;
typedef struct TSTree TSTree;
typedef struct TSLanguage TSLanguage;
typedef uint16_t TSSymbol;
typedef uint16_t TSFieldId;
typedef struct { uint32_t context[4]; const void *id; const TSTree *tree; } TSNode;
typedef struct { const void *tree; const void *id; uint32_t context[3]; } TSTreeCursor;

TSParser *ts_parser_new(void);
void ts_parser_delete(TSParser *);
bool ts_parser_set_language(TSParser *, const TSLanguage *);
void ts_parser_set_cancellation_flag(TSParser *, const size_t *);
void ts_parser_reset(TSParser *);
TSTree *ts_parser_parse_string(TSParser *, const TSTree *, const char *, uint32_t);
void ts_tree_delete(TSTree *);
TSNode ts_tree_root_node(const TSTree *);
TSTreeCursor ts_tree_cursor_new(TSNode);
void ts_tree_cursor_delete(TSTreeCursor *);
TSNode ts_tree_cursor_current_node(const TSTreeCursor *);
TSFieldId ts_tree_cursor_current_field_id(const TSTreeCursor *);
bool ts_tree_cursor_goto_first_child(TSTreeCursor *);
bool ts_tree_cursor_goto_next_sibling(TSTreeCursor *);
bool ts_tree_cursor_goto_parent(TSTreeCursor *);
TSSymbol ts_node_symbol(TSNode);
uint32_t ts_node_start_byte(TSNode);
uint32_t ts_node_end_byte(TSNode);
bool ts_node_is_named(TSNode);
bool ts_node_is_missing(TSNode);
bool ts_node_has_error(TSNode);
const TSLanguage *tree_sitter_typescript(void);
const TSLanguage *tree_sitter_tsx(void);

// Must match the Go struct node field for field.
typedef struct {
	uint16_t kind;
	uint16_t field;
	uint8_t flags;
	uint32_t start, end;
	int32_t parent, first_child, next_sibling;
} dl_node;

enum { DL_NAMED = 1, DL_ERROR = 2, DL_MISSING = 4, DL_HAS_ERROR = 8 };

// dl_trim returns the free memory of every malloc arena to the system.
// glibc keeps what a large parse freed in the arenas of the threads that
// parsed (a cold check of 5,000 plugins kept 20-30 MB so, resident to its
// end); other C libraries have no such call.
#ifdef __GLIBC__
#include <malloc.h>
static void dl_trim(void) { malloc_trim(0); }
#else
static void dl_trim(void) {}
#endif

static TSParser *dl_parser_new(int tsx) {
	TSParser *p = ts_parser_new();
	if (!ts_parser_set_language(p, tsx ? tree_sitter_tsx() : tree_sitter_typescript())) {
		ts_parser_delete(p);
		return NULL;
	}
	return p;
}

// dl_flatten walks tree in pre-order into out. It returns the node count, or
// -(count needed so far) when cap was too small, so the caller can retry.
// depth_stack holds the last child index per depth, cap_depth entries.
static int64_t dl_flatten(TSTree *tree, dl_node *out, int64_t cap, int32_t *last, int64_t cap_depth) {
	TSNode root = ts_tree_root_node(tree);
	TSTreeCursor cur = ts_tree_cursor_new(root);
	// Without an error at the root there is none below it, nor a MISSING
	// node (only error recovery inserts those): skip two calls per node.
	bool errors = ts_node_has_error(root);
	int64_t n = 0;
	int64_t depth = 0;
	int32_t parent = -1;
	last[0] = -1;
	for (;;) {
		if (n >= cap) {
			ts_tree_cursor_delete(&cur);
			return -(n + 1);
		}
		TSNode node = ts_tree_cursor_current_node(&cur);
		dl_node *d = &out[n];
		TSSymbol sym = ts_node_symbol(node);
		uint8_t flags = 0;
		if (ts_node_is_named(node)) flags |= DL_NAMED;
		if (sym == (TSSymbol)-1) flags |= DL_ERROR;
		if (errors) {
			if (ts_node_is_missing(node)) flags |= DL_MISSING;
			if (ts_node_has_error(node)) flags |= DL_HAS_ERROR;
		}
		d->kind = sym;
		d->field = ts_tree_cursor_current_field_id(&cur);
		d->flags = flags;
		d->start = ts_node_start_byte(node);
		d->end = ts_node_end_byte(node);
		d->parent = parent;
		d->first_child = -1;
		d->next_sibling = -1;
		int32_t idx = (int32_t)n;
		n++;
		if (parent >= 0) {
			int32_t prev = last[depth];
			if (prev >= 0) out[prev].next_sibling = idx; else out[parent].first_child = idx;
			last[depth] = idx;
		}
		if (depth + 1 < cap_depth && ts_tree_cursor_goto_first_child(&cur)) {
			parent = idx;
			depth++;
			last[depth] = -1;
			continue;
		}
		while (!ts_tree_cursor_goto_next_sibling(&cur)) {
			if (!ts_tree_cursor_goto_parent(&cur)) {
				ts_tree_cursor_delete(&cur);
				return n;
			}
			depth--;
			parent = out[parent].parent;
		}
	}
}
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"unsafe"
)

// maxDepth bounds the nesting we keep. Deeper subtrees (hostile input only:
// a hundred thousand nested parentheses) are cut off, never a crash.
const maxDepth = 4096

func init() {
	if unsafe.Sizeof(node{}) != unsafe.Sizeof(C.dl_node{}) {
		panic("syntax: node layout does not match dl_node")
	}
}

// cparser owns one C parser for one dialect, and the flattening buffers it
// reuses from file to file: a fresh buffer per file was most of a cold
// check's allocation (three hundred megabytes on the large synthetic
// project, counting the retries of a too-small first guess).
type cparser struct {
	p    *C.TSParser
	buf  []node
	last []int32
}

func newCParser(d Dialect) (*cparser, error) {
	tsx := C.int(0)
	if d == TSX {
		tsx = 1
	}
	p := C.dl_parser_new(tsx)
	if p == nil {
		return nil, errors.New("tree-sitter grammar version mismatch")
	}
	return &cparser{p: p}, nil
}

func (c *cparser) close() {
	if c != nil && c.p != nil {
		C.ts_parser_delete(c.p)
		c.p = nil
	}
}

// parse parses src and flattens the tree into t.nodes. A transient tree's
// nodes live in c's buffer and are overwritten by the next parse; otherwise
// they are copied into a slice of their own.
func (c *cparser) parse(ctx context.Context, src []byte, t *Tree, transient bool) error {
	// The cancellation flag lives in C memory: tree-sitter reads it while
	// parsing, and a Go pointer must not be retained by C.
	flag := (*C.size_t)(C.calloc(1, C.size_t(unsafe.Sizeof(C.size_t(0)))))
	C.ts_parser_set_cancellation_flag(c.p, flag)
	stop := make(chan struct{})
	var watcher sync.WaitGroup
	if ctx.Done() != nil {
		watcher.Add(1)
		go func() {
			defer watcher.Done()
			select {
			case <-ctx.Done():
				atomic.StoreUintptr((*uintptr)(unsafe.Pointer(flag)), 1)
			case <-stop:
			}
		}()
	}
	// The watcher may have chosen ctx.Done() just as the parse ended: wait
	// for it to be gone before the flag's memory is freed, or its store
	// lands in freed C memory (that corrupted the heap once, in testing).
	defer func() {
		close(stop)
		watcher.Wait()
		C.ts_parser_set_cancellation_flag(c.p, nil)
		C.free(unsafe.Pointer(flag))
	}()
	var cs *C.char
	if len(src) > 0 {
		cs = (*C.char)(unsafe.Pointer(&src[0]))
	}
	tree := C.ts_parser_parse_string(c.p, nil, cs, C.uint32_t(len(src)))
	if tree == nil {
		C.ts_parser_reset(c.p)
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("parsing: %w", err)
		}
		return errors.New("parsing failed")
	}
	defer func() {
		C.ts_tree_delete(tree)
		if len(src) >= trimAfter {
			C.dl_trim()
		}
	}()
	if c.last == nil {
		c.last = make([]int32, maxDepth)
	}
	// Tree-sitter makes about one node per two bytes of TypeScript,
	// punctuation included.
	if want := len(src)/2 + 64; len(c.buf) < want {
		c.buf = make([]node, want)
	}
	for {
		n := C.dl_flatten(tree, (*C.dl_node)(unsafe.Pointer(&c.buf[0])), C.int64_t(len(c.buf)),
			(*C.int32_t)(unsafe.Pointer(&c.last[0])), C.int64_t(maxDepth))
		if n >= 0 {
			if transient {
				t.nodes = c.buf[:n:n]
			} else {
				t.nodes = append([]node(nil), c.buf[:n]...)
			}
			c.shrink()
			return nil
		}
		c.buf = make([]node, 2*len(c.buf))
	}
}

// trimAfter is the smallest source after whose parse the C heap is
// trimmed: a tree takes tens of bytes of C memory per source byte (the
// 0.9 MB server entry of the 5,000-plugin project left 20-30 MB in the
// arenas), and a trim walks every arena, so small files are not worth
// one. Hand-written files are nearly all smaller.
const trimAfter = 256 << 10

// shrink drops a buffer grown for one unusually large file, so a long-lived
// parser does not pin tens of megabytes after a single generated file.
func (c *cparser) shrink() {
	const keep = 1 << 18 // nodes: about half a megabyte of source
	if len(c.buf) > keep {
		c.buf = nil
	}
}
