//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/tools/txtar"

	"github.com/donkeyls/donkeyls/internal/fixture"
)

// A named pipe with a TypeScript name (and a link to it) must neither hang
// check, which once waited forever for a writer, nor change its verdict.
func TestCheckIgnoresNamedPipes(t *testing.T) {
	dir := fixture.Materialize(t, fixture.Fixture{Base: "shop", Arch: &txtar.Archive{}})
	pipe := filepath.Join(dir, "src", "server", "routes", "pipe.ts")
	if err := syscall.Mkfifo(pipe, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	if err := os.Symlink(pipe, filepath.Join(dir, "src", "server", "plugins", "books", "linked.ts")); err != nil {
		t.Fatal(err)
	}
	type result struct {
		code     int
		out, err string
	}
	done := make(chan result, 1)
	go func() {
		code, out, errOut := runMain(t, "check", dir)
		done <- result{code, out, errOut}
	}()
	select {
	case r := <-done:
		if r.code != exitOK || !strings.Contains(r.out, "0 errors, 0 warnings") {
			t.Errorf("exit %d, want 0\n%s%s", r.code, r.out, r.err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("check blocked on a named pipe")
	}
}
