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
	"strconv"
	"strings"
	"sync"

	"go.lsp.dev/jsonrpc2"
)

// MaxMessage bounds one message body; a larger Content-Length is treated as
// garbage rather than allocated.
const MaxMessage = 256 << 20

// Stream is a jsonrpc2.Stream over a byte stream with LSP base-protocol
// framing (Content-Length headers). It survives bad input: a header block
// without a usable Content-Length, or a body that is not a JSON-RPC message,
// is reported through OnSkip, answered with a ParseError or InvalidRequest
// (id null) when it had a body, and the next message is read.
type Stream struct {
	in     *bufio.Reader
	out    io.Writer
	closer io.Closer
	// OnSkip, when set, is told about every message that was skipped.
	OnSkip func(error)

	wmu sync.Mutex // one message is written at a time
}

// NewStream frames messages over r and w; closer (may be nil) is called by Close.
func NewStream(r io.Reader, w io.Writer, closer io.Closer) *Stream {
	return &Stream{in: bufio.NewReaderSize(r, 64<<10), out: w, closer: closer}
}

var _ jsonrpc2.Stream = (*Stream)(nil)

// errSkip marks input that was dropped without ending the stream.
var errSkip = errors.New("skipped")

// ErrUnattributed marks a well-formed error response with a null id: the
// peer's answer to something it could not read. jsonrpc2 cannot represent
// it, so it is reported through OnSkip, but it is protocol, not garbage.
var ErrUnattributed = errors.New("error response without an id")

// Read returns the next well-formed message. Only an error of the
// underlying reader (EOF, closed pipe) ends the stream.
func (s *Stream) Read(ctx context.Context) (jsonrpc2.Message, int64, error) {
	var total int64
	for {
		if err := ctx.Err(); err != nil {
			return nil, total, err
		}
		length, n, err := s.readHeader()
		total += n
		if err != nil {
			if errors.Is(err, errSkip) {
				s.skipped(err)
				continue
			}
			return nil, total, err
		}
		if length < 0 {
			continue // an empty header block: stray blank lines between messages
		}
		body := make([]byte, length)
		if _, err := io.ReadFull(s.in, body); err != nil {
			return nil, total, fmt.Errorf("reading a %d-byte message body: %w", length, err)
		}
		total += int64(length)
		msg, err := jsonrpc2.DecodeMessage(body)
		if err == nil {
			return msg, total, nil
		}
		s.rejectBody(body, err)
	}
}

// readHeader reads one header block. It returns -1 for a block with no
// lines at all and an errSkip error for a block without a usable length.
func (s *Stream) readHeader() (int, int64, error) {
	var total int64
	length, lines := -1, 0
	var bad []string
	for {
		line, err := s.in.ReadString('\n')
		total += int64(len(line))
		if err != nil {
			if errors.Is(err, io.EOF) && strings.TrimSpace(line) == "" && lines == 0 {
				return 0, total, io.EOF
			}
			return 0, total, fmt.Errorf("reading message header: %w", err)
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			break
		}
		lines++
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			bad = append(bad, line)
			continue
		}
		if strings.EqualFold(strings.TrimSpace(name), "Content-Length") {
			n, err := strconv.Atoi(strings.TrimSpace(value))
			if err != nil || n <= 0 || n > MaxMessage {
				bad = append(bad, line)
				continue
			}
			length = n
		}
	}
	if lines == 0 {
		return -1, total, nil
	}
	if length < 0 {
		return 0, total, fmt.Errorf("%w: header block without a usable Content-Length (%q)", errSkip, strings.Join(bad, " | "))
	}
	return length, total, nil
}

// rejectBody answers a body that is not a message, as JSON-RPC asks: with
// the request's id when it can be read, null otherwise.
func (s *Stream) rejectBody(body []byte, cause error) {
	var probe struct {
		ID     json.RawMessage `json:"id"`
		Method *string         `json:"method"`
		Error  json.RawMessage `json:"error"`
	}
	code, msg := jsonrpc2.ParseError, "parse error: "+cause.Error()
	id := json.RawMessage("null")
	if json.Valid(body) {
		code, msg = jsonrpc2.InvalidRequest, "invalid request: "+cause.Error()
		if json.Unmarshal(body, &probe) == nil {
			if probe.Method == nil && len(probe.Error) > 0 && string(probe.ID) == "null" {
				s.skipped(fmt.Errorf("%w: %s", ErrUnattributed, probe.Error))
				return
			}
			if probe.Method == nil && len(probe.ID) > 0 {
				// A response we cannot read (a bad id): nothing to answer.
				s.skipped(fmt.Errorf("%w: unreadable response: %v", errSkip, cause))
				return
			}
			if validID(probe.ID) {
				id = probe.ID
			}
		}
	}
	s.skipped(fmt.Errorf("%w: %s", errSkip, msg))
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

// validID reports whether raw is an id worth echoing: a string or a number.
func validID(raw json.RawMessage) bool {
	var v any
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		return false
	}
	switch v.(type) {
	case string, float64:
		return true
	}
	return false
}

func (s *Stream) skipped(err error) {
	if s.OnSkip != nil {
		s.OnSkip(err)
	}
}

// Write sends one message. The context is deliberately not consulted: a
// reply to a cancelled request must still be written.
func (s *Stream) Write(_ context.Context, msg jsonrpc2.Message) (int64, error) {
	data, err := json.Marshal(msg)
	if err != nil {
		return 0, fmt.Errorf("marshaling message: %w", err)
	}
	if err := s.writeFrame(data); err != nil {
		return 0, err
	}
	return int64(len(data)), nil
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
	s.wmu.Lock()
	defer s.wmu.Unlock()
	buf := make([]byte, 0, len(data)+32)
	buf = append(buf, "Content-Length: "...)
	buf = strconv.AppendInt(buf, int64(len(data)), 10)
	buf = append(buf, "\r\n\r\n"...)
	buf = append(buf, data...)
	if _, err := s.out.Write(buf); err != nil {
		return fmt.Errorf("writing message: %w", err)
	}
	return nil
}

// Close closes the underlying connection, if a closer was given.
func (s *Stream) Close() error {
	if s.closer == nil {
		return nil
	}
	return s.closer.Close()
}
