package project

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"sync/atomic"

	"github.com/donkeyls/donkeyls/analysis/facts"
	"github.com/donkeyls/donkeyls/analysis/syntax"
)

// FactsCache keeps per-file facts across processes. Load of a root asks it
// before parsing a file, offers it every file it did parse, and says Done
// when it has read every file, so the cache may keep exactly what this
// version of the project uses. Keys are FactsKey values; an implementation
// adds whatever tells its own builds apart. A cache may forget anything at
// any time; it must never return facts put under another key.
type FactsCache interface {
	Get(root string, key [32]byte) (*facts.File, bool)
	// Put may keep f after it returns; f is never modified after. It
	// returns the facts the project keeps: f, or an equal copy the cache
	// stores more compactly.
	Put(root string, key [32]byte, f *facts.File) *facts.File
	// Done ends one complete Load of root; a failed Load does not call it.
	Done(root string)
}

// LoadOptions are Load's optional inputs.
type LoadOptions struct {
	// Source reads files; nil means the disk.
	Source Source
	// Cache supplies facts of files already seen; nil means parse everything.
	Cache FactsCache
	// NoReuse shrinks the cache Reuse, Recall and Remember keep across
	// the snapshots of this Load to the last entry of each type of key.
	// Keeping every entry only pays when a later snapshot is made
	// (WithFile, the keystroke path); a run that analyzes one snapshot and
	// exits (donkeyls check) would hold them to the end for nothing (3.5
	// MB of the live heap after the analyzers at 5,000 plugins). One
	// snapshot asks again for what it asked right
	// before (the registry's index for each of 5,000 plugins, the custom
	// kinds for each route: computing those afresh each time tripled a
	// cold check's CPU), while what it asks per file it asks once or
	// twice. Findings are the same either way.
	NoReuse bool
}

// LoadStats says where a Load's facts came from.
type LoadStats struct {
	// Parsed counts files whose facts were extracted, Cached those whose
	// facts came from the cache.
	Parsed, Cached int
}

type loadCounters struct{ parsed, cached atomic.Int64 }

// FactsKey is the cache key of facts of content read at path as kind:
// everything Extract reads. Only per-file facts are keyed this way; what
// derives from several files is always computed fresh.
func FactsKey(path string, kind facts.Kind, content []byte) [32]byte {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	h.Write([]byte(facts.SchemaVersion))
	h.Write(n[:binary.PutUvarint(n[:], uint64(kind))])
	h.Write(n[:binary.PutUvarint(n[:], uint64(len(path)))])
	h.Write([]byte(path))
	h.Write(content)
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// extract returns the facts of content, from the cache when it has them.
// content may be the caller's buffer, about to be reused: facts never
// share bytes with the source they come from (every string is copied out
// of it; TestFactsShareNoBytesWithTheirSource), so it is parsed in place.
// Copying each file first was 60 MB of a cold load's 880 MB of allocation
// at 5,000 plugins, garbage the collector had to keep up with.
func (o *LoadOptions) extract(ctx context.Context, parser *syntax.Parser, root, path string, content []byte, kind facts.Kind, n *loadCounters) *facts.File {
	if o.Cache == nil {
		n.parsed.Add(1)
		return facts.Extract(ctx, parser, path, content, kind)
	}
	key := FactsKey(path, kind, content)
	if f, ok := o.Cache.Get(root, key); ok && f.Path == path && f.Kind == kind && f.Size == len(content) && !f.StaleFacts {
		n.cached.Add(1)
		return f
	}
	n.parsed.Add(1)
	f := facts.Extract(ctx, parser, path, content, kind)
	// A parse cut short by cancellation says nothing about the bytes.
	if ctx.Err() == nil {
		f = o.Cache.Put(root, key, f)
	}
	return f
}
