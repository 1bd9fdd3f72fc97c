package e2e

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.lsp.dev/jsonrpc2"

	"github.com/donkeyls/donkeyls/lsp/lsptest"
	"github.com/donkeyls/donkeyls/lsp/rpc"
)

// hostileRSS bounds the server's peak resident memory through a hostile
// case: nothing a client sends, short of documents it really opens, may
// make the server hold it.
const hostileRSS = 100 << 20

// memory reads a field of /proc/PID/status (VmHWM: the peak resident set,
// VmRSS: the current one) in bytes.
func (s *server) memory(field string) int64 {
	s.t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		s.t.Fatalf("reading the server's memory: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				s.t.Fatalf("reading %s: %v", field, err)
			}
			return kb << 10
		}
	}
	s.t.Fatalf("no %s in /proc/%d/status", field, s.cmd.Process.Pid)
	return 0
}

// await waits for a hand-made request's reply, failing at once when the
// server died instead.
func (s *server) await(ch <-chan lsptest.Response, what string) lsptest.Response {
	s.t.Helper()
	select {
	case r := <-ch:
		return r
	case <-s.exited:
		s.t.Fatalf("the server died waiting for %s: %v\nstderr (tail): %s", what, s.err, tail(s.stderr.String(), 2000))
	case <-time.After(lsptest.Timeout):
		s.t.Fatalf("timed out after %s waiting for %s", lsptest.Timeout, what)
	}
	return lsptest.Response{}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// finishHostile ends a hostile case: shutdown must be answered, the peak
// memory must have stayed under hostileRSS, and the server exits with 0.
func (s *server) finishHostile() {
	s.t.Helper()
	r := s.await(s.client.Send("final-shutdown", "shutdown", nil), "the reply to shutdown")
	if r.Err != nil {
		s.t.Errorf("shutdown: %v", r.Err)
	}
	peak := s.memory("VmHWM")
	s.t.Logf("server peak RSS %.1f MB", float64(peak)/(1<<20))
	if peak > hostileRSS {
		s.t.Errorf("server peak RSS %.1f MB, want below %d MB", float64(peak)/(1<<20), hostileRSS>>20)
	}
	s.client.Notify("exit", nil)
	if code := s.wait("exit"); code != 0 {
		s.t.Errorf("exit code %d, want 0", code)
	}
}

// deep is JSON nested n levels.
func deep(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }

// TestDeepNestingIsRefused sends JSON nested 2,000,000 levels, as the
// params of a request and as a whole body, before initialize: the server
// answers both and goes on (it used to die of a stack overflow inside the
// JSON decoder).
func TestDeepNestingIsRefused(t *testing.T) {
	root, _ := staleShop(t)
	srv := start(t)
	c := srv.client
	srv.await(c.Send("first", "textDocument/hover", map[string]any{}), "a first reply")
	before := srv.memory("VmRSS")
	body := deep(2_000_000)
	reply := c.Expect(`"deep"`)
	c.RawBody(`{"jsonrpc":"2.0","id":"deep","method":"initialize","params":` + body + `}`)
	r := srv.await(reply, "the reply to a request with params nested 2,000,000 levels")
	if code := lsptest.ErrCode(r.Err); code != int(jsonrpc2.InvalidRequest) {
		t.Errorf("deeply nested params: %v, want InvalidRequest (-32600) with the request's id", r.Err)
	}
	c.RawBody(body)
	r = srv.await(c.Send("after-deep", "textDocument/hover", map[string]any{}), "a request after a body nested 2,000,000 levels")
	if lsptest.ErrCode(r.Err) != int(rpc.CodeServerNotInitialized) {
		t.Errorf("request after the deep body: %v, want ServerNotInitialized", r.Err)
	}
	t.Logf("RSS before %.1f MB, after the nested frames %.1f MB", float64(before)/(1<<20), float64(srv.memory("VmRSS"))/(1<<20))

	c.Initialize(root, lsptest.Capabilities(true), nil)
	plugin := filepath.Join(root, "src/server/plugins/books/index.ts")
	c.Open(plugin)
	c.WaitDiagnostics(plugin, "stale-registry after the nested frames", func(d lsptest.Diagnostics) bool { return lsptest.Has(d, "stale-registry") })
	srv.finishHostile()
	if n := strings.Count(readLog(t, srv), "nested"); n != 2 {
		t.Errorf("the log mentions nesting %d times, want once per frame (2)", n)
	}
}

// TestResynchronisesAfterBrokenFrames sends frames whose Content-Length is
// unusable, missing, too short or too long, each followed by a request: every
// request is answered (an orphaned body used to be read together with the
// next header as one line, forever), and each incident is logged once.
func TestResynchronisesAfterBrokenFrames(t *testing.T) {
	root, _ := staleShop(t)
	srv := start(t)
	c := srv.client
	const msg = `{"jsonrpc":"2.0","id":"orphan","method":"x"}`
	cases := []struct{ name, frame string }{
		{"bad length", "Content-Length: abc\r\n\r\n" + msg},
		{"missing length", "Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n" + msg},
		{"negative length", "Content-Length: -5\r\n\r\n" + msg},
		{"absurd length", "Content-Length: 99999999999999999999\r\n\r\n" + msg},
		{"too short", fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(msg)-20, msg)},
		{"garbage line", "GET / HTTP/1.1" + msg},
	}
	for i, tc := range cases {
		c.Raw(tc.frame)
		r := srv.await(c.Send(fmt.Sprintf("after-%d", i), "textDocument/hover", map[string]any{}), "a request after a frame with "+tc.name)
		if lsptest.ErrCode(r.Err) != int(rpc.CodeServerNotInitialized) {
			t.Errorf("%s: the next request got %v, want ServerNotInitialized", tc.name, r.Err)
		}
	}
	// Too long: the declared body swallows the start of the next frame. The
	// message itself is whole, so it is answered, and so is the next one.
	reply := c.Expect(`"too-long"`)
	long := `{"jsonrpc":"2.0","id":"too-long","method":"x"}`
	c.Raw(fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(long)+40, long))
	r := srv.await(c.Send("after-long", "textDocument/hover", map[string]any{}), "a request after a frame whose length is too long")
	if lsptest.ErrCode(r.Err) != int(rpc.CodeServerNotInitialized) {
		t.Errorf("after the too-long frame: %v, want ServerNotInitialized", r.Err)
	}
	if r := srv.await(reply, "the too-long frame's own reply"); lsptest.ErrCode(r.Err) != int(rpc.CodeServerNotInitialized) {
		t.Errorf("the too-long frame: %v, want ServerNotInitialized", r.Err)
	}

	c.Initialize(root, lsptest.Capabilities(true), nil)
	plugin := filepath.Join(root, "src/server/plugins/books/index.ts")
	c.Open(plugin)
	c.WaitDiagnostics(plugin, "stale-registry after the broken frames", func(d lsptest.Diagnostics) bool { return lsptest.Has(d, "stale-registry") })
	srv.finishHostile()
	if n := strings.Count(readLog(t, srv), "ignored malformed input"); n != len(cases)+1 {
		t.Errorf("the log reports %d incidents, want one per broken frame (%d)", n, len(cases)+1)
	}
}

