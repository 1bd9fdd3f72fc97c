// Package factcache keeps the per-file facts of analysis/facts on disk, so a
// file whose bytes did not change since any earlier run is never parsed
// again. It implements project.FactsCache; the analysis packages know
// nothing of where or how entries are stored.
//
// The facts of one project root live in one pack file, read whole when the
// root is first asked for and rewritten (to a temporary file, then renamed
// into place) when a load of that root parsed something or no longer needed
// some entry. One file per project rather than one per source file: creating
// a file costs 150-280 µs of kernel time on a typical VM, which for 5,000
// files doubled a cold run's CPU. Concurrent processes never see half a
// pack; the last to rename wins, and either pack is right.
//
// Every entry carries its key and a CRC-32C; reading stops at the first
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
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/donkeyls/donkeyls/analysis/facts"
	"github.com/donkeyls/donkeyls/internal/srcfile"
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
}

// pack is the cached facts of one project root.
type pack struct {
	mu   sync.Mutex
	path string
	// disk holds the payloads read from the pack, by key, while a load
	// runs; nil between loads, so a server does not keep the raw pack.
	disk map[[32]byte][]byte
	// used are the payloads the current load took from disk, and spooled
	// where in spool those it put are: together, the next pack. parsed is
	// set once it put one (a file it parsed).
	used    map[[32]byte][]byte
	spooled map[[32]byte]span
	spool   *spool
	// spoolErr keeps a load from retrying a spool that failed.
	spoolErr error
	parsed   bool
	mtime    time.Time
	// strs shares strings among the entries of one load; dropped with disk.
	strs *interner
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
		p = &pack{path: filepath.Join(c.dir, name[:40]+".pack"), used: map[[32]byte][]byte{}, spooled: map[[32]byte]span{}}
		c.packs[root] = p
	}
	return p
}

// ensure reads the pack unless a load already did; anything unreadable
// leaves it empty. p.mu is held.
func (p *pack) ensure(version [32]byte) {
	if p.disk != nil {
		return
	}
	p.disk = map[[32]byte][]byte{}
	p.strs = newInterner()
	b, mtime, err := srcfile.ReadModTime(p.path)
	if err != nil {
		return
	}
	p.mtime = mtime
	readPack(b, version, func(key [32]byte, payload []byte) { p.disk[key] = payload })
}

// readPack calls fn for each sound entry of b, stopping at the first that
// is not.
func readPack(b []byte, version [32]byte, fn func(key [32]byte, payload []byte)) {
	if len(b) < headerLen || !bytes.Equal(b[:4], magic[:]) || !bytes.Equal(b[4:headerLen], version[:]) {
		return
	}
	b = b[headerLen:]
	for len(b) >= 32+4+4 {
		n := binary.LittleEndian.Uint32(b[32:36])
		if uint64(n) > uint64(len(b)-40) {
			return
		}
		entry := b[:36+n]
		if crcOf(entry) != binary.LittleEndian.Uint32(b[36+n:40+n]) {
			return
		}
		var key [32]byte
		copy(key[:], entry[:32])
		fn(key, entry[36:])
		b = b[40+n:]
	}
}

// Get returns the facts stored under key for root's project, or false.
func (c *Cache) Get(root string, key [32]byte) (*facts.File, bool) {
	p := c.pack(root)
	p.mu.Lock()
	p.ensure(c.version)
	payload, ok := p.disk[key]
	strs := p.strs
	p.mu.Unlock()
	if !ok {
		c.misses.Add(1)
		return nil, false
	}
	f, err := decodeFile(payload, strs)
	if err != nil {
		c.misses.Add(1)
		return nil, false
	}
	p.mu.Lock()
	p.used[key] = payload
	p.mu.Unlock()
	c.hits.Add(1)
	return f, true
}

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
			delete(p.used, key)
			p.spooled[key] = at
			return kept
		}
		p.spoolErr = err
	}
	delete(p.spooled, key)
	p.used[key] = bytes.Clone(buf)
	return kept
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
	used, spooled, sp := p.used, p.spooled, p.spool
	changed := p.parsed || len(used) != len(p.disk)
	p.used, p.spooled, p.spool, p.spoolErr, p.parsed = map[[32]byte][]byte{}, map[[32]byte]span{}, nil, nil, false
	// The next load reads the pack again (the new one, once written).
	p.disk, p.strs = nil, nil
	stale := !p.mtime.IsZero() && time.Since(p.mtime) > time.Hour
	p.mu.Unlock()
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		sp.remove()
		return
	}
	c.writes.Add(1)
	c.mu.Unlock()
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
		if err := c.write(p.path, used, spooled, sp); err != nil {
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
		p.spool, p.spooled = nil, map[[32]byte]span{}
		p.mu.Unlock()
		sp.remove()
	}
	return err
}

// write replaces the pack at path with the entries of this load (reused
// from the old pack, in used, or put, in spooled at their place in sp),
// sorted by key so equal contents give equal files. The entries are
// already encoded (Put encodes on the parsing worker); it streams them out
// without assembling the pack in memory, reading spooled ones back one at
// a time.
func (c *Cache) write(path string, used map[[32]byte][]byte, spooled map[[32]byte]span, sp *spool) error {
	keys := make([][32]byte, 0, len(used)+len(spooled))
	for k := range used {
		keys = append(keys, k)
	}
	for k := range spooled {
		if _, ok := used[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return bytes.Compare(keys[i][:], keys[j][:]) < 0 })
	if len(spooled) > 0 {
		if err := sp.flush(); err != nil {
			return fmt.Errorf("writing a facts pack: %w", err)
		}
	}
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", c.dir, err)
	}
	tmp, err := os.CreateTemp(c.dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("writing a facts pack: %w", err)
	}
	w := bufio.NewWriterSize(tmp, 256<<10)
	w.Write(magic[:])
	w.Write(c.version[:])
	var n [4]byte
	var buf []byte
	var rerr error
	for _, k := range keys {
		v, ok := used[k]
		if !ok {
			at := spooled[k]
			if cap(buf) < int(at.n) {
				buf = make([]byte, at.n)
			}
			v = buf[:at.n]
			if _, err := sp.f.ReadAt(v, at.off); err != nil {
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

// span is where one spooled payload lies in its spool file.
type span struct {
	off int64
	n   uint32
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
