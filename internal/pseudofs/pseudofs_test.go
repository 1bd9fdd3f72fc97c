package pseudofs

import (
	"os"
	"runtime"
	"testing"
)

func TestSkip(t *testing.T) {
	for _, dir := range []string{"/proc", "/proc/self", "/proc/1/root", "/sys", "/sys/kernel", "/dev", "/dev/shm", "/proc/../proc"} {
		if !Skip(dir) {
			t.Errorf("Skip(%q) = false", dir)
		}
	}
	for _, dir := range []string{t.TempDir(), "/", "/usr", "/procedures", "/devices", "/home/u/dev"} {
		if Skip(dir) {
			t.Errorf("Skip(%q) = true", dir)
		}
	}
}

// TestProcfsByType: a procfs is recognised by its type wherever it is
// mounted, not only at /proc. /proc/self/ns or a process's fd directory
// are on procfs too, seen through another path.
func TestProcfsByType(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("filesystem types are read on Linux only")
	}
	if _, err := os.Stat("/proc/self"); err != nil {
		t.Skipf("no procfs here: %v", err)
	}
	if !pseudoType("/proc/self") {
		t.Errorf("/proc/self is not recognised as procfs by its type")
	}
	if pseudoType(t.TempDir()) {
		t.Errorf("a temporary directory is taken for a pseudo-filesystem")
	}
}
