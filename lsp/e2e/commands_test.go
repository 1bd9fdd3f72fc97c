package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.lsp.dev/protocol"

	"github.com/donkeyls/donkeyls/internal/testenv"
	"github.com/donkeyls/donkeyls/lsp/lsptest"
	"github.com/donkeyls/donkeyls/lsp/text"
)

// TestDefaultTypegenCommandUsesLockfile: with no command configured, the
// project's gen:types script runs through the package manager its lockfile
// names (bun.lock: `bun run gen:types`).
func TestDefaultTypegenCommandUsesLockfile(t *testing.T) {
	bun := testenv.Bun(t)
	root, regen := staleShop(t)
	pkgPath := filepath.Join(root, "package.json")
	pkg, err := os.ReadFile(pkgPath)
	if err != nil {
		t.Fatal(err)
	}
	// The real script is `donkeylabs generate`, which cannot be installed
	// here; the stand-in writes the same outputs.
	edited := strings.Replace(string(pkg), `"gen:types": "donkeylabs generate"`, `"gen:types": `+quote(regen), 1)
	if edited == string(pkg) {
		t.Fatal("fixture moved: no gen:types script")
	}
	writeFile(t, pkgPath, edited)
	srv := startEnv(t, []string{"PATH=" + filepath.Dir(bun) + ":" + os.Getenv("PATH")})
	c := srv.client
	c.Initialize(root, lsptest.Capabilities(true), map[string]any{"trusted": true})
	plugin := filepath.Join(root, "src/server/plugins/books/index.ts")
	c.Open(plugin)
	c.WaitDiagnostics(plugin, "stale-registry", func(d lsptest.Diagnostics) bool { return lsptest.Has(d, "stale-registry") })
	var result map[string]any
	if err := c.Call("workspace/executeCommand", map[string]any{"command": "donkeyls.regenerate", "arguments": []any{root}}, &result); err != nil {
		t.Fatalf("regenerate: %v", err)
	}
	c.WaitDiagnostics(plugin, "stale-registry cleared", func(d lsptest.Diagnostics) bool { return !lsptest.Has(d, "stale-registry") })
	if log := readLog(t, srv); !strings.Contains(log, `command="bun run gen:types" took=`) {
		t.Errorf("the default command was not `bun run gen:types`; log:\n%s", log)
	}
	c.Shutdown()
	srv.wait("exit")
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestTypegenFailureIsShown: a failing command gets one clear error
// message naming its last output line, and the whole output in the log.
func TestTypegenFailureIsShown(t *testing.T) {
	root, _ := staleShop(t)
	srv := start(t)
	c := srv.client
	cmd := "echo 'Reading donkeylabs.config.ts'; echo 'error: Cannot find module \"@donkeylabs/server\"' >&2; exit 3"
	c.Initialize(root, lsptest.Capabilities(true), map[string]any{"trusted": true, "typegen": map[string]any{"command": cmd}})
	var result map[string]any
	if err := c.Call("workspace/executeCommand", map[string]any{"command": "donkeyls.regenerate", "arguments": []any{root}}, &result); err != nil {
		t.Fatalf("regenerate: %v", err)
	}
	if result["exitCode"] != float64(3) {
		t.Errorf("result %v, want exit code 3", result)
	}
	m := c.WaitMessage("type generation failed")
	if m.Type != protocol.MessageTypeError || !strings.Contains(m.Message, "status 3") || !strings.Contains(m.Message, "Cannot find module") || !strings.Contains(m.Message, "log") {
		t.Errorf("failure message %q (type %v): want an error naming the status, the last line and the log", m.Message, m.Type)
	}
	c.Shutdown()
	srv.wait("exit")
	if log := readLog(t, srv); !strings.Contains(log, "Reading donkeylabs.config.ts") {
		t.Errorf("the log lacks the command's output")
	}
}

// TestTypegenTimeout: a run longer than donkeyls.typegen.timeout is
// stopped and reported.
func TestTypegenTimeout(t *testing.T) {
	root, _ := staleShop(t)
	srv := start(t)
	c := srv.client
	c.Initialize(root, lsptest.Capabilities(true), map[string]any{"trusted": true, "typegen": map[string]any{"command": "sleep 30", "timeout": "300ms"}})
	var result map[string]any
	if err := c.Call("workspace/executeCommand", map[string]any{"command": "donkeyls.regenerate", "arguments": []any{root}}, &result); err != nil {
		t.Fatalf("regenerate: %v", err)
	}
	if m := c.WaitMessage("type generation failed"); !strings.Contains(m.Message, "timed out") {
		t.Errorf("timeout message %q does not say it timed out", m.Message)
	}
	c.Shutdown()
	srv.wait("exit")
}

// TestRestartWithoutSupervisor explains that no supervisor runs and how to
// start one.
func TestRestartWithoutSupervisor(t *testing.T) {
	root, _ := staleShop(t)
	srv := start(t)
	c := srv.client
	c.Initialize(root, lsptest.Capabilities(true), map[string]any{"trusted": true})
	if err := c.Call("workspace/executeCommand", map[string]any{"command": "donkeyls.restart", "arguments": []any{root}}, nil); err != nil {
		t.Fatalf("restart: %v", err)
	}
	m := c.WaitMessage("supervisor")
	if !strings.Contains(m.Message, "donkeyls dev") || !strings.Contains(m.Message, "no `donkeyls dev` supervisor is running") {
		t.Errorf("message %q should say none runs and how to start one", m.Message)
	}
	c.Shutdown()
	srv.wait("exit")
}

// TestSettingsProblemsShownOnce: an unknown key and a wrong type are each
// reported once with showMessage and ignored; the rest applies.
func TestSettingsProblemsShownOnce(t *testing.T) {
	root, _ := staleShop(t)
	srv := start(t)
	c := srv.client
	bad := map[string]any{"trusted": true, "typegen": map[string]any{"onSave": 3, "comand": "x"}, "colour": "blue"}
	c.Settings, _ = json.Marshal(bad)
	c.Initialize(root, lsptest.Capabilities(true), bad)
	c.WaitMessage("donkeyls.colour")
	c.Notify("workspace/didChangeConfiguration", map[string]any{"settings": map[string]any{"donkeyls": bad}})
	c.Notify("workspace/didChangeConfiguration", map[string]any{"settings": nil})
	waitLog(t, srv, "DEBUG settings ", 3)
	c.Shutdown()
	srv.wait("exit")
	counts := map[string]int{}
	for _, m := range c.Messages() {
		for _, key := range []string{"donkeyls.colour", "donkeyls.typegen.onSave", "donkeyls.typegen.comand"} {
			if strings.Contains(m.Message, key) {
				counts[key]++
			}
		}
	}
	for _, key := range []string{"donkeyls.colour", "donkeyls.typegen.onSave", "donkeyls.typegen.comand"} {
		if counts[key] != 1 {
			t.Errorf("%s reported %d times, want once", key, counts[key])
		}
	}
}

// TestQuickFixEdit: a framework diagnostic's fix comes as a workspace edit,
// versioned documentChanges for a client that supports them and changes
// for one that does not; applying it clears the diagnostic.
func TestQuickFixEdit(t *testing.T) {
	for _, docChanges := range []bool{true, false} {
		name := "changes"
		if docChanges {
			name = "documentChanges"
		}
		t.Run(name, func(t *testing.T) {
			root, _ := staleShop(t)
			srv := start(t)
			c := srv.client
			caps := lsptest.Capabilities(true)
			if !docChanges {
				caps["workspace"].(map[string]any)["workspaceEdit"] = map[string]any{}
			}
			c.Initialize(root, caps, nil)
			config := filepath.Join(root, "donkeylabs.config.ts")
			src := c.Open(config)
			broken := strings.Replace(src, `"./src/server/plugins/**/index.ts"`, `"./src/server/plugins/*/index.ts"`, 1)
			v := c.Replace(config, broken)
			d := c.WaitDiagnostics(config, "plugins-glob-unsupported", func(d lsptest.Diagnostics) bool { return lsptest.Has(d, "plugins-glob-unsupported") })
			var diag protocol.Diagnostic
			for _, x := range d.Diagnostics {
				if x.Code == "plugins-glob-unsupported" {
					diag = x
				}
			}
			var actions []struct {
				Title string          `json:"title"`
				Kind  string          `json:"kind"`
				Edit  json.RawMessage `json:"edit"`
			}
			if err := c.Call("textDocument/codeAction", map[string]any{
				"textDocument": map[string]any{"uri": text.FileURI(config)},
				"range":        diag.Range,
				"context":      map[string]any{"diagnostics": []any{diag}},
			}, &actions); err != nil {
				t.Fatal(err)
			}
			if len(actions) == 0 || actions[0].Edit == nil || actions[0].Kind != "quickfix" {
				t.Fatalf("actions %+v: want a quickfix with an edit", actions)
			}
			var edit struct {
				Changes         map[string][]protocol.TextEdit `json:"changes"`
				DocumentChanges []struct {
					TextDocument struct {
						URI     string `json:"uri"`
						Version *int32 `json:"version"`
					} `json:"textDocument"`
					Edits []protocol.TextEdit `json:"edits"`
				} `json:"documentChanges"`
			}
			if err := json.Unmarshal(actions[0].Edit, &edit); err != nil {
				t.Fatal(err)
			}
			var edits []protocol.TextEdit
			if docChanges {
				if len(edit.DocumentChanges) != 1 || edit.Changes != nil {
					t.Fatalf("edit %s: want one documentChanges entry", actions[0].Edit)
				}
				dc := edit.DocumentChanges[0]
				if dc.TextDocument.Version == nil || *dc.TextDocument.Version != v {
					t.Errorf("edit version %v, want the open buffer's %d", dc.TextDocument.Version, v)
				}
				edits = dc.Edits
			} else {
				if len(edit.DocumentChanges) != 0 || len(edit.Changes) != 1 {
					t.Fatalf("edit %s: want changes only", actions[0].Edit)
				}
				for _, e := range edit.Changes {
					edits = e
				}
			}
			// Apply as the editor would, and send the result.
			var changes []lsptest.Edit
			for _, e := range edits {
				changes = append(changes, lsptest.Edit{StartLine: int(e.Range.Start.Line), StartChar: int(e.Range.Start.Character), EndLine: int(e.Range.End.Line), EndChar: int(e.Range.End.Character), Text: e.NewText})
			}
			c.Change(config, changes...)
			c.WaitDiagnostics(config, "cleared by the fix", func(d lsptest.Diagnostics) bool { return !lsptest.Has(d, "plugins-glob-unsupported") })
			c.Shutdown()
			srv.wait("exit")
		})
	}
}
