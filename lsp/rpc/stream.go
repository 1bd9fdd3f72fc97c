// Package rpc is the JSON-RPC layer of the language server, built on
// go.lsp.dev/jsonrpc2 v0.10.0 with that release's defects worked around:
//
//   - Stream frames messages itself so that a malformed header or body is
//     answered with a JSON-RPC error and skipped; jsonrpc2's own stream
//     returns an error that closes the connection for good.
//   - Dispatcher replaces protocol.NewServer's handler chain: it handles
//     notifications and requests strictly in arrival order on one goroutine,
//     lets a handler move its remaining work to a goroutine of its own
//     (read-only requests on an immutable snapshot, long commands), cancels
//     by numeric or string id, and replies with a connection-lifetime context
//     so a cancelled request still gets its RequestCancelled answer.
package rpc

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"

	"go.lsp.dev/jsonrpc2"

	"github.com/donkeyls/donkeyls/internal/excerpt"
)

// MaxMessage bounds one message body; a larger Content-Length is treated as
// garbage rather than allocated.
const MaxMessage = 256 << 20

// Bytes read again (bodies given back) are bounded by rereadFactor times
// the input plus rereadSlack: headers nested in each other's bodies would
// otherwise cost time quadratic in the input. Past the bound a failed body
// is skipped, not read again.
const (
	rereadFactor = 4
	rereadSlack  = 1 << 20
)

// MaxHeaderLine bounds one header line. Real headers are a few dozen
// bytes; the rest of a longer line is skipped without being kept.
const MaxHeaderLine = 4 << 10

// marker starts the only header that matters; after garbage, reading
// resumes where it appears next, wherever that is.
const marker = "content-length:"

// Stream is a jsonrpc2.Stream over a byte stream with LSP base-protocol
// framing (Content-Length headers). It survives any input:
//
//   - A header block without a usable Content-Length (bad, missing, zero,
//     too large), a line that is not a header, or a header line longer than
//     MaxHeaderLine makes it skip to the next "Content-Length:" wherever it
//     appears, mid-line included: an orphaned body has no newline, so it
//     would otherwise be read together with the next header as one line.
//   - A body that is not JSON (a Content-Length too short, a truncated
//     message) is answered with ParseError and read again as input, so a
//     frame it swallowed is found; a body that is JSON but not a message is
//     answered with InvalidRequest, with its id when it has one.
//   - A body whose object ends before its Content-Length does (too long)
//     is taken as the message at once; what follows is read as whitespace
//     padding up to the declared length, and the first byte that is not
//     starts the next header.
//   - JSON nested deeper than MaxDepth never reaches a decoder.
//   - Ids jsonrpc2 cannot hold (the empty string, large integers) are
//     carried as aliases and written back exactly (see IDJSON).
//
// Each incident (everything skipped between two messages, or one refused
// body) is reported once through OnSkip, with a bounded excerpt.
type Stream struct {
	in     input
	out    io.Writer
	closer io.Closer
	// OnSkip, when set, is told about every incident of malformed input.
	OnSkip func(error)
	// OnWriteError, when set, is told about the first failed write: the
	// peer stopped reading (EPIPE), nothing more can be said to it. It is
	// called inside Write, under jsonrpc2's write lock: it must not write.
	OnWriteError func(error)

	// Owned by the reading goroutine.
	inc      incident
	trailing int // bytes of a too-long Content-Length still expected as padding

	wmu       sync.Mutex // one message is written at a time
	writeFail bool
}

// NewStream frames messages over r and w; closer (may be nil) is called by Close.
func NewStream(r io.Reader, w io.Writer, closer io.Closer) *Stream {
	return &Stream{in: input{br: bufio.NewReaderSize(r, 64<<10)}, out: w, closer: closer}
}

var _ jsonrpc2.Stream = (*Stream)(nil)

// ErrUnattributed marks a well-formed error response with a null id: the
// peer's answer to something it could not read. jsonrpc2 cannot represent
// it, so it is reported through OnSkip, but it is protocol, not garbage.
var ErrUnattributed = errors.New("error response without an id")

// errMalformed marks an incident reported through OnSkip.
var errMalformed = errors.New("malformed input")

