package factcache

import "sync"

// interner shares equal strings across the entries one load decodes. A
// project repeats the same paths, plugin and table names, member names and
// types in thousands of files: at 5,000 plugins the decoded facts held
// 16.7 MB of string bytes of which 4.2 MB were distinct.
type interner struct {
	mu   sync.Mutex
	strs map[string]string
}

func newInterner() *interner { return &interner{strs: map[string]string{}} }

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
		s := string(raw)
		in.strs[s] = s
		strs[i] = s
	}
}
