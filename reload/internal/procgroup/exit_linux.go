package procgroup

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// waitExitedUnreaped blocks until process pid (our child) has exited, and
// leaves it a zombie: WNOWAIT keeps its pid, and so the group id, ours while
// the rest of the group is killed.
func waitExitedUnreaped(pid int) error {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err == nil {
			return nil
		}
		if err != unix.EINTR {
			return fmt.Errorf("waitid %d: %w", pid, err)
		}
	}
}
