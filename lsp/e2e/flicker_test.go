package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/donkeyls/donkeyls/lsp/lsptest"
)

// TestNoFlickerWhileTyping: while the plugin does not parse (a keystroke
// leaves a brace open), its stale-registry finding stays; it must neither
// disappear nor multiply at every keystroke.
func TestNoFlickerWhileTyping(t *testing.T) {
	root, _ := staleShop(t)
	srv := start(t)
	c := srv.client
	c.Initialize(root, lsptest.Capabilities(true), nil)
	plugin := filepath.Join(root, "src/server/plugins/books/index.ts")
	src := c.Open(plugin)
	c.WaitDiagnostics(plugin, "stale-registry", func(d lsptest.Diagnostics) bool { return lsptest.Has(d, "stale-registry") })
	line := strings.Count(src[:strings.Index(src, "    service: async (ctx) => {")], "\n")
	// Type "if (x) {" one character at a time on a new line above service.
	c.Change(plugin, lsptest.Edit{StartLine: line, EndLine: line, Text: "\n"})
	for i, ch := range "    if (x) {" {
		v := c.Change(plugin, lsptest.Edit{StartLine: line, StartChar: i, EndLine: line, EndChar: i, Text: string(ch)})
		want := v
		d := c.WaitDiagnostics(plugin, "diagnostics of the keystroke", func(d lsptest.Diagnostics) bool { return d.Version != nil && *d.Version >= want })
		if n := count(d, "stale-registry"); n != 1 {
			t.Errorf("after typing %q: %d stale-registry findings, want 1 (codes %v)", "    if (x) {"[:i+1], n, lsptest.Codes(d))
		}
	}
	c.Shutdown()
	srv.wait("exit")
}

func count(d lsptest.Diagnostics, code string) int {
	n := 0
	for _, x := range d.Diagnostics {
		if x.Code == code {
			n++
		}
	}
	return n
}
