package factcache

import (
	"bytes"
	"hash/maphash"
	"reflect"
	"sync"
	"unsafe"
)

// interner shares equal strings across the entries one load decodes. A
// project repeats the same paths, plugin and table names, member names and
// types in thousands of files: at 5,000 plugins the decoded facts held
// 16.7 MB of string bytes of which 4.2 MB were distinct. It also shares
// equal position-free slices (see positionFree): 8 MB of schema field
// lists at 5,000 plugins are 0.2 MB of distinct ones.
type interner struct {
	mu     sync.Mutex
	strs   map[string]string
	seed   maphash.Seed
	slices map[sliceKey]unsafe.Pointer
	// bufs are decodeFile's scratch slices, reused across the entries.
	bufs sync.Pool
	// chunk holds the bytes of the short strings interned last.
	chunk []byte
}

// copyString returns a string of raw's bytes. A short one is carved from
// a shared chunk rather than allocated on its own: 160,000 distinct
// strings averaging 29 bytes lost about a fifth to the allocator's size
// classes. A chunk stays as long as any of its strings does; it is never
// written again once carved, so the strings stay immutable.
func (in *interner) copyString(raw []byte) string {
	const chunkSize, maxCarved = 32 << 10, 256
	if len(raw) == 0 || len(raw) > maxCarved {
		return string(raw)
	}
	if len(in.chunk)+len(raw) > cap(in.chunk) {
		in.chunk = make([]byte, 0, chunkSize)
	}
	start := len(in.chunk)
	in.chunk = append(in.chunk, raw...)
	return unsafe.String(&in.chunk[start], len(raw))
}

// sliceKey finds a slice's earlier copies: by type, size and a hash of
// its bytes; equal bytes are then checked, so a collision shares nothing.
type sliceKey struct {
	t    reflect.Type
	size uintptr
	hash uint64
}

// newInterner returns an interner sized for about strs distinct strings.
func newInterner(strs int) *interner {
	in := &interner{strs: make(map[string]string, strs), seed: maphash.MakeSeed(), slices: map[sliceKey]unsafe.Pointer{}}
	in.bufs.New = func() any { return new(decodeBufs) }
	return in
}

// fill sets strs[i] to the interned copy of each b[off:off+lens[i]], taking
// the lock once for the whole entry.
func (in *interner) fill(strs []string, b []byte, lens []int) {
	in.mu.Lock()
	defer in.mu.Unlock()
	off := 0
	for i := 1; i < len(strs); i++ {
		raw := b[off : off+lens[i]]
		off += lens[i]
		// The conversion in a map index does not allocate.
		if s, ok := in.strs[string(raw)]; ok {
			strs[i] = s
			continue
		}
		s := in.copyString(raw)
		in.strs[s] = s
		strs[i] = s
	}
}

// slice returns the array of an equal slice of type t decoded earlier in
// the load, or else a copy of v's n elements (size bytes),
// which later equal slices then share. Bytes are a sound test of equality
// here: arrays start zeroed (padding included), their strings are interned
// and their slices shared in turn, so equal bytes are equal values, and a
// value with unequal bytes is merely not shared. Facts are never modified
// once decoded, so one array can serve many files.
func (in *interner) slice(t reflect.Type, v reflect.Value, n int, size uintptr) unsafe.Pointer {
	raw := unsafe.Slice((*byte)(v.UnsafePointer()), size)
	k := sliceKey{t: t, size: size, hash: maphash.Bytes(in.seed, raw)}
	in.mu.Lock()
	old, ok := in.slices[k]
	in.mu.Unlock()
	if ok && bytes.Equal(unsafe.Slice((*byte)(old), size), raw) {
		return old
	}
	cp := reflect.MakeSlice(t, n, n)
	reflect.Copy(cp, v) // v holds n elements
	data := cp.UnsafePointer()
	if !ok {
		in.mu.Lock()
		if _, raced := in.slices[k]; !raced {
			in.slices[k] = data
		}
		in.mu.Unlock()
	}
	return data
}
