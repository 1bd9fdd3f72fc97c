package lsp

import (
	"errors"
	"strings"
	"testing"
	"time"

	"go.lsp.dev/protocol"
)

// TestLogLevels: every record reaches the --log file with its level; from
// info up it also reaches the client's log with the matching type, without
// the time and level the file line starts with.
func TestLogLevels(t *testing.T) {
	var file strings.Builder
	log, sink := newLogger(&file)
	type sent struct {
		t   protocol.MessageType
		msg string
	}
	var client []sent
	sink.setClient(func(t protocol.MessageType, msg string) { client = append(client, sent{t, msg}) })

	log.Debug("analyzed", "root", "/src/shop", "load", true, "took", 1500*time.Microsecond)
	log.Info("typegen done", "command", "bun run gen:types")
	log.Warn("cannot watch", "err", errors.New("inotify: too many watches"))
	log.Error("typegen failed", "root", "/src/shop", "output", "line one\nline two\n")

	lines := strings.Split(strings.TrimRight(file.String(), "\n"), "\n")
	want := []string{
		"DEBUG analyzed root=/src/shop load=true took=1.5ms",
		`INFO  typegen done command="bun run gen:types"`,
		`WARN  cannot watch err="inotify: too many watches"`,
		"ERROR typegen failed root=/src/shop",
		"line one",
		"line two",
	}
	if len(lines) != len(want) {
		t.Fatalf("log file:\n%s\nwant %d lines", file.String(), len(want))
	}
	for i, w := range want {
		got := lines[i]
		if i < 4 {
			// "15:04:05.000 " comes first.
			if len(got) < 13 || got[2] != ':' || got[12] != ' ' {
				t.Errorf("line %d %q does not start with the time", i, got)
				continue
			}
			got = got[13:]
		}
		if got != w {
			t.Errorf("line %d: %q, want %q", i, got, w)
		}
	}
	wantClient := []sent{
		{protocol.MessageTypeInfo, `typegen done command="bun run gen:types"`},
		{protocol.MessageTypeWarning, `cannot watch err="inotify: too many watches"`},
		{protocol.MessageTypeError, "typegen failed root=/src/shop\nline one\nline two"},
	}
	if len(client) != len(wantClient) {
		t.Fatalf("client got %+v, want %+v (debug stays in the file)", client, wantClient)
	}
	for i := range wantClient {
		if client[i] != wantClient[i] {
			t.Errorf("client message %d: %+v, want %+v", i, client[i], wantClient[i])
		}
	}
}

// TestLogBounded: no record, whatever a peer put in it, makes a log line
// longer than maxLogMessage and a short note.
func TestLogBounded(t *testing.T) {
	var file strings.Builder
	log, _ := newLogger(&file)
	log.Warn("ignored malformed input", "err", errors.New(strings.Repeat("x", 10*maxLogMessage)))
	if n := len(file.String()); n > maxLogMessage+100 {
		t.Errorf("a log line of %d bytes, want at most about %d", n, maxLogMessage)
	}
}

// TestLogWithoutFile: with no --log file, debug records are not even
// formatted, and the rest still reach the client.
func TestLogWithoutFile(t *testing.T) {
	log, sink := newLogger(nil)
	var got []string
	sink.setClient(func(_ protocol.MessageType, msg string) { got = append(got, msg) })
	log.Debug("analyzed")
	log.Info("project", "root", "/a b")
	if len(got) != 1 || got[0] != `project root="/a b"` {
		t.Errorf("client got %q", got)
	}
	if log.Enabled(t.Context(), -4) {
		t.Error("debug enabled without a log file")
	}
}
