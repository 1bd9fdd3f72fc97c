// Command checkrelease checks what scripts/release built, as a user's machine
// would see it: each binary is for its OS and architecture, built with cgo,
// -trimpath and the release version; the Linux ones are static; the macOS
// ones load only libSystem and the two system frameworks (by their real
// install names), carry a code signature and say they are for macOS; each
// .vsix holds exactly one binary, its target's, byte for byte.
//
//	go run ./scripts/checkrelease DIST VERSION
package main

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"debug/buildinfo"
	"debug/elf"
	"debug/macho"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// target is one platform the release ships.
type target struct {
	vsce, goos, goarch string
}

var targets = []target{
	{"linux-x64", "linux", "amd64"},
	{"linux-arm64", "linux", "arm64"},
	{"darwin-x64", "darwin", "amd64"},
	{"darwin-arm64", "darwin", "arm64"},
}

const mainPath = "github.com/donkeyls/donkeyls/cmd/donkeyls"

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: checkrelease DIST VERSION")
		os.Exit(2)
	}
	dist, version := os.Args[1], os.Args[2]
	failed := false
	for _, t := range targets {
		bin := filepath.Join(dist, "bin", t.goos+"-"+t.goarch, "donkeyls")
		if err := checkBinary(bin, t, version); err != nil {
			fmt.Printf("FAIL %s: %v\n", bin, err)
			failed = true
		} else {
			fmt.Printf("ok   %s\n", bin)
		}
		vsix := filepath.Join(dist, "donkeyls-"+t.vsce+"-"+version+".vsix")
		if err := checkVSIX(vsix, bin, t); err != nil {
			fmt.Printf("FAIL %s: %v\n", vsix, err)
			failed = true
		} else {
			fmt.Printf("ok   %s\n", vsix)
		}
	}
	if extra := unexpectedVSIX(dist, version); len(extra) > 0 {
		fmt.Printf("FAIL %s: unexpected packages %v\n", dist, extra)
		failed = true
	}
	if failed {
		os.Exit(1)
	}
}

func checkBinary(path string, t target, version string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if st.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("not executable (%v)", st.Mode())
	}
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading Go build info: %w", err)
	}
	if info.Path != mainPath {
		return fmt.Errorf("main package %q, want %q", info.Path, mainPath)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	want := map[string]string{"GOOS": t.goos, "GOARCH": t.goarch, "CGO_ENABLED": "1", "-trimpath": "true"}
	for k, v := range want {
		if settings[k] != v {
			return fmt.Errorf("build setting %s=%q, want %q", k, settings[k], v)
		}
	}
	// -trimpath leaves -ldflags out of the build info; the Linux binaries
	// are run for their version by scripts/check-release, the macOS ones
	// have their main.version read from the symbol table here.
	switch t.goos {
	case "linux":
		return checkELF(path, t.goarch)
	case "darwin":
		if err := checkMachO(path, t.goarch); err != nil {
			return err
		}
		got, err := machoString(path, "main.version")
		if err != nil {
			return err
		}
		if got != version {
			return fmt.Errorf("main.version is %q, want %q", got, version)
		}
		return nil
	}
	return fmt.Errorf("no check for %s", t.goos)
}

// machoString reads the Go string variable named sym from a Mach-O file:
// its symbol gives the address of a (pointer, length) header.
func machoString(path, sym string) (string, error) {
	f, err := macho.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if f.Symtab == nil {
		return "", errors.New("no symbol table")
	}
	var addr uint64
	for _, s := range f.Symtab.Syms {
		if s.Name == sym || s.Name == "_"+sym {
			addr = s.Value
		}
	}
	if addr == 0 {
		return "", fmt.Errorf("no symbol %s", sym)
	}
	header, err := readVM(f, addr, 16)
	if err != nil {
		return "", err
	}
	ptr, n := f.ByteOrder.Uint64(header), f.ByteOrder.Uint64(header[8:])
	if n > 1<<10 {
		return "", fmt.Errorf("%s has length %d", sym, n)
	}
	data, err := readVM(f, ptr, n)
	return string(data), err
}

func readVM(f *macho.File, addr, n uint64) ([]byte, error) {
	for _, sec := range f.Sections {
		if addr >= sec.Addr && addr+n <= sec.Addr+sec.Size {
			buf := make([]byte, n)
			if _, err := sec.ReadAt(buf, int64(addr-sec.Addr)); err != nil {
				return nil, err
			}
			return buf, nil
		}
	}
	return nil, fmt.Errorf("address %#x is in no section", addr)
}

