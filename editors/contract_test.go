// Package editors_test holds what the editor integrations owe the server's
// contract (docs/protocol.md): they render Diagnostic.data and the
// donkeyls/status notification, so none of them may know a diagnostic code
// or a progress title.
package editors_test

import (
	"bufio"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/donkeyls/donkeyls/analysis/analyzers"
	"github.com/donkeyls/donkeyls/internal/testenv"
	"github.com/donkeyls/donkeyls/lsp"
)

// codes are every diagnostic code the server can publish: the analyzers'
// own, restart-required, and every code docs/diagnostics.md lists (so a
// code documented but reported elsewhere counts too).
func codes(t *testing.T) []string {
	t.Helper()
	set := map[string]bool{lsp.CodeRestartRequired: true}
	for _, a := range analyzers.All() {
		for _, c := range a.Codes {
			set[c] = true
		}
	}
	doc, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "docs", "diagnostics.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z][a-z0-9-]*)` \\|").FindAllSubmatch(doc, -1) {
		set[string(m[1])] = true
	}
	out := make([]string, 0, len(set))
	for c := range set {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// skipDir are what the editors' tools install or build, not ours.
var skipDir = map[string]bool{"node_modules": true, "out": true, "dist": true, "bin": true, ".git": true}

// TestEditorsNameNoCodeNorProgressTitle: no file of editors/ (sources,
// tests, documents) names a diagnostic code or a progress title: the
// editors read what fixes a diagnostic from its data and the project's
// state from donkeyls/status, and a copy of a code list or a match on a
// title would drift from the server silently.
func TestEditorsNameNoCodeNorProgressTitle(t *testing.T) {
	cs := codes(t)
	if len(cs) < 20 {
		t.Fatalf("found only %d codes (%v): the sources of the list moved", len(cs), cs)
	}
	quoted := make([]string, len(cs))
	for i, c := range cs {
		quoted[i] = regexp.QuoteMeta(c)
	}
	// A code as a whole word: not part of a longer hyphenated name.
	codeRE := regexp.MustCompile(`(^|[^a-z0-9-])(` + strings.Join(quoted, "|") + `)($|[^a-z0-9-])`)
	titles := []string{
		strings.TrimPrefix(lsp.ProgressRegenerating, "donkeyls: "),
		strings.TrimSpace(lsp.ProgressIndexing),
	}

	dir := filepath.Join(testenv.RepoRoot(), "editors")
	var found []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if skipDir[d.Name()] {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Name() == "package-lock.json" || d.Name() == "contract_test.go" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.IndexByte(b, 0) >= 0 {
			return nil // binary
		}
		rel, _ := filepath.Rel(dir, path)
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for n := 1; sc.Scan(); n++ {
			line := sc.Text()
			if m := codeRE.FindStringSubmatch(line); m != nil {
				found = append(found, rel+":"+strconv.Itoa(n)+": code "+m[2]+": "+strings.TrimSpace(line))
			}
			for _, title := range titles {
				if strings.Contains(strings.ToLower(line), strings.ToLower(title)) {
					found = append(found, rel+":"+strconv.Itoa(n)+": progress title "+title+": "+strings.TrimSpace(line))
				}
			}
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) > 0 {
		t.Errorf("editors/ must render the server's data, not know its codes or progress titles (docs/protocol.md); found:\n  %s", strings.Join(found, "\n  "))
	}
}
