package e2e

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/donkeyls/donkeyls/lsp/lsptest"
	"github.com/donkeyls/donkeyls/lsp/text"
)

// docChange is one entry of documentChanges: a text document edit or a
// rename operation.
type docChange struct {
	Kind         string `json:"kind"`
	OldURI       string `json:"oldUri"`
	NewURI       string `json:"newUri"`
	TextDocument struct {
		URI string `json:"uri"`
	} `json:"textDocument"`
	Edits []struct {
		Range struct {
			Start struct{ Line, Character int } `json:"start"`
			End   struct{ Line, Character int } `json:"end"`
		} `json:"range"`
		NewText string `json:"newText"`
	} `json:"edits"`
}

// applyChanges does what an editor does with documentChanges, in order, and
// returns the files whose text changed (at their final paths). The shop
// is ASCII, so UTF-16 columns are byte columns.
func applyChanges(t *testing.T, changes []docChange) []string {
	t.Helper()
	var touched []string
	for _, dc := range changes {
		if dc.Kind == "rename" {
			from, _ := text.ParseURI(dc.OldURI)
			to, _ := text.ParseURI(dc.NewURI)
			if _, err := os.Stat(to.Path); err == nil {
				t.Fatalf("rename onto the existing %s", to.Path)
			}
			if err := os.Rename(from.Path, to.Path); err != nil {
				t.Fatal(err)
			}
			for i, p := range touched {
				if strings.HasPrefix(p, from.Path+string(filepath.Separator)) {
					touched[i] = to.Path + p[len(from.Path):]
				}
			}
			continue
		}
		u, _ := text.ParseURI(dc.TextDocument.URI)
		lines := strings.Split(readFile(t, u.Path), "\n")
		edits := dc.Edits
		sort.SliceStable(edits, func(i, j int) bool {
			a, b := edits[i].Range.Start, edits[j].Range.Start
			return a.Line > b.Line || (a.Line == b.Line && a.Character > b.Character)
		})
		for _, e := range edits {
			if e.Range.Start.Line != e.Range.End.Line {
				t.Fatalf("an edit spans lines: %+v", e)
			}
			l := lines[e.Range.Start.Line]
			lines[e.Range.Start.Line] = l[:e.Range.Start.Character] + e.NewText + l[e.Range.End.Character:]
		}
		if err := os.WriteFile(u.Path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
		touched = append(touched, u.Path)
	}
	return touched
}

// TestRenamePluginAndAlignThenCheck renames plugin users to members
// through the binary, then applies the code action the rename's warning
// points to, which renames the export and moves plugins/users (with its
// migrations) to plugins/members. Afterwards `donkeyls check` reports
// nothing new but staleness: the server finds the migrations again under
// plugins/members/migrations and the generator names the plugin after its
// new folder, so neither migrations-unreachable nor plugin-name-misread,
// which a rename of the name alone leaves (TestRenamePluginThenCheck).
func TestRenamePluginAndAlignThenCheck(t *testing.T) {
	root, _ := staleShop(t)
	before := checkCodes(t, root)
	srv := start(t)
	c := srv.client
	c.Initialize(root, lsptest.Capabilities(true), nil)
	plugin := filepath.Join(root, "src/server/plugins/users/index.ts")
	src := c.Open(plugin)
	c.WaitDiagnostics(plugin, "the first analysis", func(d lsptest.Diagnostics) bool { return true })
	line, col := -1, 0
	for i, l := range strings.Split(src, "\n") {
		if j := strings.Index(l, `name: "users"`); j >= 0 {
			line, col = i, j+len(`name: "`)+1
			break
		}
	}
	if line < 0 {
		t.Fatal(`fixture moved: no name: "users" in the users plugin`)
	}
	pos := map[string]any{"line": line, "character": col}
	var renamed struct {
		DocumentChanges []docChange `json:"documentChanges"`
	}
	if err := c.Call("textDocument/rename", map[string]any{"textDocument": map[string]any{"uri": text.FileURI(plugin)}, "position": pos, "newName": "members"}, &renamed); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(c.WaitMessage("renaming plugin").Message, "export and folder") {
		t.Error("the rename's warning does not point to the code action that moves the folder")
	}
	changed := map[string]bool{}
	for _, p := range applyChanges(t, renamed.DocumentChanges) {
		changed[p] = true
	}
	// The editor has every edited file open with its new text, as after
	// a rename it applied: the server then analyzes exactly that.
	for p := range changed {
		if p == plugin {
			v := c.Replace(plugin, readFile(t, plugin))
			c.WaitDiagnostics(plugin, "the renamed buffer", func(d lsptest.Diagnostics) bool { return d.Version != nil && *d.Version == v })
			continue
		}
		c.Open(p)
		c.WaitDiagnostics(p, "the renamed "+filepath.Base(p), func(d lsptest.Diagnostics) bool { return d.Version != nil })
	}
	var actions []struct {
		Title string `json:"title"`
		Edit  struct {
			DocumentChanges []docChange `json:"documentChanges"`
		} `json:"edit"`
	}
	if err := c.Call("textDocument/codeAction", map[string]any{
		"textDocument": map[string]any{"uri": text.FileURI(plugin)},
		"range":        map[string]any{"start": pos, "end": pos},
		"context":      map[string]any{"diagnostics": []any{}, "only": []string{"refactor.rewrite"}},
	}, &actions); err != nil {
		t.Fatal(err)
	}
	if len(actions) != 1 || !strings.Contains(actions[0].Title, `"members"`) {
		t.Fatalf("code actions on the renamed plugin: %+v, want the export-and-folder one", actions)
	}
	align := actions[0].Edit.DocumentChanges
	if len(align) == 0 || align[len(align)-1].Kind != "rename" {
		t.Fatalf("the code action's edit does not end with the folder's move: %+v", align)
	}
	applyChanges(t, align)
	if _, err := os.Stat(filepath.Join(root, "src/server/plugins/members/migrations")); err != nil {
		t.Fatalf("the migrations did not move with the folder: %v", err)
	}
	if strings.Contains(readFile(t, filepath.Join(root, "src/server/index.ts")), "usersPlugin") {
		t.Error("the entry still names usersPlugin")
	}
	after := checkCodes(t, root)
	for code := range after {
		if !before[code] && !strings.HasPrefix(code, "stale-") && code != "types-missing" {
			t.Errorf("after the rename and the code action check reports %s, which it did not before", code)
		}
	}
	for _, code := range []string{"migrations-unreachable", "plugin-name-misread", "unknown-plugin", "unknown-dependency"} {
		if after[code] {
			t.Errorf("after the rename and the code action check still reports %s", code)
		}
	}
	if !after["stale-registry"] {
		t.Errorf("after the rename check does not say the registry is stale: %v", after)
	}
}
