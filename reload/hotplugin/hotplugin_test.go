package hotplugin

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestEligible(t *testing.T) {
	for _, tc := range []struct {
		argv []string
		ok   bool
		why  string
	}{
		{[]string{"bun", "run", "./src/server/index.ts"}, true, ""},
		{[]string{"/usr/local/bin/bun", "src/server/index.ts"}, true, ""},
		{[]string{"bun", "--hot", "run", "src/server/index.ts"}, false, "--hot"},
		{[]string{"bun", "--watch", "run", "src/server/index.ts"}, false, "--watch"},
		{[]string{"bun", "run", "dev"}, false, "script"},
		{[]string{"npm", "run", "dev"}, false, "not bun"},
		{[]string{"node", "server.js"}, false, "not bun"},
		{nil, false, "not bun"},
	} {
		ok, why := Eligible(tc.argv)
		if ok != tc.ok || !strings.Contains(why, tc.why) {
			t.Errorf("Eligible(%q) = %v, %q; want %v and a reason mentioning %q", tc.argv, ok, why, tc.ok, tc.why)
		}
	}
}

func TestWithPreloadGoesBeforeTheFile(t *testing.T) {
	got := WithPreload([]string{"bun", "run", "./src/server/index.ts"}, "/p/.donkeyls/x.ts")
	want := []string{"bun", "--preload=/p/.donkeyls/x.ts", "run", "./src/server/index.ts"}
	if !slices.Equal(got, want) {
		t.Errorf("WithPreload = %q, want %q", got, want)
	}
}

func TestInstallWritesThePreloadOnce(t *testing.T) {
	dir := t.TempDir()
	path, err := Install(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || string(b) != string(preload) {
		t.Fatalf("installed preload differs from the embedded one (%v)", err)
	}
	os.WriteFile(path, []byte("stale"), 0o600)
	if _, err := Install(dir); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != string(preload) {
		t.Errorf("a stale preload was not replaced")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("Install left %d files in the directory, want 1", len(entries))
	}
}

// fakePreload speaks the preload's side of the protocol.
type fakePreload struct {
	t   *testing.T
	c   net.Conn
	in  *bufio.Scanner
	pid int
}

func dial(t *testing.T, h *Host, pid int) *fakePreload {
	t.Helper()
	c, err := net.Dial("unix", h.Path())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &fakePreload{t: t, c: c, in: bufio.NewScanner(c), pid: pid}
}

func (f *fakePreload) send(m map[string]any) {
	f.t.Helper()
	m["pid"] = f.pid
	b, _ := json.Marshal(m)
	if _, err := f.c.Write(append(b, '\n')); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fakePreload) next() map[string]any {
	f.t.Helper()
	if !f.in.Scan() {
		f.t.Fatalf("the host closed the connection: %v", f.in.Err())
	}
	var m map[string]any
	json.Unmarshal(f.in.Bytes(), &m)
	return m
}

func waitState(t *testing.T, h *Host, pid int, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if s, _ := h.State(pid); s == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid %d never reached state %q", pid, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func listen(t *testing.T, ev Events) *Host {
	t.Helper()
	dir, err := os.MkdirTemp("", "hot")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	h, err := Listen(dir, ev)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

func TestReloadRoundTrip(t *testing.T) {
	readyPid := make(chan int, 1)
	h := listen(t, Events{Ready: func(pid int, _ string) { readyPid <- pid }})
	f := dial(t, h, 4242)
	f.send(map[string]any{"type": "ready", "framework": "@donkeylabs/server 2.5.1"})
	if pid := <-readyPid; pid != 4242 {
		t.Fatalf("ready from pid %d, want 4242", pid)
	}
	go func() {
		m := f.next()
		f.send(map[string]any{"type": "result", "id": m["id"], "ok": true, "hash": "00000000000000ff", "reloaded": []string{m["plugin"].(string), "counter"}})
	}()
	r, err := h.Reload(context.Background(), 4242, Request{Plugin: "greeter", Export: "greeterPlugin", File: "/x/index.ts"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK || r.Hash != 0xff || !slices.Equal(r.Reloaded, []string{"greeter", "counter"}) {
		t.Errorf("result %+v", r)
	}
}

func TestReloadFallsBackWhenTheServerCannot(t *testing.T) {
	h := listen(t, Events{})
	r, err := h.Reload(context.Background(), 1, Request{Plugin: "p"}, time.Second)
	if err != nil || !r.Fallback {
		t.Errorf("no connection: %+v, %v; want a fallback", r, err)
	}
	f := dial(t, h, 7)
	f.send(map[string]any{"type": "off", "why": "@donkeylabs/server 3.0.0"})
	waitState(t, h, 7, "off")
	r, err = h.Reload(context.Background(), 7, Request{Plugin: "p"}, time.Second)
	if err != nil || !r.Fallback || !strings.Contains(r.Error, "3.0.0") {
		t.Errorf("off: %+v, %v; want a fallback that says why", r, err)
	}
}

func TestReloadGivesUpOnASilentOrDeadServer(t *testing.T) {
	h := listen(t, Events{})
	f := dial(t, h, 9)
	f.send(map[string]any{"type": "ready"})
	waitState(t, h, 9, "ready")
	if _, err := h.Reload(context.Background(), 9, Request{Plugin: "p"}, 50*time.Millisecond); err == nil || !strings.Contains(err.Error(), "within") {
		t.Errorf("a server that never answers: %v; want a timeout", err)
	}
	go func() {
		f.next()
		f.c.Close() // the server died mid-reload
	}()
	// The write, the wait or the lookup sees the end, depending on timing:
	// an error or a fallback, on either of which the supervisor restarts.
	if r, err := h.Reload(context.Background(), 9, Request{Plugin: "p"}, 10*time.Second); err == nil && !r.Fallback {
		t.Errorf("a server that died mid-reload: %+v, want an error or a fallback", r)
	}
	waitState(t, h, 9, "")
}

func TestListenRefusesAPathBunCannotReach(t *testing.T) {
	dir := filepath.Join(t.TempDir(), strings.Repeat("d", 110))
	os.MkdirAll(dir, 0o700)
	if _, err := Listen(dir, Events{}); err == nil || !strings.Contains(err.Error(), "longer") {
		t.Errorf("Listen on a %d-byte path: %v", len(dir), err)
	}
}
