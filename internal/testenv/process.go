package testenv

import (
	"bytes"
	"net"
	"sync"
	"testing"
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

// FreePort is a loopback TCP port nothing listens on now, for a dev server
// under test.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
