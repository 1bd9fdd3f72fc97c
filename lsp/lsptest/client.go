// Package lsptest is a small LSP client for tests: it drives a donkeyls
// server (in process or the real binary) the way an editor does, answers the
// server's requests, and records what the server publishes so tests can
// wait for it.
package lsptest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"

	"github.com/donkeyls/donkeyls/lsp/rpc"
	"github.com/donkeyls/donkeyls/lsp/text"
)

// Timeout bounds every wait of a test client. It is generous on purpose:
// the whole suite runs with -race, several packages at once, on two shared
// cores, and a wait that passes never costs its bound.
const Timeout = 60 * time.Second

// Diagnostics is one publishDiagnostics notification.
type Diagnostics struct {
	URI         string                `json:"uri"`
	Version     *int32                `json:"version"`
	Diagnostics []protocol.Diagnostic `json:"diagnostics"`
}

// Progress is one $/progress notification.
type Progress struct {
	Token json.RawMessage `json:"token"`
	Value struct {
		Kind        string `json:"kind"`
		Title       string `json:"title"`
		Message     string `json:"message"`
		Cancellable bool   `json:"cancellable"`
	} `json:"value"`
}

// Client is a test editor.
type Client struct {
	t      testing.TB
	conn   jsonrpc2.Conn
	stream *rpc.Stream

	// Settings answers workspace/configuration for the donkeyls section.
	Settings json.RawMessage
	// MessageAnswer is the action a window/showMessageRequest is answered
	// with; "" answers null, as dismissing the message does. Set it
	// before the request is sent (SetMessageAnswer while running).
	MessageAnswer string

	mu            sync.Mutex
	changed       chan struct{} // closed and replaced on every notification
	diags         map[string]Diagnostics
	publishes     []Diagnostics
	messages      []protocol.ShowMessageParams
	logs          []protocol.LogMessageParams
	progress      []Progress
	registrations []protocol.Registration
	statuses      []json.RawMessage // donkeyls/status params, in order
	applied       []json.RawMessage
	versions      map[string]int32
	raw           map[string]chan Response // hand-made requests waiting for replies, by id JSON
	garbage       []string                 // what the server wrote that was not a message
	withhold      map[string]bool          // server requests left unanswered until Answer
	held          map[string][]func()      // their deferred answers, by method
}

// StatusMethod is the server's donkeyls/status notification (lsp.StatusMethod).
const StatusMethod = "donkeyls/status"

// Response is the reply to a hand-made request.
type Response struct {
	Result json.RawMessage
	Err    error
}

// tap passes replies to hand-made requests to their waiters; jsonrpc2's
// connection would drop them as answers to nothing it sent.
type tap struct {
	*rpc.Stream
	c *Client
}

func (s tap) Read(ctx context.Context) (jsonrpc2.Message, int64, error) {
	for {
		msg, n, err := s.Stream.Read(ctx)
		if resp, ok := msg.(*jsonrpc2.Response); ok && err == nil {
			id := string(rpc.IDJSON(resp.ID()))
			s.c.mu.Lock()
			ch := s.c.raw[id]
			delete(s.c.raw, id)
			s.c.mu.Unlock()
			if ch != nil {
				ch <- Response{Result: resp.Result(), Err: resp.Err()}
				continue
			}
		}
		return msg, n, err
	}
}

// New connects a client to a server reading r and writing w.
func New(t testing.TB, r io.Reader, w io.WriteCloser) *Client {
	c := &Client{
		t:        t,
		changed:  make(chan struct{}),
		diags:    map[string]Diagnostics{},
		versions: map[string]int32{},
		raw:      map[string]chan Response{},
		withhold: map[string]bool{},
		held:     map[string][]func(){},
	}
	c.stream = rpc.NewStream(r, w, w)
	c.stream.OnSkip = func(err error) {
		if errors.Is(err, rpc.ErrUnattributed) {
			return // the server's answer to garbage a test sent
		}
		c.mu.Lock()
		c.garbage = append(c.garbage, err.Error())
		c.mu.Unlock()
	}
	c.conn = jsonrpc2.NewConn(tap{c.stream, c})
	c.conn.Go(context.Background(), c.handle)
	return c
}

