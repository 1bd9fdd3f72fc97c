package lsp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"

	"github.com/donkeyls/donkeyls/internal/excerpt"
	"github.com/donkeyls/donkeyls/lsp/rpc"
	"github.com/donkeyls/donkeyls/lsp/settings"
	"github.com/donkeyls/donkeyls/lsp/text"
)

// DefaultDebounce is the quiet time after the last change of a burst before
// diagnostics are computed.
const DefaultDebounce = 100 * time.Millisecond

// shutdownGrace bounds how long the server waits, once the client is gone,
// for running commands to stop (a typegen run gets SIGTERM, then SIGKILL
// after 2s).
const shutdownGrace = 5 * time.Second

// Options configure a Server.
type Options struct {
	// Engine is the analysis; nil means the analysis packages.
	Engine Engine
	// Log receives the server's log (the --log file); nil means none.
	Log io.Writer
	// Debounce is the quiet time before diagnostics run: 0 means
	// DefaultDebounce, a negative value none at all (benchmarks).
	Debounce time.Duration
	// Version is reported in serverInfo.
	Version string
	// Providers contribute code actions after the built-in quick fixes.
	Providers []ActionProvider
	// AfterLoad, when set, runs on its own goroutine once the findings of
	// a full project load are published: the heap then holds what the
	// server keeps, and the command can return the rest to the OS.
	AfterLoad func()
}

// lifecycle states, advanced only on the ordered goroutine.
type lifecycle int

const (
	stateNew lifecycle = iota
	stateRunning
	stateShutdown
)

// Server is one language server session over one connection.
type Server struct {
	opts   Options
	engine Engine
	log    *slog.Logger
	// logSink connects the log to the client once the connection exists.
	logSink *logSink
	conn    jsonrpc2.Conn
	disp    *rpc.Dispatcher
	// life is the connection's lifetime: the dispatcher, replies and
	// notifications. work is cancelled earlier, at shutdown: analysis,
	// typegen runs and watchers.
	life      context.Context
	stop      context.CancelFunc
	work      context.Context
	stopWork  context.CancelFunc
	providers []ActionProvider
	commands  map[string]commandFunc

	// Owned by the ordered goroutine.
	state           lifecycle
	initializedSeen bool
	folders         []string

	exitOnce sync.Once
	exited   chan struct{}
	// outClosed is closed when a write to the client failed: it stopped
	// reading, and the session is over.
	outOnce   sync.Once
	outClosed chan struct{}
	// discovered is closed once the workspace folders given at start-up
	// were searched for projects; commands wait for it.
	discovered chan struct{}

	mu        sync.Mutex // guards everything below
	caps      caps
	docs      map[text.Key]*text.Document
	saved     map[text.Key]string // content at open or at the last save, for on-save impact
	projects  []*projectState
	settings  settings.Settings
	initSet   settings.Settings // settings from initializationOptions: the base for every later layer
	reported  map[string]bool   // settings problems already shown
	progress  map[string]context.CancelFunc
	shownOnce map[string]bool
	watchers  []io.Closer
	selfWatch bool // the client cannot watch files: we watch each project
	// folderWatch holds the shallow watcher of each workspace folder.
	folderWatch map[string]io.Closer
	workers     sync.WaitGroup
}