// Read returns the next well-formed message. Only an error of the
// underlying reader (EOF, closed pipe) ends the stream.
func (s *Stream) Read(ctx context.Context) (jsonrpc2.Message, int64, error) {
	resync := false
	for {
		if err := ctx.Err(); err != nil {
			s.flush()
			return nil, 0, fmt.Errorf("reading: %w", err)
		}
		s.skipPadding()
		length, err := s.readHeader(resync)
		if err != nil {
			s.flush()
			return nil, 0, err
		}
		body, sc, err := s.readBody(length)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
				s.flush()
				return nil, 0, fmt.Errorf("reading a message body: %w", err)
			}
			// The input ended inside the body: what came may still hold
			// whole frames (a Content-Length far too long swallowed them).
			s.inc.note("the input ended %d bytes into a %d-byte body", len(body), length)
			s.readAgain(body)
			resync = true
			continue
		}
		msg, pushBack := s.decode(body, &sc)
		if msg != nil {
			s.flush()
			return msg, int64(len(body)), nil
		}
		resync = pushBack
		if pushBack {
			s.readAgain(body)
		}
	}
}

// readAgain gives a failed body back to be read as input, while the bytes
// read again stay within rereadFactor times the input plus rereadSlack;
// past that, the body is skipped.
func (s *Stream) readAgain(body []byte) {
	if s.in.reread+int64(len(body)) > s.in.fresh*rereadFactor+rereadSlack {
		s.inc.skip(body, len(body))
		s.inc.note("bodies nested in bodies: skipped, not read again")
		return
	}
	s.in.giveBack(body)
}

// skipPadding consumes what remains of a too-long Content-Length while it
// is whitespace; anything else is the start of the next header.
func (s *Stream) skipPadding() {
	for s.trailing > 0 {
		p, err := s.in.peek()
		if err != nil {
			s.trailing = 0
			return
		}
		k := 0
		for k < len(p) && k < s.trailing && isSpace(p[k]) {
			k++
		}
		s.in.discard(k)
		s.trailing -= k
		if k < len(p) && s.trailing > 0 {
			s.inc.note("a Content-Length %d bytes too long: the message ended before it", s.trailing)
			s.trailing = 0
		}
	}
}

// markerMatch finds marker in a byte stream, in any case, one byte at a
// time (no byte of marker but the first is a 'c', so a mismatch restarts
// the match at that byte or at nothing).
type markerMatch int

// step feeds c and reports whether it completed marker.
func (m *markerMatch) step(c byte) bool {
	switch lc := lower(c); {
	case lc == marker[*m]:
		*m++
	case lc == marker[0]:
		*m = 1
	default:
		*m = 0
	}
	if int(*m) == len(marker) {
		*m = 0
		return true
	}
	return false
}

