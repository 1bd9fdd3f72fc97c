// Package factcache keeps the per-file facts of analysis/facts on disk, so a
// file whose bytes did not change since any earlier run is never parsed
// again. It implements project.FactsCache; the analysis packages know
// nothing of where or how entries are stored.
//
// The facts of one project root live in one pack file, indexed when the
// root is first asked for (one streaming pass that checks every entry),
// read an entry at a time as files are asked for, and rewritten (to a
// temporary file, then renamed into place) when a load of that root parsed
// something or no longer needed some entry. One file per project rather
// than one per source file: creating a file costs 150-280 µs of kernel time
// on a typical VM, which for 5,000 files doubled a cold run's CPU.
// Concurrent processes never see half a pack; the last to rename wins, and
// either pack is right.
//
// Every entry carries its key and a CRC-32C, checked when the pack is
// indexed and again when the entry is read; indexing stops at the first
// entry that does not check out, and a pack of another version, a
// directory where the pack should be or any read error counts as empty.
// Whatever is not read is parsed again and rewritten: the cache can make a
// run faster, never its answers different.
package factcache

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/donkeyls/donkeyls/analysis/facts"
)

// EnvDir overrides the default location.
const EnvDir = "DONKEYLS_CACHE_DIR"

// DefaultMaxBytes bounds the cache: about 50 projects of 5,000 files.
const DefaultMaxBytes = 512 << 20

// DefaultFlushWait bounds how long Close waits for pending writes; a
// process that must exit loses the rest, which only costs a later parse.
const DefaultFlushWait = 5 * time.Second

// packsDir is the one directory under the cache root this package owns;
// its name changes with the pack layout.
const packsDir = "facts-v2"

var magic = [4]byte{'D', 'L', 'P', 1}

