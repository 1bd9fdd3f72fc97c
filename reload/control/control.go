// Package control is the local channel between `donkeyls dev` and the
// language server: a Unix socket in the project's .donkeyls/ directory
// (directory 0700, socket 0600) that carries one JSON request per line and
// one JSON response per line.
//
//	{"op":"status"}
//	{"op":"restart","reason":"..."}
//	{"op":"regenerate"}
//
// Every response has "ok"; failures add "error"; status (and the answers to
// restart and regenerate, sent once they are done) add the supervisor's
// Status fields.
package control

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// Dir and SocketName place the socket: <root>/.donkeyls/dev.sock.
const (
	Dir        = ".donkeyls"
	SocketName = "dev.sock"
)

// ErrNoSupervisor means no `donkeyls dev` is running for the project.
var ErrNoSupervisor = errors.New("no donkeyls dev supervisor is running")

// ErrAlreadyRunning means another supervisor already serves the project.
var ErrAlreadyRunning = errors.New("a donkeyls dev supervisor is already running for this project")

// States a supervised server can be in.
const (
	StateStarting   = "starting"
	StateRunning    = "running"
	StateRestarting = "restarting"
	StateCrashed    = "crashed"
	StateStopped    = "stopped"
	StateTypegen    = "typegen"
)

// Ops of the protocol.
const (
	OpStatus     = "status"
	OpRestart    = "restart"
	OpRegenerate = "regenerate"
)

// Status is what the supervisor reports about the server it runs.
type Status struct {
	// Pid is the running server's process (and group) id; 0 when none runs.
	Pid               int       `json:"pid"`
	StartedAt         time.Time `json:"startedAt,omitzero"`
	State             string    `json:"state"`
	LastRestartReason string    `json:"lastRestartReason"`
	// DevServer names the dev command's kind ("bun --hot", ...) when it
	// reloads some code itself; "" for one that reloads nothing.
	DevServer string `json:"devServer,omitempty"`
	// HotPlugins says whether the running server applies plugin service
	// edits in place: "on", "off: <why>", or ""
	// when donkeyls dev does not use them (--no-hot-plugins, another dev
	// command) or the server has not said yet.
	HotPlugins string `json:"hotPlugins,omitempty"`
	// HotFailed maps a plugin file whose last in-place reload failed (its
	// new service threw, or it did not load) to the error: the server still
	// runs the old service, and the editor says why.
	HotFailed map[string]string `json:"hotFailed,omitempty"`
	// Loaded maps every project source file the running server's start saw
	// to its facts.File.CodeHash at that moment, as 16 hex digits.
	Loaded map[string]string `json:"loaded"`
}

// LoadedHash returns the CodeHash the running server loaded for path.
func (s Status) LoadedHash(path string) (uint64, bool) {
	h, ok := s.Loaded[filepath.Clean(path)]
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseUint(h, 16, 64)
	if err != nil {
		return 0, false
	}
	return v, true
}

// FormatHash renders a CodeHash the way Status.Loaded holds it.
func FormatHash(h uint64) string { return fmt.Sprintf("%016x", h) }

// Request is one line from a client.
type Request struct {
	Op     string `json:"op"`
	Reason string `json:"reason,omitempty"`
}

// Response is one line to a client.
type Response struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
	*Status
}

// SocketPath is where the supervisor of root listens.
func SocketPath(root string) string {
	return filepath.Join(root, Dir, SocketName)
}

// HowToStart is the hint for a user who asked for something only a running
// supervisor can do.
func HowToStart(root string) string {
	return fmt.Sprintf("start one with `donkeyls dev %s` (it runs your dev server and restarts it when needed)", root)
}

// noSupervisor builds the error a client gets when nothing listens.
func noSupervisor(root string, cause error) error {
	return fmt.Errorf("%w for %s; %s (%v)", ErrNoSupervisor, root, HowToStart(root), cause)
}

// shortPath works around the 108-byte limit on Unix socket paths: a long
// path is reached through the /proc/self/fd link of its open directory.
// The returned closer must be called once the path has been used.
func shortPath(path string) (string, func(), error) {
	const maxSun = 107 // sizeof(sun_path) minus the NUL
	if len(path) <= maxSun {
		return path, func() {}, nil
	}
	dir, err := os.Open(filepath.Dir(path))
	if err != nil {
		return "", nil, err
	}
	short := fmt.Sprintf("/proc/self/fd/%d/%s", dir.Fd(), filepath.Base(path))
	return short, func() { dir.Close() }, nil
}
