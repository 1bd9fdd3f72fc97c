package factcache

import (
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"unsafe"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/facts"
)

// The entry payload is a compact binary form of *facts.File, derived from
// the type itself by reflection once per process: a field added to facts is
// encoded without anyone remembering to, so a warm run cannot silently lose
// it (the build id in every key keeps binaries with different layouts
// apart). encoding/gob would do the same but resends its type description
// with every entry, which is most of an entry's size and decode time; see
// BenchmarkDecode.
//
// Layout: the string table (count, then length and bytes of each distinct
// string), then the values in field order. Strings are indexes into the
// table, so a name repeated in a file is stored once and every decoded
// string of an entry shares one allocation. Integers are varints, slices
// and pointers carry a nil marker so nil and empty survive the round trip.

var errCorrupt = errors.New("corrupt cache entry")

type encoder struct {
	vals  []byte
	index map[string]uint64
	strs  []string
}

type decoder struct {
	b    []byte
	strs []string
	err  error
	// in shares equal strings and equal position-free slices with the
	// other entries of the load; nil shares nothing. tmp is its scratch
	// (nil with in).
	in  *interner
	tmp *decodeBufs
}

// A codec reads and writes the value at a pointer: the reflective walk
// happens once, in compile, and each entry is then decoded by plain loads
// and stores at field offsets. Going through reflect.Value for every field
// (Field, SetInt, Index) was most of a warm start's decoding time.
type codec struct {
	enc func(e *encoder, p unsafe.Pointer)
	dec func(d *decoder, p unsafe.Pointer)
}

// sliceHeader is the layout of every Go slice.
type sliceHeader struct {
	data     unsafe.Pointer
	len, cap int
}

var (
	fileCodecOnce sync.Once
	fileCodec     codec
	fileCodecErr  error
)

func compiledFileCodec() (codec, error) {
	fileCodecOnce.Do(func() {
		fileCodec, fileCodecErr = compile(reflect.TypeFor[facts.File](), map[reflect.Type]*codec{})
	})
	return fileCodec, fileCodecErr
}

