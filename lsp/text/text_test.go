package text

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestLinesRoundTripUTF16(t *testing.T) {
	// "é" is 2 bytes/1 unit, "界" 3 bytes/1 unit, "😀" 4 bytes/2 units.
	src := "// é 界 😀 note\r\nexport const x = 1;\rlast 😀x"
	l := NewLines(src)
	if l.Count() != 3 {
		t.Fatalf("Count = %d, want 3 (\\r\\n and lone \\r both end a line)", l.Count())
	}
	cases := []struct {
		needle string
		want   Position
	}{
		{"note", Position{0, 10}}, // "// "(3) + "é"(1) + " 界"(2) + " 😀"(3) + " "(1) = 10 units
		{"export", Position{1, 0}},
		{"x =", Position{1, 13}},
		{"😀x", Position{2, 5}},
	}
	for _, c := range cases {
		off := strings.Index(src, c.needle)
		if off < 0 {
			t.Fatalf("needle %q missing", c.needle)
		}
		got := l.Position(off)
		if got != c.want {
			t.Errorf("Position(%q at %d) = %+v, want %+v", c.needle, off, got, c.want)
		}
		if back := l.Offset(got); back != off {
			t.Errorf("Offset(%+v) = %d, want %d", got, back, off)
		}
	}
}

func TestOffsetClampsAndNeverSplitsSurrogates(t *testing.T) {
	src := "a😀b\nxy"
	l := NewLines(src)
	// Character 2 falls between the two UTF-16 units of the emoji.
	if got := l.Offset(Position{0, 2}); got != strings.Index(src, "b") {
		t.Errorf("mid-surrogate offset = %d, want the end of the emoji (%d)", got, strings.Index(src, "b"))
	}
	if got := l.Offset(Position{0, 99}); got != strings.Index(src, "\n") {
		t.Errorf("character past line end = %d, want line end %d", got, strings.Index(src, "\n"))
	}
	if got := l.Offset(Position{7, 0}); got != len(src) {
		t.Errorf("line past end = %d, want %d", got, len(src))
	}
	if got := l.Offset(Position{-1, 3}); got != 0 {
		t.Errorf("negative line = %d, want 0", got)
	}
	if got := l.Position(len(src) + 10); got != (Position{1, 2}) {
		t.Errorf("Position past end = %+v", got)
	}
}

func TestApplyIncrementalAndFull(t *testing.T) {
	u, _ := ParseURI("file:///p/a.ts")
	d := NewDocument(u, "typescript", 1, "const 界 = 1;\nconst b = 2;\n")
	// Replace "1" on line 0 (after a CJK identifier) and insert on line 1.
	d2, err := d.Apply(2, []Change{
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
	d3, err := d2.Apply(3, []Change{
		{Range: &Range{Start: Position{1, 6}, End: Position{1, 8}}, Text: ""},
		{Range: &Range{Start: Position{1, 6}, End: Position{1, 7}}, Text: "c"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "const 界 = 42;\nconst c = 2;\n"; d3.Text() != want {
		t.Fatalf("sequential changes = %q, want %q", d3.Text(), want)
	}
	d4, err := d3.Apply(4, []Change{{Text: "whole"}})
	if err != nil || d4.Text() != "whole" {
		t.Fatalf("full sync = %q, %v", d4.Text(), err)
	}
	if d.Text() != "const 界 = 1;\nconst b = 2;\n" {
		t.Errorf("Apply mutated the original document: %q", d.Text())
	}
}

func TestApplyRefusesStaleVersion(t *testing.T) {
	u, _ := ParseURI("file:///p/a.ts")
	d := NewDocument(u, "typescript", 5, "x")
	if _, err := d.Apply(5, []Change{{Text: "y"}}); err == nil {
		t.Error("same version accepted")
	}
	if _, err := d.Apply(3, []Change{{Text: "y"}}); err == nil {
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
		out, err := d.Apply(2, []Change{{Range: &Range{Start: Position{l1, c1}, End: Position{l2, c2}}, Text: ins}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Text()) > len(src)+len(ins) {
			t.Fatalf("result grew beyond source+insert: %d", len(out.Text()))
		}
		l := out.Lines()
		for off := 0; off <= len(out.Text()); off++ {
			_ = l.Offset(l.Position(off))
		}
	})
}
