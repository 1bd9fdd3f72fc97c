package textpos

import "testing"

func TestPositionsCountUTF16Units(t *testing.T) {
	// "é" is 2 bytes/1 unit, "漢" 3 bytes/1 unit, "🎉" 4 bytes/2 units.
	src := []byte("// é 漢 🎉\nconst usersPlugin = 1;\n\tx🎉y")
	tab := New(src)
	cases := []struct {
		offset, line, col int
	}{
		{0, 0, 0},
		{3, 0, 3},            // after "// "
		{5, 0, 4},            // after "é"
		{9, 0, 6},            // after "漢"
		{14, 0, 9},           // after "🎉": two units
		{15, 1, 0},           // start of line 2
		{21, 1, 6},           // "usersPlugin"
		{len(src) - 1, 2, 4}, // before "y": tab 1 + x 1 + 🎉 2
	}
	for _, c := range cases {
		p := tab.Pos(c.offset)
		if p.Line != c.line || p.Col != c.col {
			t.Errorf("Pos(%d) = %d:%d, want %d:%d", c.offset, p.Line, p.Col, c.line, c.col)
		}
		if back := tab.Offset(c.line, c.col); back != c.offset {
			t.Errorf("Offset(%d,%d) = %d, want %d", c.line, c.col, back, c.offset)
		}
	}
}

func TestOffsetClampsAndSurvivesInvalidUTF8(t *testing.T) {
	src := []byte("ab\xff\xfecd\nx")
	tab := New(src)
	if got := tab.Pos(4); got.Col != 4 {
		t.Errorf("invalid bytes count one unit each: col %d", got.Col)
	}
	if got := tab.Offset(0, 99); got != 6 {
		t.Errorf("column past line end clamps before the newline: %d", got)
	}
	if got := tab.Offset(9, 0); got != len(src) {
		t.Errorf("line past the end clamps to the end: %d", got)
	}
	if got := tab.Pos(-5); got.Offset != 0 {
		t.Errorf("negative offset: %+v", got)
	}
	if got := tab.Pos(1000); got.Offset != len(src) || got.Line != 1 {
		t.Errorf("offset past the end: %+v", got)
	}
}
