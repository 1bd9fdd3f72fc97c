package srcfile_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/internal/srcfile"
)

// readWithin fails the test instead of hanging when Read blocks.
func readWithin(t *testing.T, path string) ([]byte, error) {
	t.Helper()
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := srcfile.Read(path)
		done <- result{b, err}
	}()
	select {
	case r := <-done:
		return r.b, r.err
	case <-time.After(10 * time.Second):
		t.Fatalf("reading %s blocked", path)
		return nil, nil
	}
}

func TestReadRegularFiles(t *testing.T) {
	dir := t.TempDir()
	for _, size := range []int{0, 1, 4095, 4096, 1 << 20} {
		path := filepath.Join(dir, "f.ts")
		want := bytes.Repeat([]byte("x"), size)
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := readWithin(t, path)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("size %d: got %d bytes, %v", size, len(got), err)
		}
	}
	if _, err := readWithin(t, filepath.Join(dir, "missing.ts")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want fs.ErrNotExist", err)
	}
	if _, err := readWithin(t, dir); err == nil {
		t.Error("reading a directory succeeded")
	}
	// A sparse file over the limit is refused before anything is allocated.
	huge := filepath.Join(dir, "huge.ts")
	if err := os.WriteFile(huge, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(huge, srcfile.MaxSize+1); err != nil {
		t.Fatal(err)
	}
	if _, err := readWithin(t, huge); !errors.Is(err, analysis.ErrTooLarge) {
		t.Errorf("file over MaxSize: %v, want ErrTooLarge", err)
	}
}