// compile builds the codec of t. seen breaks recursion through pointers.
func compile(t reflect.Type, seen map[reflect.Type]*codec) (codec, error) {
	if c, ok := seen[t]; ok {
		// A recursive type: call through the pointer, filled in below.
		return codec{
			enc: func(e *encoder, p unsafe.Pointer) { c.enc(e, p) },
			dec: func(d *decoder, p unsafe.Pointer) { c.dec(d, p) },
		}, nil
	}
	c := &codec{}
	seen[t] = c
	switch t.Kind() {
	case reflect.Bool:
		c.enc = func(e *encoder, p unsafe.Pointer) {
			if *(*bool)(p) {
				e.vals = append(e.vals, 1)
			} else {
				e.vals = append(e.vals, 0)
			}
		}
		c.dec = func(d *decoder, p unsafe.Pointer) {
			switch d.byte() {
			case 0:
			case 1:
				*(*bool)(p) = true
			default:
				d.fail()
			}
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		get, set, err := numAccess[int64](t)
		if err != nil {
			return codec{}, err
		}
		c.enc = func(e *encoder, p unsafe.Pointer) { e.vals = binary.AppendVarint(e.vals, get(p)) }
		c.dec = func(d *decoder, p unsafe.Pointer) {
			if x := d.varint(); !set(p, x) {
				d.fail()
			}
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		get, set, err := numAccess[uint64](t)
		if err != nil {
			return codec{}, err
		}
		c.enc = func(e *encoder, p unsafe.Pointer) { e.vals = binary.AppendUvarint(e.vals, get(p)) }
		c.dec = func(d *decoder, p unsafe.Pointer) {
			if x := d.uvarint(); !set(p, x) {
				d.fail()
			}
		}
	case reflect.String:
		c.enc = func(e *encoder, p unsafe.Pointer) { e.vals = binary.AppendUvarint(e.vals, e.str(*(*string)(p))) }
		c.dec = func(d *decoder, p unsafe.Pointer) {
			i := d.uvarint()
			if i >= uint64(len(d.strs)) {
				d.fail()
				return
			}
			if i > 0 {
				*(*string)(p) = d.strs[i]
			}
		}
	case reflect.Pointer:
		elem, err := compile(t.Elem(), seen)
		if err != nil {
			return codec{}, err
		}
		et := t.Elem()
		c.enc = func(e *encoder, p unsafe.Pointer) {
			q := *(*unsafe.Pointer)(p)
			if q == nil {
				e.vals = append(e.vals, 0)
				return
			}
			e.vals = append(e.vals, 1)
			elem.enc(e, q)
		}
		c.dec = func(d *decoder, p unsafe.Pointer) {
			switch d.byte() {
			case 0:
			case 1:
				q := reflect.New(et).UnsafePointer()
				elem.dec(d, q)
				*(*unsafe.Pointer)(p) = q
			default:
				d.fail()
			}
		}
	case reflect.Slice:
		elem, err := compile(t.Elem(), seen)
		if err != nil {
			return codec{}, err
		}
		size := t.Elem().Size()
		share := positionFree(t.Elem())
		c.enc = func(e *encoder, p unsafe.Pointer) {
			h := (*sliceHeader)(p)
			if h.data == nil {
				e.vals = append(e.vals, 0)
				return
			}
			e.vals = binary.AppendUvarint(e.vals, uint64(h.len)+1)
			for i := range h.len {
				elem.enc(e, unsafe.Add(h.data, uintptr(i)*size))
			}
		}
		c.dec = func(d *decoder, p unsafe.Pointer) {
			n := d.uvarint()
			if n == 0 {
				return
			}
			n--
			// Every element takes at least one byte: a corrupt length
			// cannot make us allocate more than the entry holds.
			if n > uint64(len(d.b)) {
				d.fail()
				return
			}
			if share && n > 0 && d.tmp != nil {
				if sc := d.tmp.scratch(t, int(n)); sc != nil {
					// Decoded where it costs nothing, and allocated only
					// if no equal slice was: a duplicate's array, freed
					// among the facts that stay, would leave a hole that
					// keeps its page resident.
					data := sc.v.UnsafePointer()
					for i := 0; i < int(n) && d.err == nil; i++ {
						elem.dec(d, unsafe.Add(data, uintptr(i)*size))
					}
					if d.err == nil {
						*(*sliceHeader)(p) = sliceHeader{data: d.in.slice(t, sc.v, int(n), uintptr(n)*size), len: int(n), cap: int(n)}
					}
					sc.release()
					return
				}
			}
			// MakeSlice rather than a raw allocation, so the collector
			// knows the elements' pointers; data keeps the array alive
			// until the header below holds it.
			data := reflect.MakeSlice(t, int(n), int(n)).UnsafePointer()
			for i := 0; i < int(n) && d.err == nil; i++ {
				elem.dec(d, unsafe.Add(data, uintptr(i)*size))
			}
			*(*sliceHeader)(p) = sliceHeader{data: data, len: int(n), cap: int(n)}
		}
	case reflect.Array:
		elem, err := compile(t.Elem(), seen)
		if err != nil {
			return codec{}, err
		}
		n, size := t.Len(), t.Elem().Size()
		c.enc = func(e *encoder, p unsafe.Pointer) {
			for i := range n {
				elem.enc(e, unsafe.Add(p, uintptr(i)*size))
			}
		}
		c.dec = func(d *decoder, p unsafe.Pointer) {
			for i := 0; i < n && d.err == nil; i++ {
				elem.dec(d, unsafe.Add(p, uintptr(i)*size))
			}
		}
	case reflect.Struct:
		type field struct {
			offset uintptr
			c      codec
		}
		var fields []field
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				return codec{}, fmt.Errorf("%s.%s: unexported fields cannot be cached", t, f.Name)
			}
			fc, err := compile(f.Type, seen)
			if err != nil {
				return codec{}, err
			}
			fields = append(fields, field{f.Offset, fc})
		}
		c.enc = func(e *encoder, p unsafe.Pointer) {
			for _, f := range fields {
				f.c.enc(e, unsafe.Add(p, f.offset))
			}
		}
		c.dec = func(d *decoder, p unsafe.Pointer) {
			for _, f := range fields {
				if d.err != nil {
					return
				}
				f.c.dec(d, unsafe.Add(p, f.offset))
			}
		}
	default:
		return codec{}, fmt.Errorf("%s: kind %s cannot be cached", t, t.Kind())
	}
	return *c, nil
}

