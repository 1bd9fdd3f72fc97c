package supervisor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/donkeyls/donkeyls/reload/internal/procgroup"
)

var errExited = errors.New("the server exited")

func (s *Supervisor) addr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.opts.Port))
}

func accepting(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// waitPortFree waits until nothing accepts connections on the port: the old
// server's socket may outlive its process briefly, and a new server started
// earlier would fail with EADDRINUSE.
func (s *Supervisor) waitPortFree(ctx context.Context) error {
	if s.opts.Port <= 0 {
		return nil
	}
	deadline := time.Now().Add(portFreeTimeout)
	for accepting(s.addr()) {
		if time.Now().After(deadline) {
			return fmt.Errorf("port %d is still in use %s after the old server exited (another process?)", s.opts.Port, portFreeTimeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

// waitReady waits until the new server accepts connections on the port.
func (s *Supervisor) waitReady(ctx context.Context, p *procgroup.Process) error {
	deadline := time.Now().Add(s.opts.ReadyTimeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !accepting(s.addr()) {
		if time.Now().After(deadline) {
			return fmt.Errorf("the server (pid %d) is not accepting connections on port %d after %s", p.Pid(), s.opts.Port, s.opts.ReadyTimeout)
		}
		select {
		case <-p.Done():
			return errExited
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	return nil
}
