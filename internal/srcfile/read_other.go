//go:build !unix

package srcfile

import (
	"io/fs"
	"os"
	"time"

	"github.com/donkeyls/donkeyls/analysis"
)

// Read returns the content of the regular file at path; anything else is
// refused with ErrNotRegular.
func Read(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "read", Path: path, Err: ErrNotRegular}
	}
	if st.Size() > MaxSize {
		return nil, &fs.PathError{Op: "read", Path: path, Err: analysis.ErrTooLarge}
	}
	return os.ReadFile(path)
}

// ReadModTime is Read that also returns the file's modification time.
func ReadModTime(path string) ([]byte, time.Time, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, time.Time{}, err
	}
	b, err := Read(path)
	return b, st.ModTime(), err
}

// ReadInto is Read; buf is not used here.
func ReadInto(path string, _ []byte) ([]byte, error) { return Read(path) }
