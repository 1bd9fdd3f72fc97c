//go:build unix

package srcfile_test

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/donkeyls/donkeyls/internal/srcfile"
)

// A named pipe called index.ts (left by a tool, or a test of ours) must be
// refused at once: nobody will ever write to it.
func TestReadRefusesPipes(t *testing.T) {
	dir := t.TempDir()
	pipe := filepath.Join(dir, "index.ts")
	if err := syscall.Mkfifo(pipe, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	link := filepath.Join(dir, "link.ts")
	if err := os.Symlink(pipe, link); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{pipe, link} {
		if _, err := readWithin(t, path); !errors.Is(err, srcfile.ErrNotRegular) {
			t.Errorf("%s: %v, want ErrNotRegular", filepath.Base(path), err)
		}
	}
}
