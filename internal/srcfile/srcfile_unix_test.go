//go:build unix

package srcfile_test

import (
	"bytes"
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

// ReadInto reads a file that fits into the caller's buffer (a warm load
// hashes thousands of files through one), and into a new one otherwise;
// either way the content is the file's.
func TestReadIntoReusesTheBuffer(t *testing.T) {
	dir := t.TempDir()
	small, large := filepath.Join(dir, "small.ts"), filepath.Join(dir, "large.ts")
	if err := os.WriteFile(small, []byte("export const a = 1;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := bytes.Repeat([]byte("x"), 10000)
	if err := os.WriteFile(large, want, 0o644); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 0, 4096)
	b, err := srcfile.ReadInto(small, buf)
	if err != nil || string(b) != "export const a = 1;\n" {
		t.Fatalf("ReadInto(small) = %q, %v", b, err)
	}
	if &b[:1][0] != &buf[:1][0] {
		t.Error("a file that fits was not read into the buffer given")
	}
	b, err = srcfile.ReadInto(large, buf)
	if err != nil || !bytes.Equal(b, want) {
		t.Fatalf("ReadInto(large) = %d bytes, %v", len(b), err)
	}
	if _, err := srcfile.ReadInto(dir, buf); !errors.Is(err, srcfile.ErrNotRegular) {
		t.Errorf("ReadInto(a directory) = %v, want ErrNotRegular", err)
	}
}
