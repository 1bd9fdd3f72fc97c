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

// didOpenFrame is a didOpen of a document of about size bytes.
func didOpenFrame(size int) []byte {
	text := strings.Repeat("export const x = { a: \"}\", b: [1, 2] };\n", size/41)
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": map[string]any{
		"textDocument": map[string]any{"uri": "file:///p/x.ts", "languageId": "typescript", "version": 1, "text": text},
	}})
	return []byte(fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body))
}

// BenchmarkStreamRead reads one large didOpen through the stream (framing,
// depth scan, decode); BenchmarkDecodeOnly is the decode alone, the cost
// the stream adds to is the difference.
func BenchmarkStreamRead(b *testing.B) {
	for _, size := range []int{1 << 10, 1 << 20, 10 << 20} {
		frame := didOpenFrame(size)
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(len(frame)))
			for b.Loop() {
				s := NewStream(bytes.NewReader(frame), io.Discard, nil)
				if _, _, err := s.Read(b.Context()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecodeOnly(b *testing.B) {
	for _, size := range []int{1 << 10, 1 << 20, 10 << 20} {
		frame := didOpenFrame(size)
		body := frame[bytes.Index(frame, []byte("\r\n\r\n"))+4:]
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := jsonrpc2.DecodeMessage(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
