package lsp

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"go.lsp.dev/protocol"

	"github.com/donkeyls/donkeyls/internal/excerpt"
)

// newLogger returns the server's logger: records go to the --log file (file
// may be nil) and, from info level up, to the client's log with
// window/logMessage once setClient has connected it. Nothing is ever written
// to stdout, which carries nothing but protocol.
func newLogger(file io.Writer) (*slog.Logger, *logSink) {
	sink := &logSink{file: file}
	return slog.New(&logHandler{sink: sink}), sink
}

// logSink is where every logHandler derived from one logger writes. file
// is fixed at creation; client is set once the connection exists.
type logSink struct {
	file   io.Writer
	mu     sync.Mutex // guards writes to file, and client
	client func(protocol.MessageType, string)
}

func (k *logSink) setClient(fn func(protocol.MessageType, string)) {
	k.mu.Lock()
	k.client = fn
	k.mu.Unlock()
}

// maxLogMessage bounds one log line, wherever its parts came from (a
// client's input, a command's output): no peer can make the server repeat
// megabytes of it.
const maxLogMessage = 16 << 10

// logHandler formats a record as one line, the message followed by its
// attributes as key=value (quoted where they would not read as one word):
//
//	15:04:05.000 INFO  typegen done root=/src/shop command="bun run gen:types" took=812ms
//
// A string attribute that spans lines (a command's output) follows the
// line as a block of its own, as written, so the log stays readable.
type logHandler struct {
	sink   *logSink
	prefix string // attributes added with WithAttrs, formatted
	group  string // the open groups, each followed by "."
}

// Enabled leaves debug records out unless there is a log file: they go
// nowhere else, and some are costly to format.
func (h *logHandler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= slog.LevelInfo || h.sink.file != nil
}

func (h *logHandler) Handle(_ context.Context, r slog.Record) error {
	var line, blocks strings.Builder
	line.WriteString(r.Message)
	line.WriteString(h.prefix)
	r.Attrs(func(a slog.Attr) bool {
		writeAttr(&line, &blocks, h.group, a)
		return true
	})
	msg := excerpt.Of(strings.TrimRight(line.String()+blocks.String(), "\n"), maxLogMessage)
	h.sink.mu.Lock()
	file, client := h.sink.file, h.sink.client
	if file != nil {
		t := r.Time
		if t.IsZero() {
			t = time.Now()
		}
		fmt.Fprintf(file, "%s %-5s %s\n", t.Format("15:04:05.000"), levelName(r.Level), msg)
	}
	h.sink.mu.Unlock()
	if client != nil && r.Level >= slog.LevelInfo {
		client(messageType(r.Level), msg)
	}
	return nil
}

func (h *logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	var b, blocks strings.Builder
	for _, a := range attrs {
		writeAttr(&b, &blocks, h.group, a)
	}
	// A block given once for every record would repeat on each; keep it
	// inline instead.
	return &logHandler{sink: h.sink, prefix: h.prefix + b.String() + inline(blocks.String()), group: h.group}
}

func (h *logHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &logHandler{sink: h.sink, prefix: h.prefix, group: h.group + name + "."}
}

// writeAttr writes " key=value" to line, or, for a string spanning lines,
// "\nvalue" to blocks.
func writeAttr(line, blocks *strings.Builder, group string, a slog.Attr) {
	if a.Equal(slog.Attr{}) {
		return
	}
	v := a.Value.Resolve()
	if v.Kind() == slog.KindGroup {
		g := group
		if a.Key != "" {
			g += a.Key + "."
		}
		for _, ga := range v.Group() {
			writeAttr(line, blocks, g, ga)
		}
		return
	}
	s := v.String()
	if v.Kind() == slog.KindString && strings.Contains(strings.TrimRight(s, "\n"), "\n") {
		blocks.WriteString("\n")
		blocks.WriteString(strings.TrimRight(s, "\n"))
		return
	}
	line.WriteString(" ")
	line.WriteString(group)
	line.WriteString(a.Key)
	line.WriteString("=")
	line.WriteString(quoteIfNeeded(s))
}

// inline turns a block into attribute text on the line.
func inline(block string) string {
	if block == "" {
		return ""
	}
	return " " + strconv.Quote(strings.TrimPrefix(block, "\n"))
}

// quoteIfNeeded quotes a value that would not read as one word: empty, or
// holding space, quotes, '=' or control characters.
func quoteIfNeeded(s string) string {
	if s == "" {
		return `""`
	}
	for _, r := range s {
		if unicode.IsSpace(r) || r == '"' || r == '=' || !unicode.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

func levelName(l slog.Level) string {
	switch {
	case l >= slog.LevelError:
		return "ERROR"
	case l >= slog.LevelWarn:
		return "WARN"
	case l >= slog.LevelInfo:
		return "INFO"
	}
	return "DEBUG"
}

// messageType is the window/logMessage type of a level.
func messageType(l slog.Level) protocol.MessageType {
	switch {
	case l >= slog.LevelError:
		return protocol.MessageTypeError
	case l >= slog.LevelWarn:
		return protocol.MessageTypeWarning
	}
	return protocol.MessageTypeInfo
}
