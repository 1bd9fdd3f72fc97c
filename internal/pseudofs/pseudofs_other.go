//go:build !linux

package pseudofs

// pseudoType has no filesystem types to check outside Linux; the known
// mount points still apply.
func pseudoType(string) bool { return false }
