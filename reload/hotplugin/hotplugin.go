// Package hotplugin applies a plugin's service edit inside the running dev
// server, with no restart: the process, its database connections, its other
// plugins' state and its clients stay. The server side is a Bun preload
// (preload.ts, embedded here) that `donkeyls dev` adds to the dev command;
// this side listens on a private Unix socket the preload connects to, asks it
// to rebuild one plugin's service (and its dependents'), and reports what the
// server really loaded, so the editor's restart-required clears only when the
// new code runs.
package hotplugin

import (
	"bufio"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

//go:embed preload.ts
var preload []byte

// Names inside the project's private .donkeyls directory, and the variable
// that tells the preload where the socket is.
const (
	PreloadName = "hotplugin-preload.ts"
	SocketName  = "hot.sock"
	EnvSocket   = "DONKEYLS_HOT_SOCKET"
)

// DefaultTimeout bounds one reload: a service factory that never resolves
// must not stall donkeyls dev, which then restarts the server instead.
const DefaultTimeout = 10 * time.Second

// maxSocketPath is sizeof(sun_path) minus the NUL: Bun connects by path, so
// a longer one cannot be reached.
const maxSocketPath = 107

// Eligible reports whether argv runs the server as the preload needs it:
// Bun itself running the entry file, without --hot or --watch, and says why
// not otherwise. Under `bun --watch` Bun restarts the program itself for
// every saved import, so nothing is left to reload. Under `bun --hot` every
// save runs the entry again, and each run builds another server beside the
// earlier runs' (with their background services): which PluginManager
// answers is not one, so plugin edits restart as before. A script runner
// (`bun run dev`) or any other wrapper starts the server in a child process
// whose command line is the script's, not ours to change.
func Eligible(argv []string) (bool, string) {
	if len(argv) == 0 || filepath.Base(argv[0]) != "bun" {
		return false, "the dev command is not bun running the server entry (hot plugins are added to `bun <entry>` only)"
	}
	file := false
	for _, a := range argv[1:] {
		switch {
		case a == "--hot":
			return false, "bun --hot runs the entry again for every save, beside the earlier runs' servers; plugin edits restart"
		case a == "--watch":
			return false, "bun --watch starts the program again by itself for every saved file"
		case !strings.HasPrefix(a, "-") && isScript(a):
			file = true
		}
	}
	if !file {
		return false, "the dev command runs no .ts/.js file directly (a package.json script runs the server in a child whose command line is the script's)"
	}
	return true, ""
}

func isScript(a string) bool {
	switch filepath.Ext(a) {
	case ".ts", ".tsx", ".mts", ".js", ".mjs", ".jsx":
		return true
	}
	return false
}

// WithPreload returns argv with the preload added right after bun: Bun
// reads its own flags only before the file.
func WithPreload(argv []string, preloadPath string) []string {
	out := make([]string, 0, len(argv)+1)
	out = append(out, argv[0], "--preload="+preloadPath)
	return append(out, argv[1:]...)
}

// Install writes the preload into dir (the project's private .donkeyls
// directory, which the caller has made ours and 0700), atomically.
func Install(dir string) (string, error) {
	path := filepath.Join(dir, PreloadName)
	if b, err := os.ReadFile(path); err == nil && string(b) == string(preload) {
		return path, nil
	}
	tmp, err := os.CreateTemp(dir, ".preload-*.ts")
	if err != nil {
		return "", fmt.Errorf("writing the hot plugin preload: %w", err)
	}
	_, werr := tmp.Write(preload)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("writing the hot plugin preload: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("writing the hot plugin preload: %w", err)
	}
	return path, nil
}

// Request asks the server to rebuild one plugin's service from File.
type Request struct {
	Plugin string // the plugin's name
	Export string // the export holding its definition
	File   string // absolute path of the plugin module
}

// Result is the server's answer.
type Result struct {
	// OK: the new service (and its dependents') answer from now on.
	OK bool
	// Fallback: the edit cannot be applied in place (an init or middleware
	// holds the old service, the server is not ready, hot plugins are off):
	// restart instead. Without it, a failed reload left the old service
	// running and Error is the user's error (syntax, a throwing service).
	Fallback bool
	Error    string
	// Hash is the FNV-1a 64 of the bytes the server loaded (facts.HashBytes).
	Hash     uint64
	Reloaded []string // the plugins rebuilt, in order
}

// Events are what the host tells its owner, from its own goroutines.
type Events struct {
	// Ready: the server pid initialized its plugins and can reload them.
	Ready func(pid int, framework string)
	// Off: the server pid cannot reload plugins in place, and why.
	Off func(pid int, why string)
}

// Host is the donkeyls dev end of the preload's socket.
type Host struct {
	path   string
	ln     *net.UnixListener
	events Events
	wg     sync.WaitGroup

	mu     sync.Mutex
	conns  map[int]*conn // by server pid
	closed bool
	nextID int
}

type conn struct {
	c       net.Conn
	pid     int
	state   string // "", "ready", "off"
	why     string
	waiting map[int]chan Result
	gone    chan struct{}
}

// Listen serves the socket in dir (the private .donkeyls directory).
func Listen(dir string, ev Events) (*Host, error) {
	path := filepath.Join(dir, SocketName)
	if len(path) > maxSocketPath {
		return nil, fmt.Errorf("the socket path %s is longer than %d bytes, which Bun cannot connect to", path, maxSocketPath)
	}
	if st, err := os.Lstat(path); err == nil {
		if st.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("%s exists and is not a socket; remove it", path)
		}
		// Only the supervisor holding the control socket gets here, so a
		// socket left at this path is a dead supervisor's.
		os.Remove(path)
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("hot plugin socket %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("hot plugin socket %s: %w", path, err)
	}
	h := &Host{path: path, ln: ln, events: ev, conns: map[int]*conn{}}
	h.wg.Add(1)
	go h.accept()
	return h, nil
}

// Path is the socket the preload connects to.
func (h *Host) Path() string { return h.path }

// Close stops listening and drops the servers' connections.
func (h *Host) Close() error {
	h.mu.Lock()
	h.closed = true
	for _, c := range h.conns {
		c.c.Close()
	}
	h.mu.Unlock()
	err := h.ln.Close()
	h.wg.Wait()
	return err
}

func (h *Host) accept() {
	defer h.wg.Done()
	for {
		c, err := h.ln.Accept()
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				continue
			}
			return
		}
		h.wg.Add(1)
		go h.serve(c)
	}
}

