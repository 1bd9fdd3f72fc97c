package rpc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"

	"go.lsp.dev/jsonrpc2"
)

// TestBodyScanAgreesWithDecoder feeds bodies in chunks of every size: the
// id found and the end of the object are what the standard decoder sees.
func TestBodyScanAgreesWithDecoder(t *testing.T) {
	bodies := []string{
		`{"jsonrpc":"2.0","id":1,"method":"x"}`,
		`{"id":"a\"b\\","method":"x","params":{"id":2,"s":"}]"}}`,
		`{"params":[{"id":"inner"}],"id":"\u0000x" ,"method":"m"}`,
		`{ "method" : "m" , "id" : -7 }`,
		`{"method":"m","params":"no id at all"}`,
		`{"idx":1,"id":"",  "method":"m"}`,
		`[1,{"id":3}]`,
	}
	for _, body := range bodies {
		var probe struct{ ID json.RawMessage }
		_ = json.Unmarshal([]byte(body), &probe)
		for size := 1; size <= len(body); size++ {
			var sc bodyScan
			padded := []byte(body + "  trailing")
			fed := 0
			for fed < len(padded) && !sc.complete {
				chunk := padded[fed:min(len(padded), fed+size)]
				fed += sc.feed(chunk)
			}
			if !sc.complete || sc.end != len(body) || fed != len(body) {
				t.Fatalf("%s in chunks of %d: complete %v at %d (fed %d), want the end at %d", body, size, sc.complete, sc.end, fed, len(body))
			}
			if got := sc.id([]byte(body)); !bytes.Equal(got, bytes.TrimSpace(probe.ID)) {
				t.Fatalf("%s in chunks of %d: id %s, want %s", body, size, got, probe.ID)
			}
		}
	}
	var sc bodyScan
	sc.feed([]byte(strings.Repeat("[", MaxDepth+1)))
	if !sc.tooDeep {
		t.Errorf("%d levels not reported too deep", MaxDepth+1)
	}
}

// TestIDsAreWrittenBackExactly reads calls whose ids jsonrpc2 cannot hold
// (and some it can) and writes their responses: each carries the id as it
// was sent.
func TestIDsAreWrittenBackExactly(t *testing.T) {
	for _, id := range []string{`""`, `4294967296`, `1.5`, `"\u0000x"`, `7`, `"seven"`} {
		body := `{"jsonrpc":"2.0","id":` + id + `,"method":"m"}`
		var out bytes.Buffer
		s := NewStream(strings.NewReader(fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body)), &out, nil)
		msg, _, err := s.Read(t.Context())
		if err != nil {
			t.Fatalf("id %s: %v", id, err)
		}
		call, ok := msg.(*jsonrpc2.Call)
		if !ok {
			t.Fatalf("id %s: read %#v, want a call", id, msg)
		}
		resp, err := jsonrpc2.NewResponse(call.ID(), "ok", nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Write(t.Context(), resp); err != nil {
			t.Fatal(err)
		}
		_, written, _ := strings.Cut(out.String(), "\r\n\r\n")
		var got struct {
			ID     json.RawMessage
			Result string
		}
		if err := json.Unmarshal([]byte(written), &got); err != nil || string(got.ID) != id || got.Result != "ok" {
			t.Errorf("id %s: wrote %s (%v)", id, written, err)
		}
	}
}

// TestNestedHeadersAreNotReadQuadratically sends thousands of headers, each
// declaring a body that holds all the ones after it: every body fails and
// is read again as input, and without a bound each byte would be read once
// per header before it. The bytes read again stay a small multiple of the
// input.
func TestNestedHeadersAreNotReadQuadratically(t *testing.T) {
	const n = 5000
	var b strings.Builder
	for range n {
		b.WriteString("Content-Length: 9999999\r\n\r\n")
	}
	input := b.String()
	s := NewStream(strings.NewReader(input), io.Discard, nil)
	for {
		if _, _, err := s.Read(t.Context()); err != nil {
			break
		}
	}
	if limit := int64(rereadFactor*len(input) + rereadSlack); s.in.reread > limit {
		t.Errorf("read %d bytes again for %d bytes of input, want at most %d", s.in.reread, len(input), limit)
	}
}
