//go:build !unix

package srcfile

import (
	"io/fs"
	"os"
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
		return nil, &fs.PathError{Op: "read", Path: path, Err: ErrTooLarge}
	}
	return os.ReadFile(path)
}