type message struct {
	Type      string   `json:"type"`
	Pid       int      `json:"pid"`
	Framework string   `json:"framework"`
	Why       string   `json:"why"`
	ID        int      `json:"id"`
	OK        bool     `json:"ok"`
	Fallback  bool     `json:"fallback"`
	Error     string   `json:"error"`
	Hash      string   `json:"hash"`
	Reloaded  []string `json:"reloaded"`
}

func (h *Host) serve(nc net.Conn) {
	defer h.wg.Done()
	defer nc.Close()
	var cn *conn
	defer func() {
		if cn == nil {
			return
		}
		h.mu.Lock()
		if h.conns[cn.pid] == cn {
			delete(h.conns, cn.pid)
		}
		close(cn.gone)
		h.mu.Unlock()
	}()
	sc := bufio.NewScanner(nc)
	sc.Buffer(make([]byte, 4096), 1<<20)
	for sc.Scan() {
		var m message
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil || m.Pid <= 0 {
			continue
		}
		h.mu.Lock()
		if h.closed {
			h.mu.Unlock()
			return
		}
		if cn == nil {
			cn = &conn{c: nc, pid: m.Pid, waiting: map[int]chan Result{}, gone: make(chan struct{})}
			h.conns[m.Pid] = cn
		}
		var notify func()
		switch m.Type {
		case "ready":
			cn.state = "ready"
			if f := h.events.Ready; f != nil {
				notify = func() { f(m.Pid, m.Framework) }
			}
		case "off":
			cn.state, cn.why = "off", m.Why
			if f := h.events.Off; f != nil {
				notify = func() { f(m.Pid, m.Why) }
			}
		case "result":
			if ch, ok := cn.waiting[m.ID]; ok {
				delete(cn.waiting, m.ID)
				r := Result{OK: m.OK, Fallback: m.Fallback, Error: m.Error, Reloaded: m.Reloaded}
				if v, err := strconv.ParseUint(m.Hash, 16, 64); err == nil {
					r.Hash = v
				}
				ch <- r
			}
		}
		h.mu.Unlock()
		if notify != nil {
			notify()
		}
	}
}

// Reload asks server pid to rebuild req's plugin and waits for its answer
// (at most timeout; 0 means DefaultTimeout). An error means no answer: the
// caller restarts.
func (h *Host) Reload(ctx context.Context, pid int, req Request, timeout time.Duration) (Result, error) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	h.mu.Lock()
	cn := h.conns[pid]
	switch {
	case cn == nil:
		h.mu.Unlock()
		return Result{Fallback: true, Error: fmt.Sprintf("server pid %d has not connected its hot plugin preload", pid)}, nil
	case cn.state == "off":
		h.mu.Unlock()
		return Result{Fallback: true, Error: "hot plugins are off in this server: " + cn.why}, nil
	case cn.state != "ready":
		h.mu.Unlock()
		return Result{Fallback: true, Error: "the server has not finished initializing its plugins"}, nil
	}
	h.nextID++
	id := h.nextID
	ch := make(chan Result, 1)
	cn.waiting[id] = ch
	h.mu.Unlock()
	forget := func() {
		h.mu.Lock()
		delete(cn.waiting, id)
		h.mu.Unlock()
	}
	line, _ := json.Marshal(map[string]any{"type": "reload", "id": id, "plugin": req.Plugin, "export": req.Export, "file": req.File})
	cn.c.SetWriteDeadline(time.Now().Add(timeout))
	if _, err := cn.c.Write(append(line, '\n')); err != nil {
		forget()
		return Result{}, fmt.Errorf("asking server pid %d to reload plugin %q: %w", pid, req.Plugin, err)
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-ch:
		return r, nil
	case <-cn.gone:
		forget()
		return Result{}, fmt.Errorf("server pid %d closed its hot plugin connection while reloading plugin %q", pid, req.Plugin)
	case <-t.C:
		forget()
		return Result{}, fmt.Errorf("server pid %d did not finish reloading plugin %q within %s", pid, req.Plugin, timeout)
	case <-ctx.Done():
		forget()
		return Result{}, ctx.Err()
	}
}

// State says whether server pid can reload plugins: "ready", "off" (with
// why) or "" when it has not said yet.
func (h *Host) State(pid int) (state, why string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if cn := h.conns[pid]; cn != nil {
		return cn.state, cn.why
	}
	return "", ""
}