// Conn is the client's connection, for tests that send raw requests.
func (c *Client) Conn() jsonrpc2.Conn { return c.conn }

func (c *Client) handle(ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
	params := req.Params()
	c.mu.Lock()
	switch req.Method() {
	case "textDocument/publishDiagnostics":
		var d Diagnostics
		if json.Unmarshal(params, &d) == nil {
			c.diags[d.URI] = d
			c.publishes = append(c.publishes, d)
		}
	case "window/showMessage", "window/showMessageRequest":
		var m protocol.ShowMessageParams
		if json.Unmarshal(params, &m) == nil {
			c.messages = append(c.messages, m)
		}
	case "window/logMessage":
		var m protocol.LogMessageParams
		if json.Unmarshal(params, &m) == nil {
			c.logs = append(c.logs, m)
		}
	case "$/progress":
		var p Progress
		if json.Unmarshal(params, &p) == nil {
			c.progress = append(c.progress, p)
		}
	case "client/registerCapability":
		var p protocol.RegistrationParams
		if json.Unmarshal(params, &p) == nil {
			c.registrations = append(c.registrations, p.Registrations...)
		}
	case "workspace/applyEdit":
		c.applied = append(c.applied, params)
	case StatusMethod:
		c.statuses = append(c.statuses, append(json.RawMessage(nil), params...))
	}
	if _, call := req.(*jsonrpc2.Call); call && c.withhold[req.Method()] {
		c.held[req.Method()] = append(c.held[req.Method()], func() { _ = c.respond(ctx, reply, req) })
		close(c.changed)
		c.changed = make(chan struct{})
		c.mu.Unlock()
		return nil
	}
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
	return c.respond(ctx, reply, req)
}

// respond answers a server request as an editor does.
func (c *Client) respond(ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
	params := req.Params()
	c.mu.Lock()
	settings := c.Settings
	answer := c.MessageAnswer
	c.mu.Unlock()
	switch req.Method() {
	case "workspace/configuration":
		var p protocol.ConfigurationParams
		_ = json.Unmarshal(params, &p)
		out := make([]json.RawMessage, len(p.Items))
		for i := range out {
			out[i] = json.RawMessage("null")
			if p.Items[i].Section == "donkeyls" && len(settings) > 0 {
				out[i] = settings
			}
		}
		return reply(ctx, out, nil)
	case "workspace/applyEdit":
		return reply(ctx, map[string]any{"applied": true}, nil)
	case "window/showMessageRequest":
		if answer == "" {
			return reply(ctx, nil, nil)
		}
		return reply(ctx, map[string]string{"title": answer}, nil)
	case "window/workDoneProgress/create", "client/registerCapability", "client/unregisterCapability":
		return reply(ctx, nil, nil)
	}
	if _, ok := req.(*jsonrpc2.Call); ok {
		return reply(ctx, nil, jsonrpc2.Errorf(jsonrpc2.MethodNotFound, "test client: %s", req.Method()))
	}
	return nil
}

// SetMessageAnswer sets MessageAnswer while the client runs.
func (c *Client) SetMessageAnswer(title string) {
	c.mu.Lock()
	c.MessageAnswer = title
	c.mu.Unlock()
}

// Withhold leaves the server's requests for these methods unanswered, as a
// client that never answers does, until Answer.
func (c *Client) Withhold(methods ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range methods {
		c.withhold[m] = true
	}
}

// HeldLocked is the number of withheld requests of method still
// unanswered, inside a Wait condition.
func (c *Client) HeldLocked(method string) int { return len(c.held[method]) }

// Answer answers every withheld request of method now, and later ones at once.
func (c *Client) Answer(method string) {
	c.mu.Lock()
	held := c.held[method]
	delete(c.held, method)
	delete(c.withhold, method)
	c.mu.Unlock()
	for _, answer := range held {
		answer()
	}
}

// Call sends a request and decodes its result.
func (c *Client) Call(method string, params, result any) error {
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	_, err := c.conn.Call(ctx, method, params, result)
	return err
}

