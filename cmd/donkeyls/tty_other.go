//go:build !linux && !darwin && !freebsd && !netbsd && !openbsd && !windows

package main

import "os"

// isTerminal is false where there is no portable way to ask: the hint it
// gates is only a courtesy.
func isTerminal(*os.File) bool { return false }
