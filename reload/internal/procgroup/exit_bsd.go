//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package procgroup

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// waitExitedUnreaped blocks until process pid (our child) has exited, and
// leaves it a zombie. macOS has no waitid(WNOWAIT) in Go's reach; a kqueue
// EVFILT_PROC/NOTE_EXIT event reports the exit without reaping, which keeps
// the pid, and so the group id, ours while the rest of the group is killed.
func waitExitedUnreaped(pid int) error {
	kq, err := unix.Kqueue()
	if err != nil {
		return fmt.Errorf("kqueue: %w", err)
	}
	defer unix.Close(kq)
	var change unix.Kevent_t
	unix.SetKevent(&change, pid, unix.EVFILT_PROC, unix.EV_ADD|unix.EV_ONESHOT)
	change.Fflags = unix.NOTE_EXIT
	events := make([]unix.Kevent_t, 1)
	for {
		// Registering and waiting in one call: with room for an event, a
		// failed registration comes back as an EV_ERROR event.
		n, err := unix.Kevent(kq, []unix.Kevent_t{change}, events, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("kevent NOTE_EXIT %d: %w", pid, err)
		}
		if n == 0 {
			continue
		}
		ev := events[0]
		if ev.Flags&unix.EV_ERROR != 0 && ev.Data != 0 {
			if unix.Errno(ev.Data) == unix.ESRCH {
				// Nothing but an exit makes our unreaped child unknown to
				// kqueue: it is already a zombie.
				return nil
			}
			return fmt.Errorf("kevent NOTE_EXIT %d: %w", pid, unix.Errno(ev.Data))
		}
		if ev.Fflags&unix.NOTE_EXIT != 0 {
			return nil
		}
	}
}