// TestHugeHeaderLineIsNotKept sends a 50 MB header line: the server reads
// on without holding it and never echoes it (it used to grow to 359 MB and
// send it back as one 52 MB window/logMessage).
func TestHugeHeaderLineIsNotKept(t *testing.T) {
	root, _ := staleShop(t)
	srv := start(t)
	c := srv.client
	srv.await(c.Send("first", "textDocument/hover", map[string]any{}), "a first reply")
	before := srv.memory("VmRSS")
	c.Raw(strings.Repeat("a", 50<<20) + "\r\n\r\n")
	r := srv.await(c.Send("after-huge", "textDocument/hover", map[string]any{}), "a request after a 50 MB header line")
	if lsptest.ErrCode(r.Err) != int(rpc.CodeServerNotInitialized) {
		t.Errorf("after the huge line: %v, want ServerNotInitialized", r.Err)
	}
	t.Logf("RSS before %.1f MB, after the 50 MB line %.1f MB (peak %.1f MB)", float64(before)/(1<<20), float64(srv.memory("VmRSS"))/(1<<20), float64(srv.memory("VmHWM"))/(1<<20))
	c.Initialize(root, lsptest.Capabilities(true), nil)
	// A megabyte method name is not repeated in the error either.
	r = srv.await(c.Send("long-method", strings.Repeat("m", 1<<20), map[string]any{}), "a request with a 1 MB method name")
	if lsptest.ErrCode(r.Err) != int(jsonrpc2.MethodNotFound) || len(r.Err.Error()) > 1<<10 {
		t.Errorf("a 1 MB method name: code %d, a %d-byte error, want MethodNotFound in under 1 KiB", lsptest.ErrCode(r.Err), len(r.Err.Error()))
	}
	srv.finishHostile()
	for _, m := range c.Logs() {
		if len(m.Message) > 4<<10 {
			t.Errorf("a logMessage of %d bytes: %.80q...", len(m.Message), m.Message)
		}
	}
	if st, err := os.Stat(srv.logPath); err != nil || st.Size() > 64<<10 {
		t.Errorf("the log file: %v, %d bytes; want under 64 KiB", err, st.Size())
	}
}

