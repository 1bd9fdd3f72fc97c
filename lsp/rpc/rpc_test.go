package rpc

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.lsp.dev/jsonrpc2"
)

// wire is the client end of a pipe to a dispatcher-driven server.
type wire struct {
	t   *testing.T
	w   io.WriteCloser
	in  chan map[string]json.RawMessage
	eof chan struct{}
}

func startServer(t *testing.T, handle HandlerFunc) *wire {
	t.Helper()
	cr, sw := io.Pipe() // server writes, client reads
	sr, cw := io.Pipe() // client writes, server reads
	ctx, cancel := context.WithCancel(context.Background())
	stream := NewStream(sr, sw, sw)
	conn := jsonrpc2.NewConn(stream)
	d := NewDispatcher(ctx, handle, t.Logf)
	conn.Go(ctx, d.Handle)
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	w := &wire{t: t, w: cw, in: make(chan map[string]json.RawMessage, 100), eof: make(chan struct{})}
	go w.readLoop(cr)
	t.Cleanup(func() {
		cancel()
		cw.Close()
		sw.Close()
		<-done
		d.Wait()
	})
	return w
}

func (w *wire) readLoop(r io.Reader) {
	defer close(w.eof)
	br := bufio.NewReader(r)
	for {
		length := 0
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimSpace(line)
			if line == "" {
				break
			}
			if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
				length, _ = strconv.Atoi(v)
			}
		}
		body := make([]byte, length)
		if _, err := io.ReadFull(br, body); err != nil {
			return
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(body, &m); err != nil {
			w.t.Errorf("server wrote a body that is not JSON: %q", body)
			continue
		}
		w.in <- m
	}
}

func (w *wire) raw(s string) {
	w.t.Helper()
	if _, err := io.WriteString(w.w, s); err != nil {
		w.t.Fatalf("writing to server: %v", err)
	}
}

func (w *wire) send(msg string) {
	w.t.Helper()
	w.raw(fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(msg), msg))
}

func (w *wire) next(what string) map[string]json.RawMessage {
	w.t.Helper()
	select {
	case m := <-w.in:
		return m
	case <-time.After(10 * time.Second):
		w.t.Fatalf("timed out after 10s waiting for %s", what)
	}
	return nil
}

func errCode(m map[string]json.RawMessage) int {
	var e struct{ Code int }
	if err := json.Unmarshal(m["error"], &e); err != nil {
		return 0
	}
	return e.Code
}

func TestNotificationsRunInOrderWhileAsyncWorkWaits(t *testing.T) {
	var mu sync.Mutex
	var seen []int
	release := make(chan struct{})
	w := startServer(t, func(ctx context.Context, req *Request) (any, error) {
		switch req.Method {
		case "note":
			var n int
			_ = json.Unmarshal(req.Params, &n)
			mu.Lock()
			seen = append(seen, n)
			mu.Unlock()
			return nil, nil
		case "slow":
			return Async(func(ctx context.Context) (any, error) {
				<-release
				return "slow done", nil
			}), nil
		case "count":
			mu.Lock()
			defer mu.Unlock()
			return len(seen), nil
		}
		return nil, Errorf(jsonrpc2.MethodNotFound, "no %s", req.Method)
	})
	w.send(`{"jsonrpc":"2.0","id":1,"method":"slow"}`)
	for i := range 50 {
		w.send(fmt.Sprintf(`{"jsonrpc":"2.0","method":"note","params":%d}`, i))
	}
	w.send(`{"jsonrpc":"2.0","id":2,"method":"count"}`)
	m := w.next("the count reply, which must not wait for the slow request")
	if string(m["id"]) != "2" || string(m["result"]) != "50" {
		t.Fatalf("first reply = %v, want id 2 with result 50", m)
	}
	close(release)
	m = w.next("the slow reply")
	if string(m["id"]) != "1" || string(m["result"]) != `"slow done"` {
		t.Fatalf("slow reply = %v", m)
	}
	mu.Lock()
	defer mu.Unlock()
	for i, n := range seen {
		if n != i {
			t.Fatalf("notifications handled out of order: %v", seen)
		}
	}
}

