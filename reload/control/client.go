package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// Client talks to the supervisor of one project.
type Client struct {
	root string
	mu   sync.Mutex
	conn net.Conn
	r    *bufio.Reader
	// broken is set when a request was abandoned mid-way: its late answer
	// would be read as the next request's.
	broken error
}

// Dial connects to the supervisor of root. When none runs (no socket, or a
// stale one left by a crash) the error wraps ErrNoSupervisor and says how to
// start one.
func Dial(ctx context.Context, root string) (*Client, error) {
	path := SocketPath(root)
	addr, done, err := shortPath(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, noSupervisor(root, err)
		}
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", addr)
	done()
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED) {
			return nil, noSupervisor(root, err)
		}
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	return &Client{root: root, conn: conn, r: bufio.NewReader(conn)}, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// Status asks what the supervised server is doing and what code it loaded.
func (c *Client) Status(ctx context.Context) (Status, error) {
	resp, err := c.call(ctx, Request{Op: OpStatus})
	if err != nil {
		return Status{}, err
	}
	if resp.Status == nil {
		return Status{}, errors.New("control socket: status response without status")
	}
	return *resp.Status, nil
}

// Restart asks for a restart and returns once the new server has started or
// failed to.
func (c *Client) Restart(ctx context.Context, reason string) error {
	_, err := c.call(ctx, Request{Op: OpRestart, Reason: reason})
	return err
}

// Regenerate asks for a typegen run and returns when it is done.
func (c *Client) Regenerate(ctx context.Context) error {
	_, err := c.call(ctx, Request{Op: OpRegenerate})
	return err
}

func (c *Client) call(ctx context.Context, req Request) (Response, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken != nil {
		return Response{}, c.broken
	}
	line, err := json.Marshal(req)
	if err != nil {
		return Response{}, err
	}
	// Cancelling ctx unblocks the read by expiring the connection's deadline.
	stop := context.AfterFunc(ctx, func() { c.conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		c.conn.SetDeadline(dl)
	} else {
		c.conn.SetDeadline(time.Time{})
	}

	var resp Response
	if _, err = c.conn.Write(append(line, '\n')); err == nil {
		var b []byte
		if b, err = c.r.ReadBytes('\n'); err == nil {
			err = json.Unmarshal(b, &resp)
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		c.broken = fmt.Errorf("control socket: connection unusable after an abandoned request: %w", err)
		if errors.Is(err, io.EOF) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) {
			return Response{}, noSupervisor(c.root, err)
		}
		return Response{}, fmt.Errorf("control socket %s: %s: %w", SocketPath(c.root), req.Op, err)
	}
	if !resp.OK {
		return resp, &RefusedError{Op: req.Op, Reason: resp.Error}
	}
	return resp, nil
}

// RefusedError is a request the supervisor answered with a failure, in its
// own words (Reason), which editors show as they are.
type RefusedError struct {
	Op, Reason string
}

func (e *RefusedError) Error() string { return "supervisor: " + e.Op + ": " + e.Reason }