// positionFree reports whether values of t hold only numbers, booleans,
// strings and slices of such, and no source position: field lists,
// handler and middleware keys, imported names. Slices of them repeat across
// the files of a project (at 5,000 plugins, 60,000 schema field lists hold
// 1,822 distinct ones), so a load keeps one copy of each. Anything with a
// position is left alone: its position makes it one of a kind, and an
// index of a million of them would only cost memory.
func positionFree(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.String:
		return true
	case reflect.Struct:
		if t == reflect.TypeFor[analysis.Pos]() {
			return false
		}
		for i := 0; i < t.NumField(); i++ {
			if !positionFree(t.Field(i).Type) {
				return false
			}
		}
		return true
	case reflect.Array, reflect.Slice:
		return positionFree(t.Elem())
	}
	return false
}

// numAccess reads an integer of t's kind and size at a pointer as a W,
// and stores a W there, reporting false for a value that does not fit.
func numAccess[W int64 | uint64](t reflect.Type) (get func(unsafe.Pointer) W, set func(unsafe.Pointer, W) bool, err error) {
	signed := t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64
	switch t.Size() {
	case 1:
		get, set = access[int8, uint8, W](signed)
	case 2:
		get, set = access[int16, uint16, W](signed)
	case 4:
		get, set = access[int32, uint32, W](signed)
	case 8:
		get, set = access[int64, uint64, W](signed)
	default:
		err = fmt.Errorf("%s: a %d-byte integer cannot be cached", t, t.Size())
	}
	return get, set, err
}

// access is numAccess for one size: through S when signed, else through U.
func access[S int8 | int16 | int32 | int64, U uint8 | uint16 | uint32 | uint64, W int64 | uint64](signed bool) (func(unsafe.Pointer) W, func(unsafe.Pointer, W) bool) {
	if signed {
		return func(p unsafe.Pointer) W { return W(*(*S)(p)) },
			func(p unsafe.Pointer, x W) bool { *(*S)(p) = S(x); return W(S(x)) == x }
	}
	return func(p unsafe.Pointer) W { return W(*(*U)(p)) },
		func(p unsafe.Pointer, x W) bool { *(*U)(p) = U(x); return W(U(x)) == x }
}

func (e *encoder) str(s string) uint64 {
	if s == "" {
		return 0
	}
	if i, ok := e.index[s]; ok {
		return i
	}
	i := uint64(len(e.strs))
	e.index[s] = i
	e.strs = append(e.strs, s)
	return i
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errCorrupt
	}
	d.b = nil
}

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	x, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return x
}

func (d *decoder) varint() int64 {
	x, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return x
}

// file appends the payload of f to dst. One encoder serves many entries:
// a fresh string index and value buffer per entry were a third of a cold
// run's encoding.
func (e *encoder) file(dst []byte, f *facts.File) ([]byte, error) {
	c, err := compiledFileCodec()
	if err != nil {
		return nil, err
	}
	// Clearing a map costs its capacity: after the generated client's
	// index (tens of thousands of strings) a new one is cheaper.
	if e.index == nil || len(e.index) > 4096 {
		e.index = map[string]uint64{}
	} else {
		clear(e.index)
	}
	e.strs = append(e.strs[:0], "")
	e.vals = e.vals[:0]
	c.enc(e, unsafe.Pointer(f))
	dst = binary.AppendUvarint(dst, uint64(len(e.strs)))
	for _, s := range e.strs[1:] {
		dst = binary.AppendUvarint(dst, uint64(len(s)))
	}
	for _, s := range e.strs[1:] {
		dst = append(dst, s...)
	}
	// The strings are f's: a pooled encoder that kept them would keep
	// whatever they point into alive (after the generated client, 11 MB
	// of its lines, at 5,000 plugins, until the pool was next drained).
	clear(e.strs)
	if len(e.index) > 4096 {
		e.index = nil
	} else {
		clear(e.index)
	}
	return append(dst, e.vals...), nil
}

