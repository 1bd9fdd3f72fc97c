package factcache

import (
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"sync"

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
}

type codec struct {
	enc func(e *encoder, v reflect.Value)
	dec func(d *decoder, v reflect.Value)
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
			enc: func(e *encoder, v reflect.Value) { c.enc(e, v) },
			dec: func(d *decoder, v reflect.Value) { c.dec(d, v) },
		}, nil
	}
	c := &codec{}
	seen[t] = c
	switch t.Kind() {
	case reflect.Bool:
		c.enc = func(e *encoder, v reflect.Value) {
			if v.Bool() {
				e.vals = append(e.vals, 1)
			} else {
				e.vals = append(e.vals, 0)
			}
		}
		c.dec = func(d *decoder, v reflect.Value) {
			switch d.byte() {
			case 0:
			case 1:
				v.SetBool(true)
			default:
				d.fail()
			}
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		c.enc = func(e *encoder, v reflect.Value) { e.vals = binary.AppendVarint(e.vals, v.Int()) }
		c.dec = func(d *decoder, v reflect.Value) {
			x := d.varint()
			if v.OverflowInt(x) {
				d.fail()
				return
			}
			v.SetInt(x)
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		c.enc = func(e *encoder, v reflect.Value) { e.vals = binary.AppendUvarint(e.vals, v.Uint()) }
		c.dec = func(d *decoder, v reflect.Value) {
			x := d.uvarint()
			if v.OverflowUint(x) {
				d.fail()
				return
			}
			v.SetUint(x)
		}
	case reflect.String:
		c.enc = func(e *encoder, v reflect.Value) { e.vals = binary.AppendUvarint(e.vals, e.str(v.String())) }
		c.dec = func(d *decoder, v reflect.Value) {
			i := d.uvarint()
			if i >= uint64(len(d.strs)) {
				d.fail()
				return
			}
			if i > 0 {
				v.SetString(d.strs[i])
			}
		}
	case reflect.Pointer:
		elem, err := compile(t.Elem(), seen)
		if err != nil {
			return codec{}, err
		}
		c.enc = func(e *encoder, v reflect.Value) {
			if v.IsNil() {
				e.vals = append(e.vals, 0)
				return
			}
			e.vals = append(e.vals, 1)
			elem.enc(e, v.Elem())
		}
		c.dec = func(d *decoder, v reflect.Value) {
			switch d.byte() {
			case 0:
			case 1:
				p := reflect.New(t.Elem())
				elem.dec(d, p.Elem())
				v.Set(p)
			default:
				d.fail()
			}
		}
	case reflect.Slice:
		elem, err := compile(t.Elem(), seen)
		if err != nil {
			return codec{}, err
		}
		c.enc = func(e *encoder, v reflect.Value) {
			if v.IsNil() {
				e.vals = append(e.vals, 0)
				return
			}
			n := v.Len()
			e.vals = binary.AppendUvarint(e.vals, uint64(n)+1)
			for i := range n {
				elem.enc(e, v.Index(i))
			}
		}
		c.dec = func(d *decoder, v reflect.Value) {
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
			s := reflect.MakeSlice(t, int(n), int(n))
			for i := 0; i < int(n) && d.err == nil; i++ {
				elem.dec(d, s.Index(i))
			}
			v.Set(s)
		}
	case reflect.Array:
		elem, err := compile(t.Elem(), seen)
		if err != nil {
			return codec{}, err
		}
		n := t.Len()
		c.enc = func(e *encoder, v reflect.Value) {
			for i := range n {
				elem.enc(e, v.Index(i))
			}
		}
		c.dec = func(d *decoder, v reflect.Value) {
			for i := 0; i < n && d.err == nil; i++ {
				elem.dec(d, v.Index(i))
			}
		}
	case reflect.Struct:
		type field struct {
			index int
			c     codec
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
			fields = append(fields, field{i, fc})
		}
		c.enc = func(e *encoder, v reflect.Value) {
			for _, f := range fields {
				f.c.enc(e, v.Field(f.index))
			}
		}
		c.dec = func(d *decoder, v reflect.Value) {
			for _, f := range fields {
				if d.err != nil {
					return
				}
				f.c.dec(d, v.Field(f.index))
			}
		}
	default:
		return codec{}, fmt.Errorf("%s: kind %s cannot be cached", t, t.Kind())
	}
	return *c, nil
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

// encodeFile appends the payload of f to dst.
func encodeFile(dst []byte, f *facts.File) ([]byte, error) {
	c, err := compiledFileCodec()
	if err != nil {
		return nil, err
	}
	e := &encoder{index: map[string]uint64{}, strs: []string{""}}
	c.enc(e, reflect.ValueOf(f).Elem())
	dst = binary.AppendUvarint(dst, uint64(len(e.strs)))
	for _, s := range e.strs[1:] {
		dst = binary.AppendUvarint(dst, uint64(len(s)))
	}
	for _, s := range e.strs[1:] {
		dst = append(dst, s...)
	}
	return append(dst, e.vals...), nil
}

// decodeFile reads a payload encodeFile wrote; any inconsistency is an
// error, never a panic or a partly filled File. Strings come from in when
// it is not nil.
func decodeFile(b []byte, in *interner) (*facts.File, error) {
	c, err := compiledFileCodec()
	if err != nil {
		return nil, err
	}
	d := &decoder{b: b}
	n := d.uvarint()
	if d.err != nil || n == 0 || n > uint64(len(b)) {
		return nil, errCorrupt
	}
	lens := make([]int, n)
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
	d.strs = make([]string, n)
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
	c.dec(d, reflect.ValueOf(f).Elem())
	if d.err != nil || len(d.b) != 0 {
		return nil, errCorrupt
	}
	return f, nil
}