const headerLen = len(magic) + 32

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func crcOf(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// Options configure Open.
type Options struct {
	// Dir is the cache root; "" means DefaultDir.
	Dir string
	// MaxBytes bounds the packs' total size; 0 means DefaultMaxBytes.
	MaxBytes int64
	// FlushWait bounds Close's wait for pending writes; 0 means DefaultFlushWait.
	FlushWait time.Duration
	// Version is mixed into the version key beside the build's own; tests
	// use it to play a different binary.
	Version string
}

// Stats counts what a cache did.
type Stats struct {
	Hits, Misses, Writes, WriteErrors int64
}

// Cache is a facts cache rooted in one directory. Its methods are safe for
// concurrent use.
type Cache struct {
	dir     string // the packs directory
	max     int64
	wait    time.Duration
	version [32]byte

	mu     sync.Mutex
	packs  map[string]*pack
	closed bool
	// writes tracks background pack writes; writeMu keeps them one at a
	// time, so a process never races itself on a pack or the trim.
	writes  sync.WaitGroup
	writeMu sync.Mutex

	hits, misses, written, writeErrs atomic.Int64
	// encoders serve Put, one per parsing worker at a time: a fresh string
	// index and buffers per entry were a third of a cold run's encoding.
	encoders sync.Pool
	// readBufs serve Get: an entry is read into one, decoded, and the
	// buffer reused for the next. A free list rather than a sync.Pool,
	// which every collection empties: its buffers, allocated again and
	// again among the facts a load keeps, left holes in their pages.
	readMu   sync.Mutex
	readBufs [][]byte
}

// pack is the cached facts of one project root.
type pack struct {
	mu   sync.Mutex
	path string
	// file is the pack opened by the current load and disk its index: where
	// each entry is in it, by key. Both nil between loads, so a server does
	// not keep the pack open. Entries are read from the file one at a time
	// when asked for, so the raw pack (29 MB at 5,000 plugins) is never
	// live beside the facts decoded from it.
	file *packFile
	disk map[[32]byte]span
	// used are the entries the current load took or put: the next pack.
	// parsed is set once it put one (a file it parsed).
	used map[[32]byte]usedEntry
	// spool holds the payloads the current load put (see Put); spoolErr
	// keeps a load from retrying a spool that failed.
	spool    *spool
	spoolErr error
	parsed   bool
	mtime    time.Time
	// strs shares strings among the entries of one load; dropped with disk.
	strs *interner
}

// span is where an entry is in its pack: the offset of its key, and its
// payload's length.
type span struct {
	off int64
	n   uint32
}

// usedEntry is one entry of the next pack: a payload this load encoded
// (in the load's spool at at, or in memory when the spool failed), or an
// entry of a pack it read, copied from that file when the next pack is
// written.
type usedEntry struct {
	payload []byte
	src     *packFile // the pack at holds the entry in
	spooled bool      // at is the payload's place in the load's spool
	at      span
}

// packFile is an open pack shared by the load that opened it, the Gets
// reading from it and the writer copying its entries into the next pack;
// the last to let go closes it.
type packFile struct {
	f    *os.File
	refs atomic.Int32
}

// acquire takes a reference unless the file is already closed.
func (pf *packFile) acquire() bool {
	for {
		n := pf.refs.Load()
		if n <= 0 {
			return false
		}
		if pf.refs.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

func (pf *packFile) release() {
	if pf.refs.Add(-1) == 0 {
		pf.f.Close()
	}
}

// readEntry reads the entry at sp into buf (grown when short) and returns
// its payload, or false when the file no longer holds a sound entry for key
// there: a pack changed or cut short since it was indexed is a miss, never
// a wrong answer (and, unlike a memory-mapped pack, never a SIGBUS).
func (pf *packFile) readEntry(key [32]byte, sp span, buf []byte) (payload, grown []byte, ok bool) {
	n := 36 + int(sp.n) + 4
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := pf.f.ReadAt(buf, sp.off); err != nil {
		return nil, buf, false
	}
	if !bytes.Equal(buf[:32], key[:]) || binary.LittleEndian.Uint32(buf[32:36]) != sp.n ||
		crcOf(buf[:36+sp.n]) != binary.LittleEndian.Uint32(buf[36+sp.n:]) {
		return nil, buf, false
	}
	return buf[36 : 36+sp.n], buf, true
}

// DefaultDir is $DONKEYLS_CACHE_DIR, or donkeyls under the user's cache
// directory.
func DefaultDir() (string, error) {
	if d := os.Getenv(EnvDir); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding the user cache directory (set %s): %w", EnvDir, err)
	}
	return filepath.Join(d, "donkeyls"), nil
}

// Open returns a cache in opts.Dir. Nothing is created on disk until a
// pack is written.
func Open(opts Options) (*Cache, error) {
	dir := opts.Dir
	if dir == "" {
		d, err := DefaultDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("resolving the cache directory %s: %w", dir, err)
	}
	if _, err := compiledFileCodec(); err != nil {
		return nil, fmt.Errorf("facts cannot be cached: %w", err)
	}
	c := &Cache{
		dir:     filepath.Join(dir, packsDir),
		max:     opts.MaxBytes,
		wait:    opts.FlushWait,
		version: versionKey(opts.Version),
		packs:   map[string]*pack{},
	}
	c.encoders.New = func() any { return new(putEncoder) }
	if c.max <= 0 {
		c.max = DefaultMaxBytes
	}
	if c.wait <= 0 {
		c.wait = DefaultFlushWait
	}
	return c, nil
}

// Stats returns the counts so far.
func (c *Cache) Stats() Stats {
	return Stats{Hits: c.hits.Load(), Misses: c.misses.Load(), Writes: c.written.Load(), WriteErrors: c.writeErrs.Load()}
}

func (c *Cache) pack(root string) *pack {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.packs[root]
	if p == nil {
		h := sha256.New()
		h.Write(c.version[:])
		h.Write([]byte(root))
		name := hex.EncodeToString(h.Sum(nil))
		p = &pack{path: filepath.Join(c.dir, name[:40]+".pack"), used: map[[32]byte]usedEntry{}}
		c.packs[root] = p
	}
	return p
}

// ensure opens and indexes the pack unless a load already did; anything
// unreadable leaves it empty. p.mu is held.
func (p *pack) ensure(version [32]byte) {
	if p.disk != nil {
		return
	}
	p.disk = map[[32]byte]span{}
	p.strs = newInterner(0)
	f, err := os.Open(p.path)
	if err != nil {
		return
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		f.Close()
		return
	}
	p.mtime = st.ModTime()
	// Sized from the pack at once (at 5,000 plugins an entry is about
	// 1.2 KB and holds a new string per 180 bytes): growing them as the
	// load goes was a tenth of its garbage.
	hint := int(min(st.Size(), 1<<30))
	p.disk = make(map[[32]byte]span, hint/1024)
	p.strs = newInterner(hint / 256)
	defer func() {
		if len(p.used) == 0 {
			// A warm load uses about every entry: no growing as it goes.
			p.used = make(map[[32]byte]usedEntry, len(p.disk))
		}
	}()
	pf := &packFile{f: f}
	pf.refs.Store(1) // the pack's own, released by Done
	p.file = pf
	indexPack(bufio.NewReaderSize(f, 256<<10), st.Size(), version, func(key [32]byte, sp span) { p.disk[key] = sp })
}

// indexPack calls fn for each sound entry of the size bytes r reads,
// stopping at the first that is not. It checks every entry's checksum as
// it streams past, holding no more of the pack than r's buffer.
func indexPack(r *bufio.Reader, size int64, version [32]byte, fn func(key [32]byte, sp span)) {
	var head [headerLen]byte
	if _, err := io.ReadFull(r, head[:]); err != nil || !bytes.Equal(head[:4], magic[:]) || !bytes.Equal(head[4:], version[:]) {
		return
	}
	off := int64(headerLen)
	var h [36]byte
	for size-off >= 32+4+4 {
		if _, err := io.ReadFull(r, h[:]); err != nil {
			return
		}
		n := binary.LittleEndian.Uint32(h[32:36])
		if int64(n) > size-off-40 {
			return
		}
		sum := crc32.Update(0, castagnoli, h[:])
		for rem := int(n); rem > 0; {
			// A short Peek returns what there is: the file ended early.
			b, _ := r.Peek(min(rem, r.Size()))
			if len(b) == 0 {
				return
			}
			sum = crc32.Update(sum, castagnoli, b)
			r.Discard(len(b))
			rem -= len(b)
		}
		var tail [4]byte
		if _, err := io.ReadFull(r, tail[:]); err != nil || binary.LittleEndian.Uint32(tail[:]) != sum {
			return
		}
		fn([32]byte(h[:32]), span{off: off, n: n})
		off += 40 + int64(n)
	}
}

// Get returns the facts stored under key for root's project, or false.
func (c *Cache) Get(root string, key [32]byte) (*facts.File, bool) {
	p := c.pack(root)
	p.mu.Lock()
	p.ensure(c.version)
	sp, ok := p.disk[key]
	strs, pf := p.strs, p.file
	ok = ok && pf.acquire()
	p.mu.Unlock()
	if !ok {
		c.misses.Add(1)
		return nil, false
	}
	payload, buf, ok := pf.readEntry(key, sp, c.readBuf())
	var f *facts.File
	err := errCorrupt
	if ok {
		// The payload is garbage once decoded: the facts share no bytes
		// with it (strings are copied through the interner).
		f, err = decodeFile(payload, strs)
	}
	c.putReadBuf(buf)
	if err != nil {
		pf.release()
		c.misses.Add(1)
		return nil, false
	}
	p.mu.Lock()
	// The reference taken above stays with the entry until the next pack
	// is written or the load ends.
	p.use(key, usedEntry{src: pf, at: sp})
	p.mu.Unlock()
	c.hits.Add(1)
	return f, true
}

func (c *Cache) readBuf() []byte {
	c.readMu.Lock()
	defer c.readMu.Unlock()
	if n := len(c.readBufs); n > 0 {
		b := c.readBufs[n-1]
		c.readBufs = c.readBufs[:n-1]
		return b
	}
	return nil
}

// putReadBuf keeps b for the next read, one per parsing worker or so.
func (c *Cache) putReadBuf(b []byte) {
	if cap(b) > maxPooledRead {
		return
	}
	c.readMu.Lock()
	defer c.readMu.Unlock()
	if len(c.readBufs) < 2*runtime.GOMAXPROCS(0) {
		c.readBufs = append(c.readBufs, b)
	}
}

// maxPooledRead bounds the read buffers kept for reuse: the one entry of a
// 20 MB generated client should not stay allocated for the process's life.
const maxPooledRead = 1 << 20

// Put keeps f under key for root's project; Done writes it. It returns
// the facts the caller should keep instead of f: f decoded again from its
// entry, which holds exactly as much as it needs (the extractor's slices
// have room to grow, a quarter of their bytes at 5,000 plugins) and shares
// its strings with every other entry of the load (the extractor allocates
// each one anew): 35 MB less at 5,000 plugins, for a decode that is about
// 4 % of a cold load's CPU. f itself when it cannot be encoded.
func (c *Cache) Put(root string, key [32]byte, f *facts.File) *facts.File {
	pe := c.encoders.Get().(*putEncoder)
	defer c.encoders.Put(pe)
	buf, err := pe.enc.file(pe.buf[:0], f)
	if err != nil {
		return f
	}
	pe.buf = buf
	p := c.pack(root)
	p.mu.Lock()
	strs := p.strs
	p.mu.Unlock()
	// The decoded copy shares no bytes with buf (its strings come from the
	// interner), so buf can be reused for the next entry.
	kept, err := decodeFile(buf, strs)
	if err != nil {
		// The codec failed to read what it just wrote: a bug, counted
		// among the write errors (Stats), and never an entry.
		c.writeErrs.Add(1)
		return f
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.parsed = true
	// The entry goes to the load's spool file rather than staying in
	// memory until the pack is written: a cold load of 5,000 plugins held
	// 29 MB of entries through its whole second half, which the collector
	// paced as live heap. Held in memory only when the spool cannot be
	// written.
	if p.spool == nil && p.spoolErr == nil {
		p.spool, p.spoolErr = newSpool(c.dir)
	}
	if p.spool != nil {
		at, err := p.spool.add(buf)
		if err == nil {
			p.use(key, usedEntry{spooled: true, at: at})
			return kept
		}
		p.spoolErr = err
	}
	p.use(key, usedEntry{payload: bytes.Clone(buf)})
	return kept
}

// use records e as key's entry of the next pack, letting go of the file an
// earlier record of key held. p.mu is held.
func (p *pack) use(key [32]byte, e usedEntry) {
	if old, ok := p.used[key]; ok && old.src != nil {
		old.src.release()
	}
	p.used[key] = e
}

// releaseAll lets go of every pack file the entries of used hold.
func releaseAll(used map[[32]byte]usedEntry) {
	for _, e := range used {
		if e.src != nil {
			e.src.release()
		}
	}
}

// putEncoder is an encoder with its output buffer, reused across entries.
type putEncoder struct {
	enc encoder
	buf []byte
}

// Done ends a load of root: when it parsed anything, or left an entry of the
// pack unused (a file changed or went away), the pack is rewritten with
// exactly what the load used, in the background. Otherwise at most its
// modification time is refreshed, which eviction goes by.
func (c *Cache) Done(root string) {
	p := c.pack(root)
	p.mu.Lock()
	p.ensure(c.version)
	used, sp := p.used, p.spool
	changed := p.parsed || len(used) != len(p.disk)
	p.used, p.spool, p.spoolErr, p.parsed = map[[32]byte]usedEntry{}, nil, nil, false
	// The next load reads the pack again (the new one, once written); the
	// entries in used keep this one open until they are copied.
	if p.file != nil {
		p.file.release()
	}
	p.disk, p.strs, p.file = nil, nil, nil
	stale := !p.mtime.IsZero() && time.Since(p.mtime) > time.Hour
	p.mu.Unlock()
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		releaseAll(used)
		sp.remove()
		return
	}
	c.writes.Add(1)
	c.mu.Unlock()
	if !changed {
		releaseAll(used)
	}
	go func() {
		defer c.writes.Done()
		defer sp.remove()
		c.writeMu.Lock()
		defer c.writeMu.Unlock()
		if !changed {
			if stale {
				now := time.Now()
				_ = os.Chtimes(p.path, now, now)
			}
			return
		}
		if err := c.write(p.path, used, sp); err != nil {
			c.writeErrs.Add(1)
			return
		}
		c.written.Add(1)
		c.trim(p.path)
	}()
}

// Close waits for pending writes, at most the flush bound. The cache must
// not be used after.
func (c *Cache) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	done := make(chan struct{})
	go func() {
		c.writes.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-time.After(c.wait):
		err = fmt.Errorf("facts cache: gave up flushing after %v", c.wait)
	}
	// A load that failed never called Done: its spool is of no use.
	c.mu.Lock()
	packs := make([]*pack, 0, len(c.packs))
	for _, p := range c.packs {
		packs = append(packs, p)
	}
	c.mu.Unlock()
	for _, p := range packs {
		p.mu.Lock()
		sp := p.spool
		p.spool = nil
		p.mu.Unlock()
		sp.remove()
	}
	return err
}

// write replaces the pack at path with the entries of this load (reused
// from the old pack or put), sorted by key so equal contents give equal
// files, and lets go of the old pack's file. The entries are already
// encoded (Put encodes on the parsing worker); an entry of the old pack is
// copied from its file as it stands, checked again on the way, and left
// out if it no longer checks out (a later load parses that file); a put
// one is read back from the load's spool, sp. Nothing is assembled in
// memory.
func (c *Cache) write(path string, used map[[32]byte]usedEntry, sp *spool) error {
	// Every old file is closed before the rename, which some systems
	// refuse over an open file.
	released := false
	defer func() {
		if !released {
			releaseAll(used)
		}
	}()
	keys := make([][32]byte, 0, len(used))
	for k := range used {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return bytes.Compare(keys[i][:], keys[j][:]) < 0 })
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", c.dir, err)
	}
	tmp, err := os.CreateTemp(c.dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("writing a facts pack: %w", err)
	}
	if sp != nil {
		if err := sp.flush(); err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			return fmt.Errorf("writing a facts pack: %w", err)
		}
	}
	w := bufio.NewWriterSize(tmp, 256<<10)
	w.Write(magic[:])
	w.Write(c.version[:])
	var n [4]byte
	var buf, spoolBuf []byte
	var rerr error
	for _, k := range keys {
		e := used[k]
		if e.src != nil {
			var ok bool
			if _, buf, ok = e.src.readEntry(k, e.at, buf); ok {
				w.Write(buf) // key, length, payload and checksum, as they were
			}
			continue
		}
		v := e.payload
		if e.spooled {
			if cap(spoolBuf) < int(e.at.n) {
				spoolBuf = make([]byte, e.at.n)
			}
			v = spoolBuf[:e.at.n]
			if _, err := sp.f.ReadAt(v, e.at.off); err != nil {
				rerr = fmt.Errorf("reading back a spooled entry: %w", err)
				break
			}
		}
		binary.LittleEndian.PutUint32(n[:], uint32(len(v)))
		sum := crc32.Update(crc32.Update(crc32.Update(0, castagnoli, k[:]), castagnoli, n[:]), castagnoli, v)
		w.Write(k[:])
		w.Write(n[:])
		w.Write(v)
		binary.LittleEndian.PutUint32(n[:], sum)
		w.Write(n[:])
	}
	releaseAll(used)
	released = true
	werr := w.Flush() // bufio keeps the first error
	cerr := tmp.Close()
	if err := errors.Join(rerr, werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing a facts pack: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		// A directory where the pack belongs (or any other squatter) is
		// removed once; failing that, the project is simply not cached.
		if os.RemoveAll(path) != nil || os.Rename(tmp.Name(), path) != nil {
			os.Remove(tmp.Name())
			return fmt.Errorf("placing a facts pack: %w", err)
		}
	}
	return nil
}

