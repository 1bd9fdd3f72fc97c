package typegen

import (
	"bytes"
	"strings"
	"sync"
)

// tail keeps the last max bytes written to it and hands complete lines to
// onLine as they arrive.
type tail struct {
	mu      sync.Mutex
	max     int
	buf     []byte
	partial []byte
	onLine  func(string)
}

func newTail(max int, onLine func(string)) *tail {
	return &tail{max: max, onLine: onLine}
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		// Copy so the dropped head does not pin memory.
		t.buf = append([]byte(nil), t.buf[len(t.buf)-t.max:]...)
	}
	if t.onLine != nil {
		t.partial = append(t.partial, p...)
		for {
			i := bytes.IndexByte(t.partial, '\n')
			if i < 0 {
				break
			}
			t.onLine(strings.TrimSuffix(string(t.partial[:i]), "\r"))
			t.partial = t.partial[i+1:]
		}
		if len(t.partial) > t.max {
			// A line longer than we keep: deliver what we have.
			t.onLine(string(t.partial))
			t.partial = nil
		}
	}
	return len(p), nil
}

// flush delivers a last line that had no newline.
func (t *tail) flush() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.onLine != nil && len(t.partial) > 0 {
		t.onLine(string(t.partial))
	}
	t.partial = nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
