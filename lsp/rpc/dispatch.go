package rpc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"

	"go.lsp.dev/jsonrpc2"
)

// Error codes the LSP specification adds to JSON-RPC's.
const (
	CodeServerNotInitialized jsonrpc2.Code = -32002
	CodeRequestFailed        jsonrpc2.Code = -32803
	CodeServerCancelled      jsonrpc2.Code = -32802
	CodeContentModified      jsonrpc2.Code = -32801
	CodeRequestCancelled     jsonrpc2.Code = -32800
)

// Errorf makes a JSON-RPC error with a code.
func Errorf(code jsonrpc2.Code, format string, args ...any) *jsonrpc2.Error {
	return jsonrpc2.Errorf(code, format, args...)
}

// Request is one incoming call or notification.
type Request struct {
	Method string
	Params json.RawMessage
	// ID is set for calls; IsCall says whether the sender waits for a reply.
	ID     jsonrpc2.ID
	IsCall bool
}

// Async is returned as a handler's result to finish the request on a
// goroutine of its own: the handler ran in order (and captured whatever
// state it needs), Work computes the reply concurrently with the messages
// that follow.
type Async func(ctx context.Context) (any, error)

// HandlerFunc handles one request on the ordered goroutine.
type HandlerFunc func(ctx context.Context, req *Request) (any, error)

// Dispatcher orders incoming messages. The jsonrpc2 read loop hands every
// message to Handle, which never blocks: $/cancelRequest takes effect at
// once, everything else is queued and run by Run one at a time.
type Dispatcher struct {
	handle HandlerFunc
	logf   func(format string, args ...any)
	// life is the connection's lifetime: replies are written with it, so a
	// request's own cancelled context never suppresses its answer.
	life context.Context

	mu       sync.Mutex
	queue    []item
	wake     chan struct{}
	inflight map[jsonrpc2.ID]context.CancelFunc
	workers  sync.WaitGroup
}

type item struct {
	ctx    context.Context
	cancel context.CancelFunc
	req    *Request
	reply  jsonrpc2.Replier
	fn     func(context.Context) // an internal event, when set
}

// NewDispatcher routes every message to handle. life bounds every request.
func NewDispatcher(life context.Context, handle HandlerFunc, logf func(string, ...any)) *Dispatcher {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	return &Dispatcher{
		handle:   handle,
		logf:     logf,
		life:     life,
		wake:     make(chan struct{}, 1),
		inflight: map[jsonrpc2.ID]context.CancelFunc{},
	}
}

// Handle is the jsonrpc2.Handler to pass to Conn.Go.
func (d *Dispatcher) Handle(_ context.Context, reply jsonrpc2.Replier, msg jsonrpc2.Request) error {
	req := &Request{Method: msg.Method(), Params: msg.Params()}
	if call, ok := msg.(*jsonrpc2.Call); ok {
		req.ID, req.IsCall = call.ID(), true
	}
	if req.Method == "$/cancelRequest" {
		d.cancelFromParams(req.Params)
		if req.IsCall {
			d.replied(req.Method, reply(d.life, nil, nil))
		}
		return nil
	}
	ctx, cancel := context.WithCancel(d.life)
	d.mu.Lock()
	if req.IsCall {
		if _, dup := d.inflight[req.ID]; dup {
			d.mu.Unlock()
			cancel()
			d.replied(req.Method, reply(d.life, nil, Errorf(jsonrpc2.InvalidRequest, "request id %s is already in use", IDString(req.ID))))
			return nil
		}
		d.inflight[req.ID] = cancel
	}
	d.queue = append(d.queue, item{ctx: ctx, cancel: cancel, req: req, reply: reply})
	d.mu.Unlock()
	d.signal()
	return nil
}

// replied logs a reply that could not be written. The error is never
// handed back to jsonrpc2, which would close the connection for it (the
// stream reports a broken output itself).
func (d *Dispatcher) replied(method string, err error) {
	if err != nil {
		d.logf("replying to %s: %v", method, err)
	}
}

// Enqueue runs fn on the ordered goroutine after every message received so
// far: internal events (a debounced reload, a settings answer) take their
// place in the same order as the client's edits.
func (d *Dispatcher) Enqueue(fn func(ctx context.Context)) {
	d.mu.Lock()
	d.queue = append(d.queue, item{fn: fn})
	d.mu.Unlock()
	d.signal()
}

