package text

import (
	"path/filepath"
	"testing"

	"github.com/donkeyls/donkeyls/analysis/textpos"
)

func TestApplyIncrementalAndFull(t *testing.T) {
	u, _ := ParseURI("file:///p/a.ts")
	d := NewDocument(u, "typescript", 1, "const 界 = 1;\nconst b = 2;\n")
	// Replace "1" on line 0 (after a CJK identifier) and insert on line 1.
	d2, err := d.Apply(2, textpos.UTF16, []Change{
		{Range: &Range{Start: Position{0, 10}, End: Position{0, 11}}, Text: "42"},
		{Range: &Range{Start: Position{1, 6}, End: Position{1, 6}}, Text: "😀"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "const 界 = 42;\nconst 😀b = 2;\n"; d2.Text() != want {
		t.Fatalf("incremental = %q, want %q", d2.Text(), want)
	}
	// The second change's range is read against the first change's result.
	d3, err := d2.Apply(3, textpos.UTF16, []Change{
		{Range: &Range{Start: Position{1, 6}, End: Position{1, 8}}, Text: ""},
		{Range: &Range{Start: Position{1, 6}, End: Position{1, 7}}, Text: "c"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "const 界 = 42;\nconst c = 2;\n"; d3.Text() != want {
		t.Fatalf("sequential changes = %q, want %q", d3.Text(), want)
	}
	d4, err := d3.Apply(4, textpos.UTF16, []Change{{Text: "whole"}})
	if err != nil || d4.Text() != "whole" {
		t.Fatalf("full sync = %q, %v", d4.Text(), err)
	}
	if d.Text() != "const 界 = 1;\nconst b = 2;\n" {
		t.Errorf("Apply mutated the original document: %q", d.Text())
	}
}

// TestApplyUTF8 reads the same edits as TestApplyIncrementalAndFull with
// characters counted in bytes, as a client that negotiated utf-8 sends them.
func TestApplyUTF8(t *testing.T) {
	u, _ := ParseURI("file:///p/a.ts")
	d := NewDocument(u, "typescript", 1, "const 界 = 1;\rconst 😀b = 2;\r\n")
	d2, err := d.Apply(2, textpos.UTF8, []Change{
		{Range: &Range{Start: Position{0, 12}, End: Position{0, 13}}, Text: "42"}, // "const 界 = " is 12 bytes
		{Range: &Range{Start: Position{1, 6}, End: Position{1, 10}}, Text: ""},    // the emoji's 4 bytes
		{Range: &Range{Start: Position{1, 99}, End: Position{1, 99}}, Text: " // end"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "const 界 = 42;\rconst b = 2; // end\r\n"; d2.Text() != want {
		t.Fatalf("utf-8 changes = %q, want %q", d2.Text(), want)
	}
}

func TestApplyRefusesStaleVersion(t *testing.T) {
	u, _ := ParseURI("file:///p/a.ts")
	d := NewDocument(u, "typescript", 5, "x")
	if _, err := d.Apply(5, textpos.UTF16, []Change{{Text: "y"}}); err == nil {
		t.Error("same version accepted")
	}
	if _, err := d.Apply(3, textpos.UTF16, []Change{{Text: "y"}}); err == nil {
		t.Error("older version accepted")
	}
}

func TestParseURI(t *testing.T) {
	cases := []struct {
		raw, path string
	}{
		{"file:///home/u/a%20b/x.ts", "/home/u/a b/x.ts"},
		{"file:///home/u/.%40donkeylabs/server/registry.d.ts", "/home/u/.@donkeylabs/server/registry.d.ts"},
		{"file:///home/u/src/../x.ts", "/home/u/x.ts"},
		{"file://localhost/home/u/x.ts", "/home/u/x.ts"},
		{"FILE:///home/u/x.ts", "/home/u/x.ts"},
	}
	for _, c := range cases {
		u, err := ParseURI(c.raw)
		if err != nil {
			t.Errorf("ParseURI(%q): %v", c.raw, err)
			continue
		}
		if u.Path != filepath.FromSlash(c.path) || u.Key() != Key(filepath.FromSlash(c.path)) {
			t.Errorf("ParseURI(%q).Path = %q, want %q", c.raw, u.Path, c.path)
		}
	}
	// Drive letters: same key whatever the case and encoding.
	a, _ := ParseURI("file:///c%3A/Users/x.ts")
	b, _ := ParseURI("file:///C:/Users/x.ts")
	if a.Key() != b.Key() {
		t.Errorf("drive letter keys differ: %q vs %q", a.Key(), b.Key())
	}
	for _, raw := range []string{"untitled:Untitled-1", "git:/x.ts?ref", "vscode-notebook-cell:/a#b"} {
		u, err := ParseURI(raw)
		if err != nil {
			t.Errorf("ParseURI(%q): %v", raw, err)
			continue
		}
		if u.IsFile() || u.Key() != Key(raw) {
			t.Errorf("ParseURI(%q) = %+v, want a non-file key equal to the URI", raw, u)
		}
	}
	for _, raw := range []string{"", "no-scheme", "file://", "%zz"} {
		if _, err := ParseURI(raw); err == nil {
			t.Errorf("ParseURI(%q) accepted", raw)
		}
	}
}

func TestFileURIRoundTrip(t *testing.T) {
	for _, p := range []string{"/home/u/a b/x.ts", "/p/.@donkeylabs/server/registry.d.ts", "/p/数据/ü.ts", "/p/50%.ts"} {
		raw := FileURI(p)
		u, err := ParseURI(raw)
		if err != nil || u.Path != p {
			t.Errorf("FileURI(%q) = %q parses back to %q (%v)", p, raw, u.Path, err)
		}
	}
}

func FuzzApply(f *testing.F) {
	f.Add("a😀\r\nb界\rc", 0, 1, 1, 0, "x")
	f.Fuzz(func(t *testing.T, src string, l1, c1, l2, c2 int, ins string) {
		u, _ := ParseURI("file:///p/a.ts")
		d := NewDocument(u, "typescript", 1, src)
		out, err := d.Apply(2, textpos.UTF8, []Change{{Range: &Range{Start: Position{l1, c1}, End: Position{l2, c2}}, Text: ins}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Text()) > len(src)+len(ins) {
			t.Fatalf("result grew beyond source+insert: %d", len(out.Text()))
		}
		l := textpos.New([]byte(out.Text()))
		for off := 0; off <= len(out.Text()); off++ {
			line, char := l.Position(off, textpos.UTF16)
			_ = l.Offset(line, char, textpos.UTF16)
		}
	})
}