// Send sends a request with a chosen id (a number or a string) without
// waiting; the reply arrives on the returned channel. Tests use it to cancel
// a request by its id. Pick ids the connection does not use itself (it
// counts up from 1): strings, or large numbers.
func (c *Client) Send(id any, method string, params any) <-chan Response {
	c.t.Helper()
	msg := map[string]any{"jsonrpc": "2.0", "id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	body, err := json.Marshal(msg)
	if err != nil {
		c.t.Fatal(err)
	}
	idJSON, err := json.Marshal(id)
	if err != nil {
		c.t.Fatal(err)
	}
	ch := c.Expect(string(idJSON))
	if err := c.stream.WriteBody(body); err != nil {
		c.t.Fatalf("sending %s: %v", method, err)
	}
	return ch
}

// Expect returns the channel the reply with this id (its exact JSON) will
// arrive on, for requests written by hand with Raw or RawBody.
func (c *Client) Expect(idJSON string) <-chan Response {
	ch := make(chan Response, 1)
	c.mu.Lock()
	c.raw[idJSON] = ch
	c.mu.Unlock()
	return ch
}

// Raw writes bytes to the server as they are (garbage, broken frames).
func (c *Client) Raw(b string) {
	c.t.Helper()
	if err := c.stream.WriteRaw([]byte(b)); err != nil {
		c.t.Fatalf("writing raw bytes: %v", err)
	}
}

// RawBody frames body and writes it (a message that may not be valid).
func (c *Client) RawBody(body string) {
	c.t.Helper()
	if err := c.stream.WriteBody([]byte(body)); err != nil {
		c.t.Fatalf("writing a raw body: %v", err)
	}
}

// Await waits for a hand-made request's reply.
func Await(t testing.TB, ch <-chan Response, what string) Response {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(Timeout):
		t.Fatalf("timed out after %s waiting for the reply to %s", Timeout, what)
	}
	return Response{}
}

// ErrCode is the JSON-RPC error code of err, 0 when it is not one.
func ErrCode(err error) int {
	if we, ok := errors.AsType[*jsonrpc2.Error](err); ok {
		return int(we.Code)
	}
	return 0
}

// Notify sends a notification.
func (c *Client) Notify(method string, params any) {
	c.t.Helper()
	if err := c.conn.Notify(context.Background(), method, params); err != nil {
		c.t.Fatalf("sending %s: %v", method, err)
	}
}

// Capabilities is a client capability set like VS Code's, trimmed to what
// donkeyls reads. Tests flip parts of it.
func Capabilities(dynamicWatch bool) map[string]any {
	return map[string]any{
		"workspace": map[string]any{
			"applyEdit":              true,
			"workspaceEdit":          map[string]any{"documentChanges": true, "resourceOperations": []string{"create", "rename", "delete"}},
			"didChangeConfiguration": map[string]any{"dynamicRegistration": true},
			"didChangeWatchedFiles":  map[string]any{"dynamicRegistration": dynamicWatch},
			"configuration":          true,
			"workspaceFolders":       true,
		},
		"window": map[string]any{"workDoneProgress": true},
		"textDocument": map[string]any{
			"codeAction": map[string]any{"codeActionLiteralSupport": map[string]any{
				"codeActionKind": map[string]any{"valueSet": []string{"quickfix", "refactor", "refactor.extract"}},
			}},
			"publishDiagnostics": map[string]any{"versionSupport": true},
		},
	}
}

// Initialize runs initialize and initialized for one folder.
func (c *Client) Initialize(root string, caps map[string]any, initOptions any) json.RawMessage {
	c.t.Helper()
	params := map[string]any{
		"processId":        os.Getpid(),
		"rootUri":          text.FileURI(root),
		"capabilities":     caps,
		"workspaceFolders": []map[string]any{{"uri": text.FileURI(root), "name": filepath.Base(root)}},
	}
	if initOptions != nil {
		params["initializationOptions"] = initOptions
	}
	var result json.RawMessage
	if err := c.Call("initialize", params, &result); err != nil {
		c.t.Fatalf("initialize: %v", err)
	}
	c.Notify("initialized", map[string]any{})
	return result
}

