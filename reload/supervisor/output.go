package supervisor

import (
	"bytes"
	"io"
	"sync"
)

// syncWriter serialises writes from the server's output and our own log
// lines so they interleave by whole lines.
type syncWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (s syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// lines keeps the last n lines of the server's output for crash reports.
type lines struct {
	mu   sync.Mutex
	n    int
	buf  []string
	next int
	full bool
}

func newLines(n int) *lines { return &lines{n: n, buf: make([]string, n)} }

func (l *lines) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf[l.next] = s
	l.next = (l.next + 1) % l.n
	if l.next == 0 {
		l.full = true
	}
}

func (l *lines) last() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.full {
		return append([]string(nil), l.buf[:l.next]...)
	}
	return append(append([]string(nil), l.buf[l.next:]...), l.buf[:l.next]...)
}

func (l *lines) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.next, l.full = 0, false
}

// prefixWriter writes each complete line to w with a prefix, and keeps it in
// tail. A partial line waits for its newline (or flush).
type prefixWriter struct {
	mu      sync.Mutex
	w       io.Writer
	prefix  string
	tail    *lines
	partial []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.partial = append(p.partial, b...)
	for {
		i := bytes.IndexByte(p.partial, '\n')
		if i < 0 {
			break
		}
		p.emit(p.partial[:i])
		p.partial = p.partial[i+1:]
	}
	if len(p.partial) > 64<<10 {
		p.emit(p.partial)
		p.partial = nil
	}
	return len(b), nil
}

func (p *prefixWriter) emit(line []byte) {
	line = bytes.TrimSuffix(line, []byte("\r"))
	p.tail.add(string(line))
	out := make([]byte, 0, len(p.prefix)+len(line)+1)
	out = append(append(append(out, p.prefix...), line...), '\n')
	p.w.Write(out)
}

func (p *prefixWriter) flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.partial) > 0 {
		p.emit(p.partial)
		p.partial = nil
	}
}
