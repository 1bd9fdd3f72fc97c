//go:build unix

package srcfile

import (
	"io/fs"
	"syscall"
	"time"

	"github.com/donkeyls/donkeyls/analysis"
)

// Read returns the content of the regular file at path. It is os.ReadFile
// with two differences that matter when walking a project:
//
//   - Anything but a regular file (a named pipe, a socket, a device that
//     happens to be called x.ts) is refused with ErrNotRegular instead of
//     blocking the caller forever: the file is opened non-blocking and
//     checked before it is read.
//   - The runtime poller is bypassed: os.Open tries to register every file
//     with epoll, two extra system calls that were a tenth of a cold check's
//     reading on a virtual machine, where system calls are dear.
//
// Errors are *fs.PathError like the os package's, so errors.Is with
// fs.ErrNotExist keeps working.
func Read(path string) ([]byte, error) { return ReadInto(path, nil) }

// ReadInto is Read into buf's storage when the file fits in it, so a
// caller that only hashes most files (a warm load: the facts come from the
// cache) reuses one buffer instead of leaving each file behind as garbage.
// The result aliases buf; keep a copy of what must outlive the next call.
func ReadInto(path string, buf []byte) ([]byte, error) {
	fd, err := open(path)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd)
	return read(path, fd, buf)
}

// ReadModTime is Read that also returns the file's modification time, from
// the same open (the facts cache ages its entries by it).
func ReadModTime(path string) ([]byte, time.Time, error) {
	fd, err := open(path)
	if err != nil {
		return nil, time.Time{}, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd)
	b, err := read(path, fd, nil)
	if err != nil {
		return nil, time.Time{}, err
	}
	// The fd is still open: this stat sees the file just read.
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return nil, time.Time{}, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	return b, modTime(&st), nil
}

func read(path string, fd int, buf []byte) ([]byte, error) {
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return nil, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return nil, &fs.PathError{Op: "read", Path: path, Err: ErrNotRegular}
	}
	if st.Size > MaxSize {
		return nil, &fs.PathError{Op: "read", Path: path, Err: analysis.ErrTooLarge}
	}
	// One byte more than the size, so a file read whole ends with a read
	// returning 0 rather than a second allocation; a file that grows while
	// it is read takes the slow path.
	if cap(buf) < int(st.Size)+1 {
		buf = make([]byte, 0, int(st.Size)+1)
	}
	buf = buf[:0]
	for {
		n, err := syscall.Read(fd, buf[len(buf):cap(buf)])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			return buf, nil
		}
		buf = buf[:len(buf)+n]
		if len(buf) > MaxSize {
			return nil, &fs.PathError{Op: "read", Path: path, Err: analysis.ErrTooLarge}
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
	}
}

// open opens path for reading without blocking on a named pipe (regular
// files ignore O_NONBLOCK) and without ever making a terminal ours.
func open(path string) (int, error) {
	for {
		fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
		if err != syscall.EINTR {
			return fd, err
		}
	}
}