// Shutdown sends shutdown and exit.
func (c *Client) Shutdown() {
	c.t.Helper()
	if err := c.Call("shutdown", nil, nil); err != nil {
		c.t.Errorf("shutdown: %v", err)
	}
	c.Notify("exit", nil)
}

// Open opens path with its content on disk (or text when given).
func (c *Client) Open(path string, content ...string) string {
	c.t.Helper()
	var s string
	if len(content) > 0 {
		s = content[0]
	} else {
		b, err := os.ReadFile(path)
		if err != nil {
			c.t.Fatalf("open: %v", err)
		}
		s = string(b)
	}
	c.mu.Lock()
	c.versions[path] = 1
	c.mu.Unlock()
	c.Notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{
		"uri": text.FileURI(path), "languageId": "typescript", "version": 1, "text": s,
	}})
	return s
}

// Edit is one incremental change: replace [start,end) with Text.
type Edit struct {
	StartLine, StartChar, EndLine, EndChar int
	Text                                   string
}

// Change sends incremental edits and returns the new version.
func (c *Client) Change(path string, edits ...Edit) int32 {
	c.t.Helper()
	c.mu.Lock()
	c.versions[path]++
	v := c.versions[path]
	c.mu.Unlock()
	changes := make([]map[string]any, len(edits))
	for i, e := range edits {
		changes[i] = map[string]any{
			"range": map[string]any{
				"start": map[string]any{"line": e.StartLine, "character": e.StartChar},
				"end":   map[string]any{"line": e.EndLine, "character": e.EndChar},
			},
			"text": e.Text,
		}
	}
	c.Notify("textDocument/didChange", map[string]any{
		"textDocument":   map[string]any{"uri": text.FileURI(path), "version": v},
		"contentChanges": changes,
	})
	return v
}

// Replace sends a full-document change and returns the new version.
func (c *Client) Replace(path, content string) int32 {
	c.t.Helper()
	c.mu.Lock()
	c.versions[path]++
	v := c.versions[path]
	c.mu.Unlock()
	c.Notify("textDocument/didChange", map[string]any{
		"textDocument":   map[string]any{"uri": text.FileURI(path), "version": v},
		"contentChanges": []map[string]any{{"text": content}},
	})
	return v
}

// Save writes content to disk and sends didSave, as an editor does.
func (c *Client) Save(path, content string) {
	c.t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		c.t.Fatal(err)
	}
	c.Notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": text.FileURI(path)}})
}

// Close closes a document.
func (c *Client) Close(path string) {
	c.t.Helper()
	c.Notify("textDocument/didClose", map[string]any{"textDocument": map[string]any{"uri": text.FileURI(path)}})
}

// Wait waits until cond, evaluated under the client's lock after every
// notification, holds; it fails the test with what after Timeout.
func (c *Client) Wait(what string, cond func() bool) {
	c.t.Helper()
	deadline := time.After(Timeout)
	for {
		c.mu.Lock()
		ok := cond()
		ch := c.changed
		c.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			c.t.Fatalf("timed out after %s waiting for %s\n%s", Timeout, what, c.Dump())
		}
	}
}

// TryWait is Wait that reports whether cond came to hold within d instead
// of failing the test, for callers that explain a failure themselves.
func (c *Client) TryWait(d time.Duration, cond func() bool) bool {
	deadline := time.After(d)
	for {
		c.mu.Lock()
		ok := cond()
		ch := c.changed
		c.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-deadline:
			return false
		}
	}
}

// LatestAllLocked is the latest diagnostics of every URI, inside a Wait
// condition.
func (c *Client) LatestAllLocked() map[string]Diagnostics { return c.diags }

// WaitDiagnostics waits until the latest diagnostics of path satisfy cond.
func (c *Client) WaitDiagnostics(path, what string, cond func(Diagnostics) bool) Diagnostics {
	c.t.Helper()
	uri := text.FileURI(path)
	var got Diagnostics
	c.Wait(fmt.Sprintf("diagnostics of %s: %s", filepath.Base(path), what), func() bool {
		d, ok := c.diags[uri]
		if ok && cond(d) {
			got = d
			return true
		}
		return false
	})
	return got
}

