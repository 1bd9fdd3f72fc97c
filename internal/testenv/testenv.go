// Package testenv finds the external tools end-to-end tests drive (Bun, Node,
// TypeScript, Neovim) and builds the donkeyls binary once per test process.
// A missing tool skips the test with a clear message on a developer machine,
// and fails it under CI=true, where .ci/run has installed everything.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// RepoRoot is the repository root, found from this source file's location.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// InCI reports whether the tests run under CI, where every tool must exist.
func InCI() bool { return os.Getenv("CI") == "true" }

// missing skips, or fails under CI.
func missing(t testing.TB, tool, hint string) {
	t.Helper()
	msg := tool + " not found (" + hint + ")"
	if InCI() {
		t.Fatalf("%s; CI=true requires it: .ci/run should have installed it", msg)
	}
	t.Skipf("skipping: %s", msg)
}

// lookTool finds a tool in testenv/node_modules/.bin first, then PATH.
func lookTool(name string) string {
	local := filepath.Join(RepoRoot(), "testenv", "node_modules", ".bin", name)
	if st, err := os.Stat(local); err == nil && !st.IsDir() {
		return local
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return ""
}

// Bun returns the path of bun, or skips.
func Bun(t testing.TB) string {
	t.Helper()
	p := lookTool("bun")
	if p == "" {
		missing(t, "bun", "run `npm ci --prefix testenv`")
	}
	return p
}

// Node returns the path of node, or skips.
func Node(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("node")
	if err != nil {
		missing(t, "node", "install Node.js 20")
	}
	return p
}

// NodeModules returns testenv/node_modules, or skips when it is not installed.
func NodeModules(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(RepoRoot(), "testenv", "node_modules")
	if _, err := os.Stat(filepath.Join(dir, "vscode-languageserver-protocol")); err != nil {
		missing(t, "testenv/node_modules", "run `npm ci --prefix testenv`")
	}
	return dir
}

// TSC returns the path of the TypeScript 5 compiler, or skips.
func TSC(t testing.TB) string {
	t.Helper()
	p := filepath.Join(RepoRoot(), "testenv", "node_modules", ".bin", "tsc")
	if _, err := os.Stat(p); err != nil {
		missing(t, "tsc", "run `npm ci --prefix testenv`")
	}
	return p
}

// Nvim returns the path of nvim, or skips.
func Nvim(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("nvim")
	if err != nil {
		missing(t, "nvim", "apt-get install neovim")
	}
	return p
}

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
	buildOut  []byte
)

// Main runs a package's tests, then removes the binary Binary built: every
// package that calls Binary has a TestMain calling Main, so test runs leave
// no fifteen-megabyte binaries behind in the temporary directory.
//
// It also points the facts cache ($DONKEYLS_CACHE_DIR) at a temporary
// directory, so tests and the binaries they start never fill the user's.
func Main(m *testing.M) {
	cacheDir := ""
	if os.Getenv("DONKEYLS_CACHE_DIR") == "" {
		if dir, err := os.MkdirTemp("", "donkeyls-cache-"); err == nil {
			cacheDir = dir
			os.Setenv("DONKEYLS_CACHE_DIR", dir)
		}
	}
	code := m.Run()
	if buildPath != "" {
		os.RemoveAll(filepath.Dir(buildPath))
	}
	if cacheDir != "" {
		os.RemoveAll(cacheDir)
	}
	os.Exit(code)
}

// Binary builds cmd/donkeyls once per test process and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "donkeyls-bin-")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "donkeyls")
		cmd := exec.Command("go", "build", "-o", buildPath, "./cmd/donkeyls")
		cmd.Dir = RepoRoot()
		buildOut, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("building donkeyls: %v\n%s", buildErr, buildOut)
	}
	return buildPath
}
