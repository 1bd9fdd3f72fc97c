package rpc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"go.lsp.dev/jsonrpc2"
)

// fuzzFrame is the i-th well-formed message the fuzz target appends after
// its garbage: strings that look like headers, braces and escapes inside
// strings, so that nothing in a valid body can mislead the resync.
func fuzzFrame(i int) (id string, body []byte) {
	id = fmt.Sprintf("fuzz-%d", i)
	params := map[string]any{
		"text":  fmt.Sprintf("Content-Length: %d\r\n\r\n{\"x\":[%d]} \\\" }]", i, i),
		"n":     i,
		"list":  []any{map[string]any{"a": "}"}, "]", []any{}},
		"quote": `"`,
	}
	b, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "method": "fuzz/m", "params": params})
	if err != nil {
		panic(err)
	}
	return id, b
}

func frame(body []byte) []byte {
	return append([]byte(fmt.Sprintf("Content-Length: %d\r\n\r\n", len(body))), body...)
}

// FuzzStream feeds arbitrary bytes followed by a few well-formed frames.
// Reading must never panic and must end (at EOF), and every one of the
// frames after the garbage must be read, in order and intact: whatever the
// garbage declared, the stream finds its way back to them.
func FuzzStream(f *testing.F) {
	seeds := []string{
		"",
		"Content-Length: abc\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\"}",
		"Content-Type: text/plain\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\"}",
		"Content-Length: 10\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\"}",
		"Content-Length: 500\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\"}",
		"Content-Length: 500\r\n\r\n{\"",
		"Content-Length: 3\r\n\r\n{}",
		"Content-Length: 2\r\n\r\n{",
		"Content-Length: 5000\r\n\r\n" + strings.Repeat("[", 1500),
		"Content-Length: 3002\r\n\r\n" + strings.Repeat("[", 1501) + strings.Repeat("]", 1501),
		"content-length: 7",
		"Content-Length: 99999999999999\r\n\r\n",
		strings.Repeat("x", 5000) + "\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"\r\n\r\n\r\n",
		"Content-Length: 12\r\n\r\n\"just a text",
		"Content-Length: 45\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":\"\",\"method\":\"empty\"}",
		"Content-Length: 1\r\nX: y\r\n",
		"CONTENT-LENGTH:",
		"Content-LengthContent-Length: 0\r\n\r\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s), uint8(2))
	}
	f.Fuzz(func(t *testing.T, garbage []byte, n uint8) {
		k := 1 + int(n%4)
		input := append([]byte(nil), garbage...)
		var want []string
		for i := range k {
			id, body := fuzzFrame(i)
			want = append(want, id)
			input = append(input, frame(body)...)
		}
		type result struct {
			got []jsonrpc2.Message
			err error
		}
		done := make(chan result, 1)
		go func() {
			s := NewStream(bytes.NewReader(input), io.Discard, nil)
			var r result
			for {
				msg, _, err := s.Read(context.Background())
				if err != nil {
					r.err = err
					break
				}
				r.got = append(r.got, msg)
			}
			done <- r
		}()
		var r result
		select {
		case r = <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("Read did not reach the end of %d bytes of input in 10s", len(input))
		}
		if !errors.Is(r.err, io.EOF) {
			t.Fatalf("the stream ended with %v, want EOF", r.err)
		}
		if len(r.got) < k {
			t.Fatalf("read %d messages, want at least the %d frames after the garbage", len(r.got), k)
		}
		for i, msg := range r.got[len(r.got)-k:] {
			call, ok := msg.(*jsonrpc2.Call)
			if !ok || string(IDJSON(call.ID())) != fmt.Sprintf("%q", want[i]) || call.Method() != "fuzz/m" {
				t.Fatalf("message %d after the garbage is %#v, want the call %s", i, msg, want[i])
			}
			_, body := fuzzFrame(i)
			var sent struct{ Params json.RawMessage }
			_ = json.Unmarshal(body, &sent)
			if !bytes.Equal(call.Params(), sent.Params) {
				t.Fatalf("frame %d's params changed:\n got %s\nwant %s", i, call.Params(), sent.Params)
			}
		}
	})
}
