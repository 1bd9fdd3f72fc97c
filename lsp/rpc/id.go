package rpc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"go.lsp.dev/jsonrpc2"
)

// jsonrpc2 v0.10's ID holds an int32 or a non-empty string: the empty
// string reads as the number 0 (and is answered as 0), and an integer beyond
// int32 or a number written another way cannot be read at all. Every id it
// cannot hold exactly is carried inside it as an alias, a string made of a
// NUL byte and the id's JSON, which no real string id collides with (a
// string id that itself starts with NUL is aliased too). The stream writes
// an alias back as the JSON it stands for, so every id round-trips exactly.
const aliasMark = "\x00"

// parseID reads a request id as the peer wrote it: a string or a number.
func parseID(raw []byte) (jsonrpc2.ID, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return jsonrpc2.ID{}, errors.New("empty id")
	}
	switch c := raw[0]; {
	case c == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return jsonrpc2.ID{}, fmt.Errorf("reading a string id: %w", err)
		}
		if s == "" || strings.HasPrefix(s, aliasMark) {
			return jsonrpc2.NewStringID(aliasMark + string(raw)), nil
		}
		return jsonrpc2.NewStringID(s), nil
	case c == '-' || (c >= '0' && c <= '9'):
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return jsonrpc2.ID{}, fmt.Errorf("reading a number id: %w", err)
		}
		if v, err := strconv.ParseInt(string(raw), 10, 32); err == nil && strconv.FormatInt(v, 10) == string(raw) {
			return jsonrpc2.NewNumberID(int32(v)), nil
		}
		return jsonrpc2.NewStringID(aliasMark + string(raw)), nil
	}
	return jsonrpc2.ID{}, fmt.Errorf("an id must be a string or a number, not %s", excerptOf(raw))
}

// needsAlias reports whether jsonrpc2 would misread raw.
func needsAlias(raw []byte) bool {
	id, err := parseID(raw)
	if err != nil {
		return false // jsonrpc2 refuses it too; it is answered as invalid
	}
	_, aliased := aliasOf(id)
	return aliased
}

// aliasOf returns the JSON an alias stands for.
func aliasOf(id jsonrpc2.ID) ([]byte, bool) {
	b, err := id.MarshalJSON()
	if err != nil || len(b) == 0 || b[0] != '"' {
		return nil, false
	}
	var name string
	if json.Unmarshal(b, &name) != nil || !strings.HasPrefix(name, aliasMark) {
		return nil, false
	}
	return []byte(name[len(aliasMark):]), true
}

// IDJSON is id as it is written on the wire: the JSON the peer sent.
func IDJSON(id jsonrpc2.ID) json.RawMessage {
	if raw, ok := aliasOf(id); ok {
		return raw
	}
	b, _ := id.MarshalJSON()
	return b
}

// IDString is id for log lines and messages.
func IDString(id jsonrpc2.ID) string { return string(IDJSON(id)) }