func TestCancelByNumericAndStringID(t *testing.T) {
	w := startServer(t, func(ctx context.Context, req *Request) (any, error) {
		return Async(func(ctx context.Context) (any, error) {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(time.Minute):
				return "not cancelled", nil
			}
		}), nil
	})
	for _, id := range []string{`7`, `"req-7"`} {
		w.send(`{"jsonrpc":"2.0","id":` + id + `,"method":"slow"}`)
		w.send(`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":` + id + `}}`)
		m := w.next("the cancelled reply for id " + id)
		if string(m["id"]) != id || errCode(m) != int(CodeRequestCancelled) {
			t.Errorf("reply = %v, want id %s with RequestCancelled (-32800)", m, id)
		}
	}
}

func TestQueuedRequestCancelledBeforeItRuns(t *testing.T) {
	// Driven through Handle directly so that the cancellation is known to
	// have arrived while the request still waits behind a slow notification.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	block := make(chan struct{})
	started := make(chan struct{})
	var ran []string
	d := NewDispatcher(ctx, func(ctx context.Context, req *Request) (any, error) {
		ran = append(ran, req.Method)
		if req.Method == "block" {
			close(started)
			<-block
		}
		return "ok", nil
	}, t.Logf)
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()

	replies := make(chan error, 1)
	noReply := func(context.Context, any, error) error { return nil }
	blockMsg, _ := jsonrpc2.NewNotification("block", nil)
	queued, _ := jsonrpc2.NewCall(jsonrpc2.NewNumberID(3), "queued", nil)
	cancelMsg, _ := jsonrpc2.NewNotification("$/cancelRequest", map[string]any{"id": 3})
	_ = d.Handle(ctx, noReply, blockMsg)
	<-started
	_ = d.Handle(ctx, func(_ context.Context, _ any, err error) error { replies <- err; return nil }, queued)
	_ = d.Handle(ctx, noReply, cancelMsg)
	close(block)
	select {
	case err := <-replies:
		var we *jsonrpc2.Error
		if !errors.As(err, &we) || we.Code != CodeRequestCancelled {
			t.Fatalf("reply error = %v, want RequestCancelled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting for the cancelled request's reply")
	}
	cancel()
	<-done
	if fmt.Sprint(ran) != "[block]" {
		t.Errorf("handlers run = %v, want only the blocking one", ran)
	}
}

func TestGarbageIsAnsweredAndSkipped(t *testing.T) {
	w := startServer(t, func(ctx context.Context, req *Request) (any, error) {
		if req.Method == "boom" {
			panic("a handler bug")
		}
		return "pong", nil
	})
	w.raw("this is not a header\r\n\r\n")
	w.raw("\r\n")
	w.raw("Content-Length: nope\r\n\r\n")
	w.send(`{"jsonrpc":"2.0","id":1,"method":`)                 // truncated JSON
	w.send(`[1,2,3]`)                                           // JSON, not a message
	w.send(`{"jsonrpc":"2.0","id":true,"method":"x"}`)          // an id that is neither string nor number
	w.send(`{"jsonrpc":"2.0","id":99,"result":{"stray":true}}`) // a response nobody asked for
	w.send(`{"jsonrpc":"2.0","id":5,"method":"boom"}`)
	w.send(`{"jsonrpc":"2.0","id":6,"method":"ping"}`)

	var codes []int
	for {
		m := w.next("replies to garbage and then to ping")
		if string(m["id"]) == "6" {
			if string(m["result"]) != `"pong"` {
				t.Fatalf("ping reply = %v", m)
			}
			break
		}
		codes = append(codes, errCode(m))
	}
	want := []int{int(jsonrpc2.ParseError), int(jsonrpc2.InvalidRequest), int(jsonrpc2.InvalidRequest), int(jsonrpc2.InternalError)}
	if fmt.Sprint(codes) != fmt.Sprint(want) {
		t.Errorf("error codes before the ping = %v, want %v", codes, want)
	}
}

func TestDuplicateIDIsRefused(t *testing.T) {
	release := make(chan struct{})
	w := startServer(t, func(ctx context.Context, req *Request) (any, error) {
		return Async(func(ctx context.Context) (any, error) { <-release; return 1, nil }), nil
	})
	w.send(`{"jsonrpc":"2.0","id":1,"method":"a"}`)
	w.send(`{"jsonrpc":"2.0","id":1,"method":"b"}`)
	m := w.next("the duplicate's refusal")
	if errCode(m) != int(jsonrpc2.InvalidRequest) {
		t.Errorf("duplicate id reply = %v", m)
	}
	close(release)
	if m := w.next("the first request's reply"); string(m["result"]) != "1" {
		t.Errorf("first reply = %v", m)
	}
}
