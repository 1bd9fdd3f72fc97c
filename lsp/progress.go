package lsp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.lsp.dev/protocol"

	"github.com/donkeyls/donkeyls/lsp/rpc"
)

// reportEvery limits $/progress reports: a generator printing hundreds of
// lines must not flood the client.
const reportEvery = 100 * time.Millisecond

var tokenSeq atomic.Uint64

// progress is one work-done progress shown by the client. A nil *progress
// (the client cannot show progress) accepts every call and does nothing.
type progress struct {
	s     *Server
	token json.RawMessage
	key   string

	mu      sync.Mutex
	begun   bool // the begin notification was sent; nothing is sent before
	last    time.Time
	pending string
	ended   bool
	endMsg  string // the end's message, kept for a begin that comes after it
}

// beginProgress starts a progress under the client's token, or under one the
// server creates when the client supports window/workDoneProgress. cancel,
// when set, makes it cancellable from the client's UI. It never waits for
// the client: a token the server creates is shown once the client accepted
// it, and a progress that ended before that (a quick typegen, a client slow
// to answer) is then shown whole, begin, last report and end, in order.
func (s *Server) beginProgress(token json.RawMessage, title string, cancel context.CancelFunc) *progress {
	created := len(bytes.TrimSpace(token)) == 0 || string(token) == "null"
	if created {
		if !s.clientCaps().workDoneProgress {
			return nil
		}
		token = json.RawMessage(strconv.Quote(fmt.Sprintf("donkeyls-%d", tokenSeq.Add(1))))
	}
	p := &progress{s: s, token: token, key: tokenKey(token)}
	if cancel != nil {
		s.mu.Lock()
		s.progress[p.key] = cancel
		s.mu.Unlock()
	}
	begin := progressParams{Token: token, Value: protocol.WorkDoneProgressBegin{
		Kind: protocol.WorkDoneProgressKindBegin, Title: title, Cancellable: cancel != nil,
	}}
	if !created {
		p.begun = true
		s.notify("$/progress", begin)
		return p
	}
	// The request's context ends with the work, which may be before the
	// client answers: the token request outlives it, bounded by
	// clientCallTimeout and the connection (teardown waits for it, and a
	// client that is gone never answers).
	createCtx := s.life
	s.goWork(func() {
		if err := s.call(createCtx, "window/workDoneProgress/create", map[string]any{"token": token}, nil, clientCallTimeout); err != nil {
			s.log.Debug("no progress", "err", err)
			return
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		// Under p.mu: no report or end can overtake the begin.
		p.begun = true
		s.notify("$/progress", begin)
		if p.ended {
			// end ran before the client accepted the token and left the
			// rest to us.
			p.sendEnd(p.pending, p.endMsg)
		}
	})
	return p
}

func tokenKey(token json.RawMessage) string {
	var b bytes.Buffer
	if json.Compact(&b, token) != nil {
		return string(token)
	}
	return b.String()
}

// report shows msg, at most once per reportEvery; the latest message wins.
func (p *progress) report(msg string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	if p.ended {
		p.mu.Unlock()
		return
	}
	if !p.begun || time.Since(p.last) < reportEvery {
		p.pending = msg
		p.mu.Unlock()
		return
	}
	p.last = time.Now()
	p.pending = ""
	p.mu.Unlock()
	p.s.notify("$/progress", progressParams{Token: p.token, Value: protocol.WorkDoneProgressReport{
		Kind: protocol.WorkDoneProgressKindReport, Message: msg,
	}})
}

// end finishes the progress with a last message.
func (p *progress) end(msg string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	if p.ended {
		p.mu.Unlock()
		return
	}
	p.ended = true
	p.endMsg = msg
	pending, begun := p.pending, p.begun
	p.mu.Unlock()
	p.s.mu.Lock()
	delete(p.s.progress, p.key)
	p.s.mu.Unlock()
	if !begun {
		return // shown whole once the client accepts the token, if it does
	}
	p.sendEnd(pending, msg)
}

// sendEnd sends the last withheld report, if any, and the end.
func (p *progress) sendEnd(pending, msg string) {
	if pending != "" {
		p.s.notify("$/progress", progressParams{Token: p.token, Value: protocol.WorkDoneProgressReport{
			Kind: protocol.WorkDoneProgressKindReport, Message: pending,
		}})
	}
	p.s.notify("$/progress", progressParams{Token: p.token, Value: protocol.WorkDoneProgressEnd{
		Kind: protocol.WorkDoneProgressKindEnd, Message: msg,
	}})
}

func (s *Server) cancelProgress(ctx context.Context, req *rpc.Request) (any, error) {
	var p struct {
		Token json.RawMessage `json:"token"`
	}
	if err := json.Unmarshal(req.Params, &p); err != nil || len(p.Token) == 0 {
		return nil, nil
	}
	s.mu.Lock()
	cancel := s.progress[tokenKey(p.Token)]
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	return nil, nil
}
