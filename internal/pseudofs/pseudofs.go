// Package pseudofs recognises directories that hold no source and must never
// be walked or watched: the kernel's pseudo-filesystems (/proc, /sys, /dev
// and their kin), whose trees are huge, change constantly, and in the case
// of /proc loop back into every process's view of the whole filesystem.
package pseudofs

import (
	"path/filepath"
	"strings"
)

// mountPoints are where the pseudo-filesystems live on every Linux system;
// they are refused by name, before any system call.
var mountPoints = []string{"/proc", "/sys", "/dev"}

// Skip reports whether dir is, or lies in, a pseudo-filesystem: one of the
// known mount points, or a directory whose filesystem type says so (a
// procfs mounted elsewhere, a cgroup tree, debugfs). A directory that cannot
// be inspected is not skipped here: walking it fails on its own.
func Skip(dir string) bool {
	return knownMount(dir) || pseudoType(dir)
}

// KnownMount reports whether dir is, or lies in, one of the places the
// pseudo-filesystems are mounted on every Linux system, by name alone: no
// system call. Skip also asks the kernel about other places.
func KnownMount(dir string) bool { return knownMount(dir) }

// knownMount reports whether dir is under one of mountPoints.
func knownMount(dir string) bool {
	dir = filepath.Clean(dir)
	for _, m := range mountPoints {
		if dir == m || strings.HasPrefix(dir, m+string(filepath.Separator)) {
			return true
		}
	}
	return false
}