func checkELF(path, goarch string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("not ELF: %w", err)
	}
	defer f.Close()
	machine := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[goarch]
	if f.Machine != machine {
		return fmt.Errorf("ELF machine %v, want %v", f.Machine, machine)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return errors.New("dynamically linked (has an interpreter); want static")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		return fmt.Errorf("needs shared libraries %v; want static", libs)
	}
	return nil
}

// The only libraries a macOS binary may load: they exist on every Mac.
var macLibraries = []string{
	"/usr/lib/libSystem.B.dylib",
	"/System/Library/Frameworks/CoreFoundation.framework/Versions/A/CoreFoundation",
	"/System/Library/Frameworks/Security.framework/Versions/A/Security",
}

const (
	lcCodeSignature macho.LoadCmd = 0x1d
	lcBuildVersion  macho.LoadCmd = 0x32
	platformMacOS                 = 1
)

func checkMachO(path, goarch string) error {
	f, err := macho.Open(path)
	if err != nil {
		return fmt.Errorf("not Mach-O: %w", err)
	}
	defer f.Close()
	cpu := map[string]macho.Cpu{"amd64": macho.CpuAmd64, "arm64": macho.CpuArm64}[goarch]
	if f.Cpu != cpu || f.Type != macho.TypeExec {
		return fmt.Errorf("Mach-O %v %v, want %v executable", f.Cpu, f.Type, cpu)
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		return err
	}
	for _, l := range libs {
		if !slices.Contains(macLibraries, l) {
			return fmt.Errorf("loads %s, which is not on every Mac", l)
		}
	}
	if !slices.Contains(libs, macLibraries[0]) {
		return fmt.Errorf("does not load libSystem (%v)", libs)
	}
	signed, platform := false, uint32(0)
	for _, l := range f.Loads {
		raw := l.Raw()
		switch macho.LoadCmd(f.ByteOrder.Uint32(raw)) {
		case lcCodeSignature:
			signed = true
		case lcBuildVersion:
			if len(raw) >= 12 {
				platform = binary.LittleEndian.Uint32(raw[8:])
			}
		}
	}
	if !signed && goarch == "arm64" {
		// Intel Macs run unsigned binaries; Apple silicon does not.
		return errors.New("no code signature (LC_CODE_SIGNATURE): macOS on Apple silicon refuses to run it")
	}
	if platform != platformMacOS {
		return fmt.Errorf("LC_BUILD_VERSION platform %d, want %d (macOS)", platform, platformMacOS)
	}
	return nil
}

func checkVSIX(path, bin string, t target) error {
	z, err := zip.OpenReader(path)
	if err != nil {
		return err
	}
	defer z.Close()
	var bins []*zip.File
	manifest := ""
	for _, f := range z.File {
		if strings.HasPrefix(f.Name, "extension/bin/") && !strings.HasSuffix(f.Name, "/") {
			bins = append(bins, f)
		}
		if f.Name == "extension.vsixmanifest" {
			b, err := readZipFile(f)
			if err != nil {
				return err
			}
			manifest = string(b)
		}
	}
	want := "extension/bin/" + t.vsce + "/donkeyls"
	if len(bins) != 1 || bins[0].Name != want {
		var names []string
		for _, f := range bins {
			names = append(names, f.Name)
		}
		return fmt.Errorf("binaries %v, want exactly [%s]", names, want)
	}
	if bins[0].Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s is not executable in the zip (%v)", want, bins[0].Mode())
	}
	if !strings.Contains(manifest, `TargetPlatform="`+t.vsce+`"`) {
		return fmt.Errorf("extension.vsixmanifest does not say TargetPlatform=%q", t.vsce)
	}
	packed, err := readZipFile(bins[0])
	if err != nil {
		return err
	}
	built, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	if sha256.Sum256(packed) != sha256.Sum256(built) {
		return fmt.Errorf("%s differs from %s", want, bin)
	}
	return nil
}

func readZipFile(f *zip.File) ([]byte, error) {
	r, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var b bytes.Buffer
	_, err = io.Copy(&b, r)
	return b.Bytes(), err
}

func unexpectedVSIX(dist, version string) []string {
	all, _ := filepath.Glob(filepath.Join(dist, "*.vsix"))
	var extra []string
	for _, p := range all {
		known := false
		for _, t := range targets {
			known = known || filepath.Base(p) == "donkeyls-"+t.vsce+"-"+version+".vsix"
		}
		if !known {
			extra = append(extra, filepath.Base(p))
		}
	}
	return extra
}
