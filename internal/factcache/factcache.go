// Package factcache keeps the per-file facts of analysis/facts on disk, so a
// file whose bytes did not change since any earlier run is never parsed
// again. It implements project.FactsCache; the analysis packages know
// nothing of where or how entries are stored.
//
// An entry is one file named by a hash of the binary's version key and the
// caller's key. It is written to a temporary file and renamed into place, so
// concurrent processes never see half an entry, and it ends with a CRC-32C
// of everything before it. Anything that does not check out (truncated,
// flipped bits, another version, a directory where the file should be, any
// read error) is a miss: the facts are extracted again and the entry
// rewritten. The cache can make a run faster, never its answers different.
package factcache

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
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

// DefaultFlushWait bounds how long Close waits for queued writes; a
// process that must exit loses the rest, which only costs a later parse.
const DefaultFlushWait = 2 * time.Second

// entriesDir is the one directory under the cache root this package owns;
// its name changes with the entry layout.
const entriesDir = "facts-v1"

var magic = [4]byte{'D', 'L', 'F', 1}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func crcOf(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// Options configure Open.
type Options struct {
	// Dir is the cache root; "" means DefaultDir.
	Dir string
	// MaxBytes bounds the entries' total size; 0 means DefaultMaxBytes.
	MaxBytes int64
	// FlushWait bounds Close's wait for queued writes; 0 means DefaultFlushWait.
	FlushWait time.Duration
	// Version is mixed into every entry's version key beside the build's
	// own; tests use it to play a different binary.
	Version string
}

// Stats counts what a cache did.
type Stats struct {
	Hits, Misses, Writes, WriteErrors int64
}

// Cache is a facts cache rooted in one directory. Its methods are safe for
// concurrent use.
type Cache struct {
	dir     string // the entries directory
	max     int64
	wait    time.Duration
	version [32]byte
	// pending are the entries Put queued for the writer, which wake
	// signals; closed is set by Close.
	mu       sync.Mutex
	pending  []put
	closed   bool
	wake     chan struct{}
	done     chan struct{}
	closeOne sync.Once

	hits, misses, writes, writeErrs atomic.Int64
}

type put struct {
	key [32]byte
	f   *facts.File
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

// Open returns a cache in opts.Dir. Nothing is created on disk until the
// first entry is written.
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
		dir:     filepath.Join(dir, entriesDir),
		max:     opts.MaxBytes,
		wait:    opts.FlushWait,
		version: versionKey(opts.Version),
		wake:    make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
	if c.max <= 0 {
		c.max = DefaultMaxBytes
	}
	if c.wait <= 0 {
		c.wait = DefaultFlushWait
	}
	go c.writer()
	return c, nil
}

// Stats returns the counts so far.
func (c *Cache) Stats() Stats {
	return Stats{Hits: c.hits.Load(), Misses: c.misses.Load(), Writes: c.writes.Load(), WriteErrors: c.writeErrs.Load()}
}

func (c *Cache) path(key [32]byte) string {
	h := sha256.New()
	h.Write(c.version[:])
	h.Write(key[:])
	name := hex.EncodeToString(h.Sum(nil))
	return filepath.Join(c.dir, name[:2], name[2:])
}

// Get returns the facts stored under key, or false for anything that is
// not a sound entry of this version.
func (c *Cache) Get(key [32]byte) (*facts.File, bool) {
	path := c.path(key)
	b, mtime, err := srcfile.ReadModTime(path)
	if err != nil {
		c.misses.Add(1)
		return nil, false
	}
	f, err := c.decode(key, b)
	if err != nil {
		c.misses.Add(1)
		return nil, false
	}
	c.hits.Add(1)
	// Eviction goes by modification time; refreshing it at most hourly
	// keeps a warm run from costing a system call per entry.
	if now := time.Now(); now.Sub(mtime) > time.Hour {
		_ = os.Chtimes(path, now, now)
	}
	return f, true
}

func (c *Cache) decode(key [32]byte, b []byte) (*facts.File, error) {
	const head = len(magic) + 32 + 32
	if len(b) < head+4 {
		return nil, errCorrupt
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if crcOf(body) != sum {
		return nil, errCorrupt
	}
	if !bytes.Equal(body[:4], magic[:]) || !bytes.Equal(body[4:36], c.version[:]) || !bytes.Equal(body[36:68], key[:]) {
		return nil, errCorrupt
	}
	return decodeFile(body[head:])
}

func (c *Cache) encode(key [32]byte, f *facts.File) ([]byte, error) {
	b := make([]byte, 0, 1024)
	b = append(b, magic[:]...)
	b = append(b, c.version[:]...)
	b = append(b, key[:]...)
	b, err := encodeFile(b, f)
	if err != nil {
		return nil, err
	}
	return binary.LittleEndian.AppendUint32(b, crcOf(b)), nil
}

// Put stores f under key in the background, so a cold run's parsing never
// waits for the disk. f must not be modified after.
func (c *Cache) Put(key [32]byte, f *facts.File) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.pending = append(c.pending, put{key, f})
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// next waits for queued entries and takes them all; false once closed and
// drained.
func (c *Cache) next() ([]put, bool) {
	for {
		c.mu.Lock()
		batch, closed := c.pending, c.closed
		c.pending = nil
		c.mu.Unlock()
		if len(batch) > 0 {
			return batch, true
		}
		if closed {
			return nil, false
		}
		<-c.wake
	}
}

// Close writes what is queued, waiting at most the flush bound, and trims
// the cache to its size bound. The cache must not be used after.
func (c *Cache) Close() error {
	var err error
	c.closeOne.Do(func() {
		c.mu.Lock()
		c.closed = true
		c.mu.Unlock()
		select {
		case c.wake <- struct{}{}:
		default:
		}
		select {
		case <-c.done:
		case <-time.After(c.wait):
			err = fmt.Errorf("facts cache: gave up flushing after %v", c.wait)
		}
	})
	return err
}

func (c *Cache) writer() {
	defer close(c.done)
	made := map[string]bool{}
	var written int64
	for {
		batch, ok := c.next()
		if !ok {
			break
		}
		for _, p := range batch {
			n, err := c.write(p, made)
			if err != nil {
				c.writeErrs.Add(1)
				continue
			}
			c.writes.Add(1)
			written += n
			// A long-lived server trims as it goes; a short run at the end.
			if written > c.max/4 {
				c.trim()
				written = 0
			}
		}
	}
	if written > 0 {
		c.trim()
	}
}

func (c *Cache) write(p put, made map[string]bool) (int64, error) {
	b, err := c.encode(p.key, p.f)
	if err != nil {
		return 0, err
	}
	path := c.path(p.key)
	dir := filepath.Dir(path)
	if !made[dir] {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return 0, fmt.Errorf("creating %s: %w", dir, err)
		}
		made[dir] = true
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return 0, fmt.Errorf("writing a cache entry: %w", err)
	}
	_, werr := tmp.Write(b)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return 0, fmt.Errorf("writing a cache entry: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		// A directory where the entry belongs (or any other squatter) is
		// removed once; failing that, the entry is simply not cached.
		if os.RemoveAll(path) != nil || os.Rename(tmp.Name(), path) != nil {
			os.Remove(tmp.Name())
			return 0, fmt.Errorf("placing a cache entry: %w", err)
		}
	}
	return int64(len(b)), nil
}

// trim removes the least recently used entries (by modification time, which
// Get refreshes) until the cache is under 90% of its bound. Temporary files
// older than an hour are leftovers of killed processes and go too.
func (c *Cache) trim() {
	type entry struct {
		path  string
		size  int64
		mtime time.Time
	}
	var entries []entry
	var total int64
	now := time.Now()
	_ = filepath.WalkDir(c.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		if filepath.Base(path)[0] == '.' {
			if now.Sub(info.ModTime()) > time.Hour {
				os.Remove(path)
			}
			return nil
		}
		entries = append(entries, entry{path, info.Size(), info.ModTime()})
		total += info.Size()
		return nil
	})
	if total <= c.max {
		return
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].mtime.Before(entries[j].mtime) })
	for _, e := range entries {
		if total <= c.max*9/10 {
			break
		}
		if os.Remove(e.path) == nil {
			total -= e.size
		}
	}
}