// TestIDsRoundTrip sends requests whose ids jsonrpc2 v0.10 cannot hold (the
// empty string, which it reads as 0, and integers beyond int32): each reply
// carries its request's id exactly, and $/cancelRequest finds a request by
// the empty-string id.
func TestIDsRoundTrip(t *testing.T) {
	root, _ := staleShop(t)
	srv := start(t)
	c := srv.client
	ids := []string{`""`, `0`, `"0"`, `-7`, `4294967296`, `"\u0000x"`}
	replies := make([]<-chan lsptest.Response, len(ids))
	for i, id := range ids {
		replies[i] = c.Send(rawJSON(id), "textDocument/hover", map[string]any{})
	}
	for i, id := range ids {
		r := srv.await(replies[i], "the reply to id "+id)
		if lsptest.ErrCode(r.Err) != int(rpc.CodeServerNotInitialized) {
			t.Errorf("id %s: %v, want ServerNotInitialized", id, r.Err)
		}
	}

	cmd, pidFile := slowTypegen(t)
	c.Initialize(root, lsptest.Capabilities(true), map[string]any{"typegen": map[string]any{"command": cmd}, "trusted": true})
	reply := c.Send(rawJSON(`""`), "workspace/executeCommand", map[string]any{"command": "donkeyls.regenerate", "arguments": []any{root}})
	pid := waitPid(t, pidFile)
	c.Notify("$/cancelRequest", map[string]any{"id": ""})
	if r := srv.await(reply, "the regenerate with id \"\" cancelled"); lsptest.ErrCode(r.Err) != int(rpc.CodeRequestCancelled) {
		t.Errorf("cancel by id \"\": %v / %s, want RequestCancelled", r.Err, r.Result)
	}
	waitGone(t, pid, "the cancelled typegen's sleep")
	srv.finishHostile()
}

// TestClientThatNeverAnswers is a client that leaves every server request
// unanswered: the first diagnostics do not wait for it (they used to wait
// 13 s for the configuration and progress requests to time out), and the
// settings it answers late still take effect.
func TestClientThatNeverAnswers(t *testing.T) {
	root, _ := staleShop(t)
	srv := start(t)
	c := srv.client
	c.Withhold("workspace/configuration", "window/workDoneProgress/create", "client/registerCapability")
	c.Initialize(root, lsptest.Capabilities(true), nil)
	plugin := filepath.Join(root, "src/server/plugins/books/index.ts")
	c.Open(plugin)
	// Whichever comes first: the diagnostics, or the server giving up on
	// one of its requests (it logs a warning when a request times out).
	var gaveUp string
	var pendingConfig int
	c.Wait("diagnostics or the server giving up on its requests", func() bool {
		for _, m := range c.LogsLocked() {
			if strings.Contains(m.Message, "deadline") || strings.Contains(m.Message, "reading settings") || strings.Contains(m.Message, "could not register") {
				gaveUp = m.Message
				return true
			}
		}
		d, ok := c.LatestLocked("file://" + plugin)
		pendingConfig = c.HeldLocked("workspace/configuration")
		return ok && lsptest.Has(d, "stale-registry")
	})
	if gaveUp != "" {
		t.Fatalf("the server waited for the client before publishing: %s", gaveUp)
	}
	if pendingConfig == 0 {
		t.Errorf("no workspace/configuration request was pending when the diagnostics came")
	}
	// The settings answer, however late, is applied.
	c.Settings = []byte(`{"typegen":{"onSave":"sometimes"}}`)
	c.Answer("workspace/configuration")
	c.WaitMessage("typegen.onSave")
	srv.finishHostile()
}

// TestClosedOutputEndsSession closes the read end of the server's stdout
// while a typegen runs, then makes the server write: it ends the session as
// if the input had closed (it used to die of SIGPIPE without teardown) and
// leaves no child behind.
func TestClosedOutputEndsSession(t *testing.T) {
	root, _ := staleShop(t)
	srv := startWith(t, startOptions{keepStdin: true})
	c := srv.client
	cmd, pidFile := slowTypegen(t)
	c.Initialize(root, lsptest.Capabilities(true), map[string]any{"typegen": map[string]any{"command": cmd}, "trusted": true})
	c.Send("regen", "workspace/executeCommand", map[string]any{"command": "donkeyls.regenerate", "arguments": []any{root}})
	pid := waitPid(t, pidFile)
	if err := srv.stdout.Close(); err != nil {
		t.Fatal(err)
	}
	// Anything that makes the server write: a request's reply.
	c.Send("after-close", "textDocument/hover", map[string]any{})
	if code := srv.wait("its output was closed"); code != 1 {
		t.Errorf("exit code %d (%v), want 1 (the session ended without shutdown)", code, srv.err)
	}
	waitGone(t, pid, "typegen's sleep after the output closed")
	if log := readLog(t, srv); !strings.Contains(log, "output closed") {
		t.Errorf("the log does not say the output closed:\n%s", tail(log, 2000))
	}
}