// Serve runs a session over in/out until the client sends exit, the input
// ends or ctx is cancelled. The exit code follows the specification: 0 when
// shutdown came before the end, 1 otherwise.
func Serve(ctx context.Context, in io.Reader, out io.Writer, opts Options) int {
	s := newServer(ctx, opts)
	stream := rpc.NewStream(in, out, nil)
	stream.OnSkip = func(err error) { s.log.Warn("ignored malformed input", "err", err) }
	var outErr error
	// Called inside a write, under jsonrpc2's write lock: it must not write.
	stream.OnWriteError = func(err error) {
		s.outOnce.Do(func() {
			outErr = err
			close(s.outClosed)
		})
	}
	s.conn = jsonrpc2.NewConn(stream)
	s.disp = rpc.NewDispatcher(s.life, s.handle, func(format string, args ...any) { s.log.Error(fmt.Sprintf(format, args...)) })
	s.logSink.setClient(func(t protocol.MessageType, msg string) {
		_ = s.conn.Notify(s.life, "window/logMessage", protocol.LogMessageParams{Type: t, Message: msg})
	})
	s.conn.Go(s.life, s.disp.Handle)
	ordered := make(chan struct{})
	go func() { s.disp.Run(s.life); close(ordered) }()

	select {
	case <-s.exited:
	case <-s.outClosed:
		s.log.Error("the client's end of the output closed: ending the session", "err", outErr)
	case <-s.conn.Done():
		s.log.Debug("input closed", "err", s.conn.Err())
	case <-ctx.Done():
		s.log.Debug("stopped", "err", ctx.Err())
	}
	s.teardown(ordered)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == stateShutdown {
		return 0
	}
	return 1
}

func newServer(ctx context.Context, opts Options) *Server {
	life, stop := context.WithCancel(ctx)
	work, stopWork := context.WithCancel(life)
	log, sink := newLogger(opts.Log)
	s := &Server{
		opts:       opts,
		engine:     opts.Engine,
		log:        log,
		logSink:    sink,
		life:       life,
		stop:       stop,
		work:       work,
		stopWork:   stopWork,
		exited:     make(chan struct{}),
		outClosed:  make(chan struct{}),
		discovered: make(chan struct{}),
		docs:       map[text.Key]*text.Document{},
		saved:      map[text.Key]string{},
		settings:   settings.Default(),
		initSet:    settings.Default(),
		reported:   map[string]bool{},
		progress:   map[string]context.CancelFunc{},
		shownOnce:  map[string]bool{},
	}
	if s.engine == nil {
		s.engine = AnalysisEngine{}
	}
	s.providers = append([]ActionProvider{findingActions{}, extractActions{}, alignActions{}}, opts.Providers...)
	s.commands = map[string]commandFunc{
		CommandRegenerate:    s.cmdRegenerate,
		CommandRestart:       s.cmdRestart,
		CommandExtractPlugin: s.cmdExtract,
	}
	return s
}