// hasMarker reports whether b holds "Content-Length:" in any case.
func hasMarker(b []byte) bool {
	var m markerMatch
	return slices.ContainsFunc(b, m.step)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// readHeader reads one header block and returns its Content-Length. With
// resync, or once the block turns out unusable, it skips input up to the
// next "Content-Length:" and reads the header block that starts there.
func (s *Stream) readHeader(resync bool) (int, error) {
	var (
		line    []byte // the current line, up to MaxHeaderLine bytes
		lineLen int    // its real length
		m       markerMatch
		lines   int // non-empty lines of this block
		length  = -1
		bad     string // why this block is unusable
	)
	garbage := resync
	for {
		p, err := s.in.peek()
		if err != nil {
			if lineLen > 0 || lines > 0 {
				s.inc.note("the input ended inside a header")
			}
			// Always wrapped: jsonrpc2 keeps the error in an atomic.Value,
			// which panics when a later error has another concrete type.
			return 0, fmt.Errorf("reading message header: %w", err)
		}
		for i, c := range p {
			if m.step(c) {
				before := lineLen + 1 - len(marker)
				switch {
				case garbage:
					s.inc.unskip(len(marker) - 1)
				case before > 0:
					s.inc.skip(line[:min(before, len(line))], before)
				}
				if before > 0 || garbage {
					// A header starts here: whatever this block held was garbage.
					lines, length, bad = 0, -1, ""
				}
				garbage = false
				line = append(line[:0], "Content-Length:"...)
				lineLen = len(marker)
				continue
			}
			if garbage {
				s.inc.skipByte(c)
				continue
			}
			if c != '\n' {
				lineLen++
				if len(line) < MaxHeaderLine {
					line = append(line, c)
				}
				continue
			}
			text := strings.TrimRight(string(line), "\r")
			n := lineLen
			line, lineLen = line[:0], 0
			switch {
			case n > MaxHeaderLine:
				s.inc.skip([]byte(text), n)
				s.inc.note("a header line longer than %d bytes", MaxHeaderLine)
				lines++
			case text == "" && lines == 0:
				// Blank lines between messages.
			case text == "":
				if length > 0 && bad == "" {
					s.in.discard(i + 1)
					return length, nil
				}
				if bad == "" {
					bad = "a header block without a Content-Length"
				}
				s.inc.note("%s", bad)
				lines, length, bad = 0, -1, ""
				garbage = true
			default:
				lines++
				name, value, ok := strings.Cut(text, ":")
				if !ok || !isToken(name) {
					s.inc.skip([]byte(text), len(text))
					s.inc.note("a line that is not a header")
					continue
				}
				if strings.EqualFold(name, "Content-Length") {
					if length >= 0 || bad != "" {
						// A second one: the block before it was cut short.
						s.inc.note("a header block cut short by another Content-Length")
						lines, length, bad = 1, -1, ""
					}
					n, ok := parseLength(value)
					if !ok {
						bad = "an unusable Content-Length " + excerpt.Quote([]byte(strings.TrimSpace(value)), 40)
						continue
					}
					length = n
				}
			}
		}
		s.in.discard(len(p))
	}
}

// isToken reports whether name is a header field name.
func isToken(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// parseLength reads a Content-Length value: digits only, 1 to MaxMessage.
func parseLength(v string) (int, bool) {
	v = strings.TrimSpace(v)
	if v == "" || len(v) > 10 {
		return 0, false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 || n > MaxMessage {
		return 0, false
	}
	return n, true
}

// readBody reads a body of the declared length, or less when its top-level
// object closes first (the rest is then expected to be padding). The
// buffer grows with what really arrives, never with what was declared.
func (s *Stream) readBody(length int) ([]byte, bodyScan, error) {
	var sc bodyScan
	body := make([]byte, 0, min(length, 64<<10))
	for len(body) < length && !sc.complete {
		p, err := s.in.peek()
		if err != nil {
			return body, sc, err
		}
		p = p[:min(len(p), length-len(body))]
		n := sc.feed(p)
		body = append(body, p[:n]...)
		s.in.discard(n)
	}
	s.trailing = length - len(body)
	return body, sc, nil
}

// decode turns a body into a message, or answers it and returns nil; with
// pushBack when the body is not JSON and must be read again as input.
func (s *Stream) decode(body []byte, sc *bodyScan) (msg jsonrpc2.Message, pushBack bool) {
	if sc.tooDeep && (!sc.complete || hasMarker(body)) {
		// Not one message: the declared length ran past it, or it swallowed
		// a frame. Read it again as input.
		s.refuse(jsonrpc2.ParseError, nil, fmt.Sprintf("parse error: JSON nested deeper than %d levels", MaxDepth))
		s.trailing = 0
		return nil, true
	}
	if sc.tooDeep {
		id := sc.id(body)
		if !validID(id) {
			s.refuse(jsonrpc2.ParseError, nil, fmt.Sprintf("parse error: JSON nested deeper than %d levels", MaxDepth))
			return nil, false
		}
		s.refuse(jsonrpc2.InvalidRequest, id, fmt.Sprintf("invalid request: JSON nested deeper than %d levels", MaxDepth))
		return nil, false
	}
	var err error
	if id := sc.id(body); id != nil && needsAlias(id) {
		msg, err = decodeAliased(body, id)
	} else {
		msg, err = jsonrpc2.DecodeMessage(body)
	}
	if err == nil {
		return msg, false
	}
	// Only now the second pass that tells garbage from a bad message: a
	// valid body, the common case, is scanned once and decoded once.
	if !json.Valid(body) {
		var v json.RawMessage
		s.refuse(jsonrpc2.ParseError, nil, "parse error: "+errText(json.Unmarshal(body, &v)))
		s.trailing = 0
		return nil, true
	}
	s.rejectBody(body, err)
	return nil, false
}

// decodeAliased decodes a message whose id jsonrpc2 cannot hold.
func decodeAliased(body, rawID []byte) (jsonrpc2.Message, error) {
	var w struct {
		JSONRPC string          `json:"jsonrpc"`
		Method  *string         `json:"method"`
		Params  json.RawMessage `json:"params"`
		Result  json.RawMessage `json:"result"`
		Error   *jsonrpc2.Error `json:"error"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("decoding message: %w", err)
	}
	if w.JSONRPC != jsonrpc2.Version {
		return nil, fmt.Errorf("invalid RPC version %s", excerpt.Quote([]byte(w.JSONRPC), 20))
	}
	id, err := parseID(rawID)
	if err != nil {
		return nil, err
	}
	if w.Method != nil {
		var params any
		if len(w.Params) > 0 {
			params = w.Params
		}
		return jsonrpc2.NewCall(id, *w.Method, params)
	}
	var rerr error
	if w.Error != nil {
		rerr = w.Error
	}
	var result any
	if len(w.Result) > 0 {
		result = w.Result
	}
	return jsonrpc2.NewResponse(id, result, rerr)
}

// rejectBody answers a body that is JSON but not a message, as JSON-RPC
// asks: with the request's id when it can be read, null otherwise.
func (s *Stream) rejectBody(body []byte, cause error) {
	var probe struct {
		ID     json.RawMessage `json:"id"`
		Method *string         `json:"method"`
		Error  json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &probe) == nil {
		if probe.Method == nil && len(probe.Error) > 0 && string(probe.ID) == "null" {
			s.flush()
			s.skipped(fmt.Errorf("%w: %s", ErrUnattributed, excerpt.Bytes(probe.Error, excerpt.Short)))
			return
		}
		if probe.Method == nil && len(probe.ID) > 0 {
			// A response we cannot read (a bad id): nothing to answer.
			s.inc.note("an unreadable response: %s", errText(cause))
			s.flush()
			return
		}
	}
	var id json.RawMessage
	if validID(probe.ID) {
		id = probe.ID
	}
	s.refuse(jsonrpc2.InvalidRequest, id, "invalid request: "+errText(cause))
}

// refuse answers a body with an error and closes its incident.
func (s *Stream) refuse(code jsonrpc2.Code, id json.RawMessage, msg string) {
	if s.inc.refused {
		s.flush() // one refused body per incident
	}
	s.inc.note("%s", msg)
	s.inc.refused = true
	if len(id) == 0 {
		id = json.RawMessage("null")
	}
	resp := struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Error   jsonrpc2.Error  `json:"error"`
	}{"2.0", id, jsonrpc2.Error{Code: code, Message: msg}}
	data, err := json.Marshal(resp)
	if err != nil {
		return
	}
	_ = s.writeFrame(data)
}

// errText is an error message that quotes at most a short excerpt.
func errText(err error) string {
	if err == nil {
		return "unknown error"
	}
	return excerpt.Of(err.Error(), 2*excerpt.Short)
}

func excerptOf(b []byte) string { return excerpt.Quote(b, excerpt.Short) }

// validID reports whether raw is an id worth echoing: a string or a number.
func validID(raw json.RawMessage) bool {
	_, err := parseID(raw)
	return err == nil
}

func (s *Stream) skipped(err error) {
	if s.OnSkip != nil {
		s.OnSkip(err)
	}
}

// flush reports the current incident, if any, and starts a new one.
func (s *Stream) flush() {
	if s.inc.empty() {
		return
	}
	err := fmt.Errorf("%w: %s", errMalformed, s.inc.String())
	s.inc = incident{}
	s.skipped(err)
}

// Write sends one message. The context is deliberately not consulted: a
// reply to a cancelled request must still be written.
func (s *Stream) Write(_ context.Context, msg jsonrpc2.Message) (int64, error) {
	data, err := marshal(msg)
	if err != nil {
		return 0, err
	}
	if err := s.writeFrame(data); err != nil {
		return 0, err
	}
	return int64(len(data)), nil
}

// marshal encodes msg, writing an aliased id back as the JSON it stands for.
func marshal(msg jsonrpc2.Message) ([]byte, error) {
	if r, ok := msg.(*jsonrpc2.Response); ok {
		if raw, aliased := aliasOf(r.ID()); aliased {
			w := struct {
				JSONRPC string          `json:"jsonrpc"`
				ID      json.RawMessage `json:"id"`
				Result  json.RawMessage `json:"result,omitempty"`
				Error   *jsonrpc2.Error `json:"error,omitempty"`
			}{JSONRPC: jsonrpc2.Version, ID: raw}
			if err := r.Err(); err != nil {
				if !errors.As(err, &w.Error) {
					w.Error = &jsonrpc2.Error{Code: jsonrpc2.InternalError, Message: err.Error()}
				}
			} else if w.Result = r.Result(); len(w.Result) == 0 {
				w.Result = json.RawMessage("null")
			}
			data, err := json.Marshal(w)
			if err != nil {
				return nil, fmt.Errorf("marshaling a response: %w", err)
			}
			return data, nil
		}
	}
	data, err := json.Marshal(msg)
	if err != nil {
		return nil, fmt.Errorf("marshaling message: %w", err)
	}
	return data, nil
}

// WriteRaw writes bytes as they are, between whole messages: tests use it
// to send garbage and hand-made messages on a live connection.
func (s *Stream) WriteRaw(b []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if _, err := s.out.Write(b); err != nil {
		return fmt.Errorf("writing: %w", err)
	}
	return nil
}

// WriteBody frames one message body and writes it.
func (s *Stream) WriteBody(body []byte) error { return s.writeFrame(body) }

func (s *Stream) writeFrame(data []byte) error {
	buf := make([]byte, 0, len(data)+32)
	buf = append(buf, "Content-Length: "...)
	buf = strconv.AppendInt(buf, int64(len(data)), 10)
	buf = append(buf, "\r\n\r\n"...)
	buf = append(buf, data...)
	s.wmu.Lock()
	_, err := s.out.Write(buf)
	first := err != nil && !s.writeFail
	if err != nil {
		s.writeFail = true
	}
	s.wmu.Unlock()
	if err == nil {
		return nil
	}
	err = fmt.Errorf("writing message: %w", err)
	// Outside the lock: the callback may well try to write (a log line).
	if first && s.OnWriteError != nil {
		s.OnWriteError(err)
	}
	return err
}

// Close closes the underlying connection, if a closer was given.
func (s *Stream) Close() error {
	if s.closer == nil {
		return nil
	}
	return s.closer.Close()
}

// input is the byte source: bytes given back (a body that turned out not
// to be a message) are read again before the rest of the stream.
type input struct {
	pending []byte
	br      *bufio.Reader
	reread  int64 // bytes given back so far
	fresh   int64 // bytes consumed from br so far
}

// peek returns the bytes available now, waiting for at least one.
func (in *input) peek() ([]byte, error) {
	if len(in.pending) > 0 {
		return in.pending, nil
	}
	if in.br.Buffered() == 0 {
		if _, err := in.br.Peek(1); err != nil {
			return nil, err
		}
	}
	return in.br.Peek(in.br.Buffered())
}

// discard consumes n bytes of what peek returned.
func (in *input) discard(n int) {
	if len(in.pending) > 0 {
		in.pending = in.pending[n:]
		return
	}
	k, _ := in.br.Discard(n)
	in.fresh += int64(k)
}

// giveBack makes b the next bytes read.
func (in *input) giveBack(b []byte) {
	if len(b) == 0 {
		return
	}
	in.reread += int64(len(b))
	in.pending = append(append(make([]byte, 0, len(b)+len(in.pending)), b...), in.pending...)
}

// incident accumulates one stretch of malformed input for a single report.
type incident struct {
	reasons []string
	more    int
	skipped int
	head    []byte // the first bytes skipped
	refused bool   // a body was answered with an error
}

func (inc *incident) empty() bool { return len(inc.reasons) == 0 && inc.skipped == 0 }

func (inc *incident) note(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if len(inc.reasons) > 0 && inc.reasons[len(inc.reasons)-1] == msg {
		return
	}
	if len(inc.reasons) >= 3 {
		inc.more++
		return
	}
	inc.reasons = append(inc.reasons, msg)
}

// skip counts n skipped bytes, of which b are the first.
func (inc *incident) skip(b []byte, n int) {
	if room := excerpt.Short - len(inc.head); room > 0 {
		inc.head = append(inc.head, b[:min(len(b), room)]...)
	}
	inc.skipped += n
}

// skipByte counts one skipped byte.
func (inc *incident) skipByte(c byte) {
	if len(inc.head) < excerpt.Short {
		inc.head = append(inc.head, c)
	}
	inc.skipped++
}

// unskip takes back bytes counted as skipped that began a header.
func (inc *incident) unskip(n int) {
	inc.skipped = max(0, inc.skipped-n)
	if len(inc.head) > inc.skipped {
		inc.head = inc.head[:inc.skipped]
	}
}

func (inc *incident) String() string {
	var b strings.Builder
	b.WriteString(strings.Join(inc.reasons, "; "))
	if inc.more > 0 {
		fmt.Fprintf(&b, " (and %d more)", inc.more)
	}
	if inc.skipped > 0 {
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "skipped %d bytes (%s) up to the next Content-Length header", inc.skipped, excerpt.Quote(inc.head, excerpt.Short))
	}
	return b.String()
}
