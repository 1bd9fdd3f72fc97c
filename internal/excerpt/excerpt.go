// Package excerpt bounds what the program repeats of its input: a log line
// or an error message quotes at most a short prefix of whatever a client, a
// file or a command produced, cut at a rune boundary, and says how long the
// whole was. Nothing a peer sends is ever echoed in full.
package excerpt

import (
	"fmt"
	"unicode/utf8"
)

// Short is the size of an excerpt of bad input quoted in a log line.
const Short = 120

// Of returns s when it has at most max bytes; otherwise its first max bytes
// at most and the length of the whole.
func Of(s string, max int) string {
	if len(s) <= max {
		return s
	}
	return head(s, max) + fmt.Sprintf("... (%d bytes)", len(s))
}

// Bytes is Of for a byte slice; only the excerpt is copied.
func Bytes(b []byte, max int) string {
	if len(b) <= max {
		return string(b)
	}
	return head(string(b[:max+1]), max) + fmt.Sprintf("... (%d bytes)", len(b))
}

// Quote is Bytes quoted as Go source (%q), for input that may hold control
// characters or invalid UTF-8.
func Quote(b []byte, max int) string {
	if len(b) <= max {
		return fmt.Sprintf("%q", b)
	}
	return fmt.Sprintf("%q... (%d bytes)", head(string(b[:max+1]), max), len(b))
}

// head is the longest prefix of s of at most max bytes that does not split
// a rune.
func head(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && cut > max-utf8.UTFMax && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
