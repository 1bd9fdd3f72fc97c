package e2e

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"go.lsp.dev/jsonrpc2"

	"github.com/donkeyls/donkeyls/lsp/lsptest"
	"github.com/donkeyls/donkeyls/lsp/rpc"
)

// TestGarbageAndOutOfOrderMessages sends what a broken or hostile client
// might: requests before initialize, malformed frames and bodies, a response
// to nothing, edits to documents that are not open or with stale versions,
// a second initialize, unknown methods, and requests after shutdown. The
// server answers each as the specification says and keeps working.
func TestGarbageAndOutOfOrderMessages(t *testing.T) {
	root, _ := staleShop(t)
	srv := start(t)
	c := srv.client
	plugin := filepath.Join(root, "src/server/plugins/books/index.ts")

	r := lsptest.Await(t, c.Send("early", "textDocument/codeAction", map[string]any{}), "a request before initialize")
	if lsptest.ErrCode(r.Err) != int(rpc.CodeServerNotInitialized) {
		t.Errorf("request before initialize: %v, want ServerNotInitialized (-32002)", r.Err)
	}
	c.Notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{"uri": "file://" + plugin, "languageId": "typescript", "version": 1, "text": "x"}})

	c.Raw("GET / HTTP/1.1\r\nHost: nowhere\r\n\r\n")
	c.Raw("\r\n\r\n")
	c.Raw("Content-Length: -5\r\n\r\n")
	c.RawBody(`{"jsonrpc":"2.0","id":`)
	c.RawBody(`"just a string"`)
	c.RawBody(`{"jsonrpc":"2.0","id":{"nested":true},"method":"initialize"}`)
	c.RawBody(`{"jsonrpc":"2.0","id":424242,"result":{"nobody":"asked"}}`)
	c.RawBody(string([]byte{0xff, 0xfe, 0x00, 0x01}))

	c.Initialize(root, lsptest.Capabilities(true), nil)

	r = lsptest.Await(t, c.Send("again", "initialize", map[string]any{"capabilities": map[string]any{}}), "a second initialize")
	if lsptest.ErrCode(r.Err) != int(jsonrpc2.InvalidRequest) {
		t.Errorf("second initialize: %v, want InvalidRequest", r.Err)
	}
	r = lsptest.Await(t, c.Send(99001, "textDocument/doesNotExist", map[string]any{}), "an unknown method")
	if lsptest.ErrCode(r.Err) != int(jsonrpc2.MethodNotFound) {
		t.Errorf("unknown method: %v, want MethodNotFound", r.Err)
	}
	r = lsptest.Await(t, c.Send(99002, "textDocument/codeAction", "not an object"), "params of the wrong type")
	if lsptest.ErrCode(r.Err) != int(jsonrpc2.InvalidParams) {
		t.Errorf("wrong params: %v, want InvalidParams", r.Err)
	}
	c.Notify("$/somethingOptional", map[string]any{"x": 1})
	c.Notify("workspace/unknownNotification", nil)
	// Edits out of order: a change to a document never opened, then a
	// change with a version older than the open one, then garbage params.
	other := filepath.Join(root, "src/server/routes/books.ts")
	c.Notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": "file://" + other, "version": 7}, "contentChanges": []any{map[string]any{"text": "broken"}}})
	c.Open(plugin)
	c.Notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": "file://" + plugin, "version": 0}, "contentChanges": []any{map[string]any{"text": "// wiped"}}})
	c.Notify("textDocument/didChange", map[string]any{"textDocument": "nonsense"})
	c.Notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{"uri": "::not a uri::", "text": "x"}})
	// The stale version was refused: the plugin still has its finding.
	c.WaitDiagnostics(plugin, "stale-registry after the garbage", func(d lsptest.Diagnostics) bool {
		return lsptest.Has(d, "stale-registry") && d.Version != nil && *d.Version == 1
	})

	if err := c.Call("shutdown", nil, nil); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	r = lsptest.Await(t, c.Send("late", "textDocument/codeAction", map[string]any{}), "a request after shutdown")
	if lsptest.ErrCode(r.Err) != int(jsonrpc2.InvalidRequest) {
		t.Errorf("request after shutdown: %v, want InvalidRequest", r.Err)
	}
	c.Notify("exit", nil)
	if code := srv.wait("exit"); code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}
	log := readLog(t, srv)
	for _, want := range []string{"ignored malformed input", "not open", "version 0 after 1"} {
		if !strings.Contains(log, want) {
			t.Errorf("log does not mention %q", want)
		}
	}
}

// TestNonFileDocuments opens buffers that are not files: untitled ones and
// other schemes are kept and edited without analysis and without panics.
func TestNonFileDocuments(t *testing.T) {
	root, _ := staleShop(t)
	srv := start(t)
	c := srv.client
	c.Initialize(root, lsptest.Capabilities(true), nil)
	for _, uri := range []string{"untitled:Untitled-1", "git:/x/index.ts?%7B%22ref%22%3A%22HEAD%22%7D", "vscode-notebook-cell:/a.ipynb#W1"} {
		c.Notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{"uri": uri, "languageId": "typescript", "version": 1, "text": "export const usersPlugin = createPlugin.define({ name: \"u\" });\n"}})
		c.Notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": uri, "version": 2}, "contentChanges": []any{map[string]any{"range": map[string]any{"start": map[string]any{"line": 0, "character": 0}, "end": map[string]any{"line": 0, "character": 6}}, "text": "😀"}}})
		var actions []json.RawMessage
		if err := c.Call("textDocument/codeAction", map[string]any{"textDocument": map[string]any{"uri": uri}, "range": map[string]any{"start": map[string]any{"line": 0, "character": 0}, "end": map[string]any{"line": 0, "character": 1}}, "context": map[string]any{"diagnostics": []any{}}}, &actions); err != nil {
			t.Errorf("codeAction on %s: %v", uri, err)
		}
		c.Notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": uri}})
		c.Notify("textDocument/didClose", map[string]any{"textDocument": map[string]any{"uri": uri}})
	}
	c.Shutdown()
	if code := srv.wait("exit"); code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}
	for _, p := range c.Publishes() {
		if !strings.HasPrefix(p.URI, "file://") {
			t.Errorf("diagnostics published for a non-file document %s", p.URI)
		}
	}
}
