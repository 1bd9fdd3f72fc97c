//go:build darwin || freebsd || netbsd || dragonfly

package srcfile

import (
	"syscall"
	"time"
)

func modTime(st *syscall.Stat_t) time.Time { return time.Unix(st.Mtimespec.Unix()) }
