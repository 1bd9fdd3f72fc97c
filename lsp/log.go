package lsp

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"go.lsp.dev/protocol"

	"github.com/donkeyls/donkeyls/internal/excerpt"
)

// logger writes to the --log file and, for anything above debug, to the
// client's log with window/logMessage. It never writes to stdout, which
// carries nothing but protocol.
type logger struct {
	mu     sync.Mutex
	file   io.Writer
	client func(protocol.MessageType, string)
}

func (l *logger) setClient(fn func(protocol.MessageType, string)) {
	l.mu.Lock()
	l.client = fn
	l.mu.Unlock()
}

// maxLogMessage bounds one log line, wherever its parts came from (a
// client's input, a command's output): no peer can make the server repeat
// megabytes of it.
const maxLogMessage = 16 << 10

func (l *logger) log(level protocol.MessageType, format string, args ...any) {
	msg := excerpt.Of(fmt.Sprintf(format, args...), maxLogMessage)
	l.mu.Lock()
	file, client := l.file, l.client
	if file != nil {
		fmt.Fprintf(file, "%s %-5s %s\n", time.Now().Format("15:04:05.000"), levelName(level), strings.TrimRight(msg, "\n"))
	}
	l.mu.Unlock()
	if client != nil && level != protocol.MessageTypeLog {
		client(level, msg)
	}
}

func (l *logger) Errorf(format string, args ...any) {
	l.log(protocol.MessageTypeError, format, args...)
}
func (l *logger) Warnf(format string, args ...any) {
	l.log(protocol.MessageTypeWarning, format, args...)
}
func (l *logger) Infof(format string, args ...any) { l.log(protocol.MessageTypeInfo, format, args...) }

// Debugf goes to the log file only.
func (l *logger) Debugf(format string, args ...any) { l.log(protocol.MessageTypeLog, format, args...) }

func levelName(t protocol.MessageType) string {
	switch t {
	case protocol.MessageTypeError:
		return "ERROR"
	case protocol.MessageTypeWarning:
		return "WARN"
	case protocol.MessageTypeInfo:
		return "INFO"
	}
	return "DEBUG"
}