// decodeBufs are the scratch slices of one entry's decoding.
type decodeBufs struct {
	dec  decoder
	lens []int
	strs []string
	// slices hold a shared slice type's elements while they decode.
	slices map[reflect.Type]*scratchSlice
}

// scratchSlice is a reusable array of one slice type's elements, in use
// by at most one slice at a time (a type nested in itself gets none).
type scratchSlice struct {
	v    reflect.Value // a settable slice of its type, len the elements in use
	busy bool
}

// scratch returns t's scratch with room for n zeroed elements, marked
// busy, or nil when t's is busy already.
func (b *decodeBufs) scratch(t reflect.Type, n int) *scratchSlice {
	if b.slices == nil {
		b.slices = map[reflect.Type]*scratchSlice{}
	}
	sc := b.slices[t]
	if sc == nil {
		sc = &scratchSlice{}
		b.slices[t] = sc
	}
	if sc.busy {
		return nil
	}
	if !sc.v.IsValid() || sc.v.Cap() < n {
		// Settable, so SetLen can reslice it without allocating a header
		// (reflect.Value.Slice does).
		sc.v = reflect.New(t).Elem()
		sc.v.Set(reflect.MakeSlice(t, max(n, 16), max(n, 16)))
	}
	sc.v.SetLen(n)
	sc.busy = true
	return sc
}

// release zeroes the n elements just used (equal values must have equal
// bytes, padding included, and the strings must not stay reachable) and
// frees the scratch for the next slice.
func (sc *scratchSlice) release() {
	sc.v.Clear()
	sc.busy = false
}

// decodeFile reads a payload encoder.file wrote; any inconsistency is an
// error, never a panic or a partly filled File. Strings come from in when
// it is not nil.
func decodeFile(b []byte, in *interner) (*facts.File, error) {
	c, err := compiledFileCodec()
	if err != nil {
		return nil, err
	}
	// The decoder and the string table's lengths and strings are needed
	// only while the entry decodes: a load reuses them (a fifth of a warm
	// load's garbage was these, per entry, freed among the facts).
	var tmp *decodeBufs
	if in != nil {
		tmp = in.bufs.Get().(*decodeBufs)
		defer func() {
			clear(tmp.strs)
			tmp.dec = decoder{}
			in.bufs.Put(tmp)
		}()
	} else {
		tmp = new(decodeBufs)
	}
	d := &tmp.dec
	*d = decoder{b: b, in: in}
	n := d.uvarint()
	if d.err != nil || n == 0 || n > uint64(len(b)) {
		return nil, errCorrupt
	}
	tmp.lens = slices.Grow(tmp.lens[:0], int(n))[:n]
	tmp.strs = slices.Grow(tmp.strs[:0], int(n))[:n]
	lens := tmp.lens
	total := 0
	for i := 1; i < int(n); i++ {
		l := d.uvarint()
		if d.err != nil || l > uint64(len(d.b)) {
			return nil, errCorrupt
		}
		lens[i] = int(l)
		total += int(l)
	}
	if total > len(d.b) {
		return nil, errCorrupt
	}
	d.strs = tmp.strs
	if in != nil {
		d.tmp = tmp
	}
	if in != nil {
		in.fill(d.strs, d.b[:total], lens)
	} else {
		// One allocation holds every string of the entry.
		all := string(d.b[:total])
		off := 0
		for i := 1; i < int(n); i++ {
			d.strs[i] = all[off : off+lens[i]]
			off += lens[i]
		}
	}
	d.b = d.b[total:]
	f := &facts.File{}
	c.dec(d, unsafe.Pointer(f))
	if d.err != nil || len(d.b) != 0 {
		return nil, errCorrupt
	}
	return f, nil
}