// trim removes the least recently used packs (by modification time) until
// the cache is under its bound; keep, just written, always stays.
// Temporary files older than an hour are leftovers of killed processes.
func (c *Cache) trim(keep string) {
	type entry struct {
		path  string
		size  int64
		mtime time.Time
	}
	var entries []entry
	var total int64
	now := time.Now()
	ents, err := os.ReadDir(c.dir)
	if err != nil {
		return
	}
	for _, d := range ents {
		info, err := d.Info()
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		path := filepath.Join(c.dir, d.Name())
		if d.Name()[0] == '.' {
			if now.Sub(info.ModTime()) > time.Hour {
				os.Remove(path)
			}
			continue
		}
		total += info.Size()
		if path != keep {
			entries = append(entries, entry{path, info.Size(), info.ModTime()})
		}
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].mtime.Before(entries[j].mtime) })
	for _, e := range entries {
		if total <= c.max {
			break
		}
		if os.Remove(e.path) == nil {
			total -= e.size
		}
	}
}

// spool is a temporary file of the payloads one load put, in the order
// they came; write reads them back in key order. It is a temporary file of
// the packs directory, so a killed process's spool is removed by trim like
// any other leftover.
type spool struct {
	f   *os.File
	w   *bufio.Writer
	off int64
}

func newSpool(dir string) (*spool, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, ".tmp-spool-*")
	if err != nil {
		return nil, fmt.Errorf("spooling facts: %w", err)
	}
	return &spool{f: f, w: bufio.NewWriterSize(f, 256<<10)}, nil
}

// add appends payload; the caller holds the pack's lock.
func (s *spool) add(payload []byte) (span, error) {
	if _, err := s.w.Write(payload); err != nil {
		return span{}, fmt.Errorf("spooling facts: %w", err)
	}
	at := span{off: s.off, n: uint32(len(payload))}
	s.off += int64(len(payload))
	return at, nil
}

func (s *spool) flush() error { return s.w.Flush() }

// remove closes and deletes the spool; nil does nothing.
func (s *spool) remove() {
	if s == nil {
		return
	}
	s.f.Close()
	os.Remove(s.f.Name())
}
