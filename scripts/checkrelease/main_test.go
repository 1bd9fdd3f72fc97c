package main

import (
	"archive/zip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func writeVSIX(t *testing.T, files map[string][]byte, modes map[string]os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "x.vsix")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := zip.NewWriter(f)
	for name, data := range files {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		mode, ok := modes[name]
		if !ok {
			mode = 0o755
		}
		h.SetMode(mode)
		fw, err := w.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(data)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path
}

func TestCheckVSIX(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "donkeyls")
	os.WriteFile(bin, []byte("the darwin-arm64 binary"), 0o755)
	tgt := target{"darwin-arm64", "darwin", "arm64"}
	manifest := []byte(`<Identity Id="donkeyls" TargetPlatform="darwin-arm64"/>`)
	cases := []struct {
		name  string
		files map[string][]byte
		modes map[string]os.FileMode
		want  string // "" means accepted
	}{
		{"its binary alone", map[string][]byte{"extension.vsixmanifest": manifest, "extension/bin/darwin-arm64/donkeyls": []byte("the darwin-arm64 binary")}, nil, ""},
		{"two binaries", map[string][]byte{"extension.vsixmanifest": manifest, "extension/bin/darwin-arm64/donkeyls": []byte("the darwin-arm64 binary"), "extension/bin/linux-x64/donkeyls": []byte("x")}, nil, "want exactly"},
		{"another target's binary", map[string][]byte{"extension.vsixmanifest": manifest, "extension/bin/darwin-x64/donkeyls": []byte("the darwin-arm64 binary")}, nil, "want exactly"},
		{"no binary", map[string][]byte{"extension.vsixmanifest": manifest}, nil, "want exactly"},
		{"other bytes", map[string][]byte{"extension.vsixmanifest": manifest, "extension/bin/darwin-arm64/donkeyls": []byte("an old build")}, nil, "differs"},
		{"not executable", map[string][]byte{"extension.vsixmanifest": manifest, "extension/bin/darwin-arm64/donkeyls": []byte("the darwin-arm64 binary")}, map[string]os.FileMode{"extension/bin/darwin-arm64/donkeyls": 0o644}, "not executable"},
		{"untargeted manifest", map[string][]byte{"extension.vsixmanifest": []byte(`<Identity Id="donkeyls"/>`), "extension/bin/darwin-arm64/donkeyls": []byte("the darwin-arm64 binary")}, nil, "TargetPlatform"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := checkVSIX(writeVSIX(t, c.files, c.modes), bin, tgt)
			switch {
			case c.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("error %v, want one saying %q", err, c.want)
			}
		})
	}
}

// This test's own executable is a Go binary for the host: every check that
// looks at another platform, or at donkeyls, must refuse it.
func TestCheckBinaryRefusesTheWrongBinary(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := checkBinary(exe, target{"linux-x64", runtime.GOOS, runtime.GOARCH}, "1.0.0"); err == nil || !strings.Contains(err.Error(), "main package") {
		t.Errorf("a test binary passed as donkeyls: %v", err)
	}
	if runtime.GOOS != "linux" {
		t.Skip("the ELF checks need a Linux test binary")
	}
	other := map[string]string{"amd64": "arm64", "arm64": "amd64"}[runtime.GOARCH]
	if err := checkELF(exe, other); err == nil || !strings.Contains(err.Error(), "ELF machine") {
		t.Errorf("checkELF for %s accepted a %s binary: %v", other, runtime.GOARCH, err)
	}
	if err := checkMachO(exe, runtime.GOARCH); err == nil || !strings.Contains(err.Error(), "not Mach-O") {
		t.Errorf("checkMachO accepted an ELF file: %v", err)
	}
}