func (d *Dispatcher) signal() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// cancelFromParams cancels the request named by {"id": number|string}. The
// id is read as the stream reads request ids (aliases included) so that it
// matches the key the request was stored under whatever its JSON type
// (protocol's own cancel handler decodes numbers as float64 and never
// matches, and jsonrpc2 reads "" as 0).
func (d *Dispatcher) cancelFromParams(params json.RawMessage) {
	var p struct {
		ID json.RawMessage `json:"id"`
	}
	if json.Unmarshal(params, &p) != nil || len(p.ID) == 0 {
		d.logf("$/cancelRequest without a readable id: %s", excerptOf(params))
		return
	}
	id, err := parseID(p.ID)
	if err != nil {
		d.logf("$/cancelRequest with an id that names no request: %s", excerptOf(p.ID))
		return
	}
	d.Cancel(id)
}

// Cancel cancels a queued or running request; unknown ids are ignored (the
// request may have finished already).
func (d *Dispatcher) Cancel(id jsonrpc2.ID) {
	d.mu.Lock()
	cancel := d.inflight[id]
	d.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// Run processes the queue until ctx is done. It returns after the ordered
// goroutine stopped; Wait waits for Async work as well.
func (d *Dispatcher) Run(ctx context.Context) {
	for {
		d.mu.Lock()
		var it item
		ok := len(d.queue) > 0
		if ok {
			it = d.queue[0]
			d.queue[0] = item{}
			d.queue = d.queue[1:]
		}
		d.mu.Unlock()
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-d.wake:
			}
			continue
		}
		if ctx.Err() != nil {
			d.drop(it)
			continue
		}
		d.run(it)
	}
}

// drop answers what is still queued when the connection ends.
func (d *Dispatcher) drop(it item) {
	if it.req != nil {
		d.finish(it, nil, Errorf(CodeServerCancelled, "server is shutting down"))
	}
}

func (d *Dispatcher) run(it item) {
	if it.fn != nil {
		d.protect("internal event", func() { it.fn(d.life) })
		return
	}
	if it.ctx.Err() != nil {
		d.finish(it, nil, it.ctx.Err())
		return
	}
	var res any
	var err error
	if !d.protect(it.req.Method, func() { res, err = d.handle(it.ctx, it.req) }) {
		res, err = nil, Errorf(jsonrpc2.InternalError, "internal error in %s (see the donkeyls log)", it.req.Method)
	}
	if work, ok := res.(Async); ok && err == nil {
		d.workers.Go(func() {
			var res any
			var err error
			if !d.protect(it.req.Method, func() { res, err = work(it.ctx) }) {
				err = Errorf(jsonrpc2.InternalError, "internal error in %s (see the donkeyls log)", it.req.Method)
			}
			d.finish(it, res, err)
		})
		return
	}
	d.finish(it, res, err)
}

// protect runs fn and turns a panic into a log line; it reports whether fn
// returned normally. Bad input must never take the server down.
func (d *Dispatcher) protect(what string, fn func()) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			d.logf("panic in %s: %v\n%s", what, r, debug.Stack())
			ok = false
		}
	}()
	fn()
	return true
}

func (d *Dispatcher) finish(it item, res any, err error) {
	if it.req.IsCall {
		d.mu.Lock()
		delete(d.inflight, it.req.ID)
		d.mu.Unlock()
	}
	cancelled := it.ctx.Err() != nil
	it.cancel()
	if !it.req.IsCall {
		if err != nil && !cancelled {
			d.logf("%s: %v", it.req.Method, err)
		}
		return
	}
	if err != nil {
		err = wireError(err, cancelled)
		res = nil
	}
	d.replied(it.req.Method, it.reply(d.life, res, err))
}

// wireError gives every error a JSON-RPC code: jsonrpc2 would send 0.
func wireError(err error, cancelled bool) *jsonrpc2.Error {
	if we, ok := errors.AsType[*jsonrpc2.Error](err); ok {
		return we
	}
	if cancelled || errors.Is(err, context.Canceled) {
		return Errorf(CodeRequestCancelled, "request cancelled")
	}
	return Errorf(CodeRequestFailed, "%s", err.Error())
}

// Wait waits for every Async work started so far.
func (d *Dispatcher) Wait() { d.workers.Wait() }

// DecodeParams decodes a request's params, answering InvalidParams when they
// do not fit.
func DecodeParams(req *Request, into any) error {
	if len(req.Params) == 0 || string(req.Params) == "null" {
		return Errorf(jsonrpc2.InvalidParams, "%s: missing params", req.Method)
	}
	if err := json.Unmarshal(req.Params, into); err != nil {
		return Errorf(jsonrpc2.InvalidParams, "%s: %v", req.Method, fmt.Errorf("decoding params: %w", err))
	}
	return nil
}