// teardown stops everything the session started and waits, within a bound,
// for it to end: no typegen process may outlive the server.
func (s *Server) teardown(ordered <-chan struct{}) {
	s.stopWork()
	s.stop()
	<-ordered
	s.mu.Lock()
	watchers := s.watchers
	s.watchers = nil
	projects := s.projects
	s.mu.Unlock()
	for _, w := range watchers {
		_ = w.Close()
	}
	done := make(chan struct{})
	go func() {
		s.disp.Wait()
		s.workers.Wait()
		for _, ps := range projects {
			ps.waitIdle(s.log)
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(shutdownGrace):
		s.log.Error("gave up waiting for running work to stop", "waited", shutdownGrace)
	}
	_ = s.conn.Close()
}

// go runs fn on a goroutine the teardown waits for.
func (s *Server) goWork(fn func()) {
	s.workers.Go(func() {
		fn()
	})
}

// handle is the ordered entry point of every message.
func (s *Server) handle(ctx context.Context, req *rpc.Request) (any, error) {
	if req.Method == "exit" {
		s.exit()
		return nil, nil
	}
	switch s.state {
	case stateNew:
		if req.Method == "initialize" {
			return s.initialize(ctx, req)
		}
		if req.IsCall {
			return nil, rpc.Errorf(rpc.CodeServerNotInitialized, "%s before initialize: the server is not initialized yet", methodName(req))
		}
		return nil, nil
	case stateShutdown:
		if req.IsCall {
			return nil, rpc.Errorf(jsonrpc2.InvalidRequest, "%s after shutdown: only exit is accepted now", methodName(req))
		}
		return nil, nil
	}
	h := s.method(req.Method)
	if h == nil {
		if req.IsCall {
			return nil, rpc.Errorf(jsonrpc2.MethodNotFound, "method not found: %s", methodName(req))
		}
		s.log.Debug("ignored notification", "method", methodName(req))
		return nil, nil
	}
	return h(ctx, req)
}

// methodName is a client's method name fit to repeat: any string may
// arrive there.
func methodName(req *rpc.Request) string { return excerpt.Of(req.Method, excerpt.Short) }

type methodFunc func(context.Context, *rpc.Request) (any, error)

func (s *Server) method(name string) methodFunc {
	switch name {
	case "initialize":
		return func(context.Context, *rpc.Request) (any, error) {
			return nil, rpc.Errorf(jsonrpc2.InvalidRequest, "initialize was already received")
		}
	case "initialized":
		return s.initialized
	case "shutdown":
		return s.shutdown
	case "textDocument/didOpen":
		return s.didOpen
	case "textDocument/didChange":
		return s.didChange
	case "textDocument/didClose":
		return s.didClose
	case "textDocument/didSave":
		return s.didSave
	case "textDocument/codeAction":
		return s.codeAction
	case "workspace/executeCommand":
		return s.executeCommand
	case "workspace/didChangeConfiguration":
		return s.didChangeConfiguration
	case "workspace/didChangeWatchedFiles":
		return s.didChangeWatchedFiles
	case "workspace/didChangeWorkspaceFolders":
		return s.didChangeWorkspaceFolders
	case "window/workDoneProgress/cancel":
		return s.cancelProgress
	case "textDocument/definition":
		return s.definition
	case "textDocument/references":
		return s.references
	case "textDocument/hover":
		return s.hover
	case "textDocument/documentSymbol":
		return s.documentSymbol
	case "workspace/symbol":
		return s.workspaceSymbol
	case "textDocument/prepareRename":
		return s.prepareRename
	case "textDocument/rename":
		return s.rename
	case "textDocument/completion":
		return s.completion
	case "textDocument/codeLens":
		return s.codeLens
	case "codeLens/resolve":
		return s.codeLensResolve
	}
	return nil
}

func (s *Server) exit() {
	s.exitOnce.Do(func() { close(s.exited) })
}

func (s *Server) shutdown(ctx context.Context, req *rpc.Request) (any, error) {
	s.mu.Lock()
	s.state = stateShutdown
	s.mu.Unlock()
	// Stop what runs in the background; only exit is left to handle.
	s.stopWork()
	return nil, nil
}

// notify sends a notification with the connection's lifetime context.
func (s *Server) notify(method string, params any) {
	if err := s.conn.Notify(context.WithoutCancel(s.life), method, params); err != nil {
		s.log.Debug("sending a notification", "method", method, "err", err)
	}
}

// call sends a request to the client and waits, at most timeout (0: as long
// as ctx lasts), for the reply.
func (s *Server) call(ctx context.Context, method string, params, result any, timeout time.Duration) error {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	if _, err := s.conn.Call(ctx, method, params, result); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	return nil
}

// showMessage tells the user something in the editor's UI.
func (s *Server) showMessage(t protocol.MessageType, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	s.log.Debug("showMessage", "message", msg)
	s.notify("window/showMessage", protocol.ShowMessageParams{Type: t, Message: msg})
}

// showOnce shows a message the first time key is seen in this session.
func (s *Server) showOnce(key string, t protocol.MessageType, format string, args ...any) {
	s.mu.Lock()
	seen := s.shownOnce[key]
	s.shownOnce[key] = true
	s.mu.Unlock()
	if !seen {
		s.showMessage(t, format, args...)
	}
}

// warnOnce logs a warning the first time key is seen in this session.
func (s *Server) warnOnce(key, msg string, args ...any) {
	s.mu.Lock()
	seen := s.shownOnce[key]
	s.shownOnce[key] = true
	s.mu.Unlock()
	if !seen {
		s.log.Warn(msg, args...)
	}
}

func (s *Server) currentSettings() settings.Settings {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.settings
}

func (s *Server) clientCaps() caps {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.caps
}

// errInvalidParams wraps a decoding problem as InvalidParams.
func errInvalidParams(method string, err error) error {
	if we, ok := errors.AsType[*jsonrpc2.Error](err); ok {
		return we
	}
	return rpc.Errorf(jsonrpc2.InvalidParams, "%s: %v", method, err)
}
