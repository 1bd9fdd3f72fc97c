package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/donkeyls/donkeyls/internal/navcase"
	"github.com/donkeyls/donkeyls/internal/testenv"
)

// TestNodeClientSession runs the editor session with a client built on
// vscode-languageserver-protocol, the library VS Code's client uses.
func TestNodeClientSession(t *testing.T) {
	node := testenv.Node(t)
	modules := testenv.NodeModules(t)
	bin := testenv.Binary(t)
	root, regen := staleShop(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join("node", "session.test.js"))
	cmd.Env = append(os.Environ(),
		"NODE_PATH="+modules,
		"DONKEYLS_BIN="+bin,
		"PROJECT_ROOT="+root,
		"REGEN_CMD="+regen,
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node client session failed: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}

// TestNodeClientNavigation runs the navigation case (internal/navcase)
// through vscode-languageserver-protocol: definition, hover and a plugin
// rename whose WorkspaceEdit the client applies to disk; then the files
// must be exactly the expected ones and `donkeyls check` must report only
// staleness.
func TestNodeClientNavigation(t *testing.T) {
	node := testenv.Node(t)
	modules := testenv.NodeModules(t)
	bin := testenv.Binary(t)
	nc := navcase.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join("node", "navigation.test.js"))
	cmd.Env = append(os.Environ(),
		"NODE_PATH="+modules,
		"DONKEYLS_BIN="+bin,
		"NAVCASE="+nc.WriteJSON(t),
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node client navigation failed: %v\n%s", err, out)
	}
	t.Logf("%s", out)
	nc.CheckRenamed(t)
	nc.CheckOnlyStaleness(t)
}