// Latest returns the latest diagnostics published for path.
func (c *Client) Latest(path string) (Diagnostics, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.diags[text.FileURI(path)]
	return d, ok
}

// LatestLocked is Latest by URI inside a Wait condition.
func (c *Client) LatestLocked(uri string) (Diagnostics, bool) {
	d, ok := c.diags[uri]
	return d, ok
}

// Publishes returns every publishDiagnostics received so far.
func (c *Client) Publishes() []Diagnostics {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Diagnostics(nil), c.publishes...)
}

// Messages returns every showMessage received so far.
func (c *Client) Messages() []protocol.ShowMessageParams {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]protocol.ShowMessageParams(nil), c.messages...)
}

// Logs returns every logMessage received so far.
func (c *Client) Logs() []protocol.LogMessageParams {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]protocol.LogMessageParams(nil), c.logs...)
}

// LogsLocked is Logs inside a Wait condition.
func (c *Client) LogsLocked() []protocol.LogMessageParams { return c.logs }

// WaitMessage waits for a showMessage containing substr.
func (c *Client) WaitMessage(substr string) protocol.ShowMessageParams {
	c.t.Helper()
	var got protocol.ShowMessageParams
	c.Wait("a message containing "+substr, func() bool {
		for _, m := range c.messages {
			if strings.Contains(m.Message, substr) {
				got = m
				return true
			}
		}
		return false
	})
	return got
}

// ProgressEvents returns every $/progress received so far.
func (c *Client) ProgressEvents() []Progress {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Progress(nil), c.progress...)
}

// ProgressEventsLocked is ProgressEvents for use inside a Wait condition,
// which already holds the client's lock.
func (c *Client) ProgressEventsLocked() []Progress { return c.progress }

// RegistrationsLocked is Registrations inside a Wait condition.
func (c *Client) RegistrationsLocked() []protocol.Registration { return c.registrations }

// Registrations returns the capabilities the server registered.
func (c *Client) Registrations() []protocol.Registration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]protocol.Registration(nil), c.registrations...)
}

// Codes lists the diagnostic codes, sorted.
func Codes(d Diagnostics) []string {
	var out []string
	for _, x := range d.Diagnostics {
		out = append(out, fmt.Sprint(x.Code))
	}
	slices.Sort(out)
	return out
}

// Has reports whether d holds a diagnostic with code.
func Has(d Diagnostics, code string) bool {
	for _, x := range d.Diagnostics {
		if fmt.Sprint(x.Code) == code {
			return true
		}
	}
	return false
}

// Garbage lists what the server wrote that was not a protocol message;
// a server must write nothing else to stdout.
func (c *Client) Garbage() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.garbage...)
}

// Dump describes what the client received, for failure messages.
func (c *Client) Dump() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "latest diagnostics:\n")
	uris := make([]string, 0, len(c.diags))
	for u := range c.diags {
		uris = append(uris, u)
	}
	slices.Sort(uris)
	for _, u := range uris {
		d := c.diags[u]
		fmt.Fprintf(&b, "  %s v%v: %v\n", u, deref(d.Version), Codes(d))
	}
	for _, m := range c.messages {
		fmt.Fprintf(&b, "showMessage(%v): %s\n", m.Type, m.Message)
	}
	n := len(c.logs)
	start := 0
	if n > 15 {
		start = n - 15
	}
	for _, m := range c.logs[start:] {
		fmt.Fprintf(&b, "log(%v): %s\n", m.Type, m.Message)
	}
	return b.String()
}

func deref(v *int32) any {
	if v == nil {
		return "-"
	}
	return *v
}

// StatusesLocked are the params of every donkeyls/status so far, in order,
// inside a Wait condition.
func (c *Client) StatusesLocked() []json.RawMessage { return c.statuses }

// Statuses are the params of every donkeyls/status so far, in order.
func (c *Client) Statuses() []json.RawMessage {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]json.RawMessage(nil), c.statuses...)
}
