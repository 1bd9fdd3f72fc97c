package tsmodeltest

import (
	"os"
	"path/filepath"
	"testing"
)

func TestParseDiagnostics(t *testing.T) {
	out := []byte(`src/a.ts(3,16): error TS2339: Property 'notes' does not exist on type '{ id: string; }'.
src/b.ts(10,2): error TS2769: No overload matches this call.
  Overload 1 of 2, '(x: string): void', gave the following error.
Found 2 errors.
`)
	got := ParseDiagnostics(out)
	want := []Diagnostic{
		{File: "src/a.ts", Line: 3, Col: 16, Code: "TS2339", Message: "Property 'notes' does not exist on type '{ id: string; }'."},
		{File: "src/b.ts", Line: 10, Col: 2, Code: "TS2769", Message: "No overload matches this call."},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d diagnostics, want %d: %v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("diagnostic %d: got %v, want %v", i, got[i], want[i])
		}
	}
}

func TestApplyEditsRefusesMissingAnchor(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.ts"), []byte("x\nx\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := ApplyEdits(dir, []Edit{{Path: "a.ts", Old: "y", New: "z"}}); err == nil {
		t.Error("an absent anchor must be an error, not a silent no-op")
	}
	if err := ApplyEdits(dir, []Edit{{Path: "a.ts", Old: "x", New: "z"}}); err == nil {
		t.Error("an ambiguous anchor must be an error")
	}
}
