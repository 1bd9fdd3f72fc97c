package rpc

import "bytes"

// MaxDepth bounds the nesting of a message's JSON. No LSP message comes
// near it; a deeper one is refused before any decoder sees it, because the
// decoder jsonrpc2 uses recurses once per level and a few megabytes of "["
// overflow the goroutine stack, which no recover can catch.
const MaxDepth = 1000

// maxIDBytes bounds the request id the scanner keeps a reference to: an id
// is a number or a short string.
const maxIDBytes = 1 << 10

// bodyScan follows a message body as it arrives, without a stack and
// without decoding: the nesting depth, where a top-level object or array
// ends, and where the top-level "id" value lies. It trusts nothing: a body
// that is not JSON only makes its answers meaningless, never expensive.
type bodyScan struct {
	n        int // bytes fed so far
	depth    int
	tooDeep  bool
	inString bool
	escape   bool
	started  bool // the first non-space byte was seen
	object   bool // ... and it opened an object or an array
	complete bool // the top-level object or array closed
	end      int  // offset just after it, once complete

	// The top-level object's keys, to find "id".
	key     []byte // the current key at depth 1, while it is short
	inKey   bool
	wantKey bool // at depth 1, the next string is a key
	inID    bool // inside the value of the "id" key
	idStart int
	idEnd   int
	idFound bool
}

// feed scans p, the next bytes of the body, and returns how many of them
// belong to the body: all of them, unless the top-level value closed inside
// p, in which case the rest is not part of this message.
func (sc *bodyScan) feed(p []byte) int {
	for i := 0; i < len(p); i++ {
		if sc.complete {
			return i
		}
		c := p[i]
		if sc.inString {
			if sc.escape {
				sc.escape = false
				sc.n++
				continue
			}
			// Skip to the next quote or backslash: document texts are long strings.
			j := bytes.IndexAny(p[i:], "\"\\")
			if j < 0 {
				if sc.inKey && len(sc.key) < 8 {
					sc.key = append(sc.key, p[i:min(len(p), i+8)]...)
				}
				sc.n += len(p) - i
				return len(p)
			}
			if sc.inKey && len(sc.key) < 8 {
				sc.key = append(sc.key, p[i:i+min(j, 8)]...)
			}
			sc.n += j
			i += j
			if p[i] == '\\' {
				sc.escape = true
				sc.n++
				continue
			}
			sc.inString, sc.inKey = false, false
			sc.n++
			continue
		}
		switch c {
		case ' ', '\t', '\r', '\n':
			sc.n++
			continue
		case '"':
			sc.inString = true
			if sc.depth == 1 && sc.wantKey {
				sc.inKey, sc.wantKey = true, false
				sc.key = sc.key[:0]
			}
		case '{', '[':
			if !sc.started {
				sc.object = true
			}
			sc.depth++
			if sc.depth > MaxDepth {
				sc.tooDeep = true
			}
			if sc.depth == 1 && c == '{' {
				sc.wantKey = true
			}
		case '}', ']':
			if sc.depth == 1 {
				sc.endValue()
			}
			sc.depth--
			if sc.depth <= 0 && sc.object {
				sc.complete = true
				sc.end = sc.n + 1
			}
		case ':':
			if sc.depth == 1 && string(sc.key) == "id" {
				sc.inID = true
				sc.idStart = sc.n + 1
			}
			sc.key = sc.key[:0]
		case ',':
			if sc.depth == 1 {
				sc.endValue()
				sc.wantKey = true
			}
		}
		sc.started = true
		sc.n++
	}
	return len(p)
}

// endValue closes the value of a top-level key.
func (sc *bodyScan) endValue() {
	if sc.inID {
		sc.inID = false
		sc.idEnd = sc.n
		sc.idFound = sc.idEnd-sc.idStart <= maxIDBytes
	}
}

// id is the raw top-level "id" of body, nil when there is none or it is too
// long to be one.
func (sc *bodyScan) id(body []byte) []byte {
	if !sc.idFound || sc.idEnd > len(body) {
		return nil
	}
	raw := bytes.TrimSpace(body[sc.idStart:sc.idEnd])
	if len(raw) == 0 {
		return nil
	}
	return raw
}
