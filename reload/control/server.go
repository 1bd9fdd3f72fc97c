package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// Handler is what the supervisor provides to the socket.
type Handler interface {
	Status() Status
	// Restart restarts the server and returns once the new one has started
	// (or failed to).
	Restart(ctx context.Context, reason string) error
	// Regenerate runs typegen and returns when it is done.
	Regenerate(ctx context.Context) error
}

// maxRequest bounds one request line.
const maxRequest = 64 << 10

// Server serves the control socket of one project.
type Server struct {
	path    string
	ln      *net.UnixListener
	ino     uint64
	handler Handler

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	once  sync.Once
}

// Listen creates <root>/.donkeyls/dev.sock and serves h on it. A socket left
// behind by a supervisor that crashed is detected and replaced; a live one
// makes Listen fail with ErrAlreadyRunning.
func Listen(root string, h Handler) (*Server, error) {
	path := SocketPath(root)
	dir := root + string(os.PathSeparator) + Dir
	if err := ensureDir(dir, os.Getuid()); err != nil {
		return nil, err
	}
	if err := clearStale(path); err != nil {
		return nil, err
	}

	addr, done, err := shortPath(path)
	if err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: addr, Net: "unix"})
	done()
	if err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	// We unlink the real path ourselves; the listener only knows the short one.
	ln.SetUnlinkOnClose(false)
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		os.Remove(path)
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	var ino uint64
	if st, err := os.Lstat(path); err == nil {
		if sys, ok := st.Sys().(*syscall.Stat_t); ok {
			ino = sys.Ino
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{path: path, ln: ln, ino: ino, handler: h, ctx: ctx, cancel: cancel, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// clearStale removes a socket nobody answers on.
func clearStale(path string) error {
	st, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("control socket %s: %w", path, err)
	}
	if st.Mode()&os.ModeSocket == 0 {
		return fmt.Errorf("control socket %s: the path exists and is not a socket; remove it", path)
	}
	addr, done, err := shortPath(path)
	if err != nil {
		return fmt.Errorf("control socket %s: %w", path, err)
	}
	conn, err := net.DialTimeout("unix", addr, time.Second)
	done()
	if err == nil {
		conn.Close()
		return fmt.Errorf("%w (socket %s)", ErrAlreadyRunning, path)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("control socket %s: checking for a running supervisor: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("control socket %s: removing the stale socket: %w", path, err)
	}
	return nil
}

// Path is the socket's path.
func (s *Server) Path() string { return s.path }

// Close stops serving, drops open connections and removes the socket.
func (s *Server) Close() error {
	var err error
	s.once.Do(func() {
		s.cancel()
		err = s.ln.Close()
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
		// Remove only our own socket: a newer supervisor may have replaced it.
		if st, statErr := os.Lstat(s.path); statErr == nil {
			if sys, ok := st.Sys().(*syscall.Stat_t); ok && sys.Ino == s.ino {
				os.Remove(s.path)
			}
		}
	})
	return err
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			if s.ctx.Err() != nil {
				return
			}
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				continue
			}
			// A transient accept failure (EMFILE): back off briefly.
			select {
			case <-time.After(50 * time.Millisecond):
				continue
			case <-s.ctx.Done():
				return
			}
		}
		s.mu.Lock()
		if s.ctx.Err() != nil {
			s.mu.Unlock()
			conn.Close()
			return
		}
		s.conns[conn] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serve(conn)
	}
}

func (s *Server) serve(conn net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, conn)
		s.mu.Unlock()
		conn.Close()
	}()
	sc := bufio.NewScanner(conn)
	sc.Buffer(make([]byte, 4096), maxRequest)
	enc := json.NewEncoder(conn)
	for sc.Scan() {
		resp := s.handle(sc.Bytes())
		if err := enc.Encode(resp); err != nil {
			return
		}
	}
}

func (s *Server) handle(line []byte) Response {
	var req Request
	if err := json.Unmarshal(line, &req); err != nil {
		return Response{Error: fmt.Sprintf("bad request: %v", err)}
	}
	var err error
	switch req.Op {
	case OpStatus:
	case OpRestart:
		reason := req.Reason
		if reason == "" {
			reason = "requested over the control socket"
		}
		err = s.handler.Restart(s.ctx, reason)
	case OpRegenerate:
		err = s.handler.Regenerate(s.ctx)
	default:
		return Response{Error: fmt.Sprintf("unknown op %q (want status, restart or regenerate)", req.Op)}
	}
	st := s.handler.Status()
	if st.Loaded == nil {
		st.Loaded = map[string]string{} // clients read a map, never null
	}
	if err != nil {
		return Response{Error: err.Error(), Status: &st}
	}
	return Response{OK: true, Status: &st}
}
