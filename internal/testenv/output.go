package testenv

import (
	"bytes"
	"sync"
)

// Output collects what a process under test writes (its stdout or stderr)
// while the test reads it: the writes come from the exec package's copying
// goroutine, the reads from the test waiting for a line.
type Output struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

// String is everything written so far.
func (o *Output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}
