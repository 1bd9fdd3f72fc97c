// Package text holds what the language server knows about one editor buffer:
// its URI, normalised into a stable key, its content and version, and the
// conversion between LSP positions (line, UTF-16 column) and byte offsets.
package text

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
)

// Key identifies a document independently of how a client spelled its URI.
// For file: URIs it is the clean absolute OS path; for any other scheme
// (untitled:, git:, vscode-notebook-cell:) it is the URI itself, which no
// analysis ever reads.
type Key string

// URI is a parsed document URI.
type URI struct {
	// Raw is the URI exactly as the client sent it; replies about an open
	// document echo it so clients that compare strings find their buffer.
	Raw string
	// Path is the clean absolute OS path for file: URIs, "" otherwise.
	Path string
}

// Key returns the map key for the document.
func (u URI) Key() Key {
	if u.Path != "" {
		return Key(u.Path)
	}
	return Key(u.Raw)
}

// IsFile reports whether the URI names a file on disk.
func (u URI) IsFile() bool { return u.Path != "" }

// ParseURI normalises a client URI. Percent-encoding is decoded, Windows
// drive letters are upper-cased and the path is cleaned, so
// "file:///C%3A/x/../a.ts" and "file:///c:/a.ts" are the same key. A URI
// with another scheme is kept as it is; an unparsable one is an error.
func ParseURI(raw string) (URI, error) {
	if raw == "" {
		return URI{}, fmt.Errorf("empty URI")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return URI{}, fmt.Errorf("parse URI %q: %w", raw, err)
	}
	if !strings.EqualFold(u.Scheme, "file") {
		if u.Scheme == "" {
			return URI{}, fmt.Errorf("URI %q has no scheme", raw)
		}
		return URI{Raw: raw}, nil
	}
	p := u.Path
	if u.Host != "" && u.Host != "localhost" {
		// A UNC path: file://server/share/a.ts.
		p = "//" + u.Host + p
	}
	if p == "" {
		return URI{}, fmt.Errorf("file URI %q has no path", raw)
	}
	return URI{Raw: raw, Path: cleanPath(p)}, nil
}

// cleanPath turns the slash path of a file URI into an OS path.
func cleanPath(p string) string {
	// "/c:/x" is a Windows drive path; the drive letter case is not
	// significant and clients disagree on it.
	if len(p) >= 3 && p[0] == '/' && p[2] == ':' && isLetter(p[1]) {
		p = strings.ToUpper(p[1:2]) + p[2:]
	}
	return filepath.Clean(filepath.FromSlash(p))
}

func isLetter(b byte) bool { return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') }

// FileURI is the URI of an absolute OS path, percent-encoded the way VS Code
// encodes it (everything but unreserved characters and '/').
func FileURI(path string) string {
	p := filepath.ToSlash(path)
	if len(p) >= 2 && p[1] == ':' && isLetter(p[0]) {
		p = "/" + p
	}
	var b strings.Builder
	b.WriteString("file://")
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '/' || isUnreserved(c) {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

func isUnreserved(c byte) bool {
	return isLetter(c) || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~'
}
