package main

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/donkeyls/donkeyls/internal/fixture"
	"github.com/donkeyls/donkeyls/internal/testenv"
)

// Every way of asking for help prints that command's usage on stdout, exits
// 0 and leaves stderr empty, so `donkeyls check -h | less` works.
func TestHelpGoesToStdoutAndExitsZero(t *testing.T) {
	cases := []struct {
		args []string
		want string // the first line of the usage
	}{
		{[]string{"-h"}, "donkeyls: language server"},
		{[]string{"--help"}, "donkeyls: language server"},
		{[]string{"help"}, "donkeyls: language server"},
		{[]string{"check", "-h"}, "usage: donkeyls check [flags] [DIR]"},
		{[]string{"check", "--help"}, "usage: donkeyls check [flags] [DIR]"},
		{[]string{"check", "some/project", "-help"}, "usage: donkeyls check [flags] [DIR]"},
		{[]string{"help", "check"}, "usage: donkeyls check [flags] [DIR]"},
		{[]string{"serve", "--help"}, "usage: donkeyls serve [flags]"},
		{[]string{"help", "serve"}, "usage: donkeyls serve [flags]"},
		{[]string{"--log", "x.log", "-h"}, "usage: donkeyls serve [flags]"},
		{[]string{"dev", "-h"}, "usage: donkeyls dev [flags] [DIR] [-- COMMAND ARGS...]"},
		{[]string{"help", "dev"}, "usage: donkeyls dev [flags] [DIR] [-- COMMAND ARGS...]"},
		{[]string{"version", "-h"}, "usage: donkeyls version"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			code, out, errOut := runMain(t, c.args...)
			if code != exitOK || errOut != "" {
				t.Fatalf("exit %d, stderr %q; want 0 and nothing", code, errOut)
			}
			if first, _, _ := strings.Cut(out, "\n"); first != c.want && !strings.HasPrefix(first, c.want) {
				t.Errorf("first line %q, want %q\n%s", first, c.want, out)
			}
		})
	}
}

// "help check" is "check -h", and both list the command's flags the same way
// serve's and dev's do.
func TestCommandUsagesAgree(t *testing.T) {
	_, viaHelp, _ := runMain(t, "help", "check")
	_, viaFlag, _ := runMain(t, "check", "-h")
	if viaHelp != viaFlag {
		t.Errorf("help check:\n%s\ncheck -h:\n%s", viaHelp, viaFlag)
	}
	if !strings.Contains(viaFlag, "\nflags:\n") || !strings.Contains(viaFlag, "\n  -format text|json\n") {
		t.Errorf("check usage lacks its flags:\n%s", viaFlag)
	}
	_, serve, _ := runMain(t, "serve", "--help")
	for _, want := range []string{"usage: donkeyls serve [flags]\n\n", "\nflags:\n", "\n  -log FILE\n", "  -stdio\n"} {
		if !strings.Contains(serve, want) {
			t.Errorf("serve usage lacks %q:\n%s", want, serve)
		}
	}
	if strings.Contains(serve, "Usage of") {
		t.Errorf("serve usage is the flag package's default:\n%s", serve)
	}
	_, top, _ := runMain(t, "help")
	for _, c := range subcommands() {
		if !strings.Contains(top, "\n  "+c.name+" ") {
			t.Errorf("top-level usage does not list %s:\n%s", c.name, top)
		}
	}
}

// Flags after DIR mean what they mean before it.
func TestCheckFlagsAfterDirectory(t *testing.T) {
	dir := fixture.Project(t, "shop-stale")
	var outputs []string
	for _, args := range [][]string{
		{"check", "--format", "json", dir},
		{"check", dir, "--format", "json"},
		{"check", dir, "--format=json"},
		{"check", dir, "-format", "json"},
	} {
		code, out, errOut := runMain(t, args...)
		if code != exitFindings {
			t.Fatalf("%q: exit %d, want 1\n%s", args, code, errOut)
		}
		var doc struct{ Findings []json.RawMessage }
		if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Findings) == 0 {
			t.Fatalf("%q: not the JSON findings (%v):\n%s", args, err, out)
		}
		outputs = append(outputs, out)
	}
	for i, out := range outputs[1:] {
		if out != outputs[0] {
			t.Errorf("variant %d printed something else than flags-first", i+1)
		}
	}
}

// A missing directory is named once (it used to be "reading X: stat X: ...").
func TestMissingDirectoryNamedOnce(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	for _, cmd := range []string{"check", "dev"} {
		code, out, errOut := runMain(t, cmd, missing)
		if code != exitUsage {
			t.Errorf("%s: exit %d, want 2", cmd, code)
		}
		if n := strings.Count(errOut, "nope"); n != 1 || !strings.Contains(errOut, "no such file or directory") {
			t.Errorf("%s: the directory is named %d times: %q", cmd, n, errOut)
		}
		if out != "" {
			t.Errorf("%s: stdout %q", cmd, out)
		}
	}
	file := filepath.Join(testenv.RepoRoot(), "README.md")
	if code, _, errOut := runMain(t, "check", file); code != exitUsage || errOut != "donkeyls check: "+file+" is not a directory\n" {
		t.Errorf("a file as DIR: exit %d, %q", code, errOut)
	}
}

func TestUsageMistakes(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, `donkeyls: unknown command "frobnicate"`},
		{[]string{"help", "frobnicate"}, `donkeyls help: unknown command "frobnicate"`},
		{[]string{"help", "check", "dev"}, "name one command"},
		{[]string{"check", "--format"}, "flag needs an argument: -format"},
		{[]string{"check", "a", "b"}, `at most one directory (got ["a" "b"])`},
		{[]string{"serve", "extra"}, `donkeyls serve: unexpected argument "extra"`},
		{[]string{"version", "extra"}, `donkeyls version: unexpected argument "extra"`},
		{[]string{"dev", "--nope"}, `donkeyls dev: flag provided but not defined: -nope`},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			code, out, errOut := runMain(t, c.args...)
			if code != exitUsage || out != "" {
				t.Errorf("exit %d, stdout %q; want 2 and nothing", code, out)
			}
			if !strings.Contains(errOut, c.want) {
				t.Errorf("stderr %q lacks %q", errOut, c.want)
			}
		})
	}
}

func TestSplitArgs(t *testing.T) {
	fs := newFlagSet(checkUsage)
	fs.String("format", "", "")
	fs.Bool("quiet", false, "")
	cases := []struct {
		args, flags, positional []string
	}{
		{[]string{"dir", "--format", "json"}, []string{"--format", "json"}, []string{"dir"}},
		{[]string{"--quiet", "dir"}, []string{"--quiet"}, []string{"dir"}},
		{[]string{"--format=json", "dir", "-quiet=false"}, []string{"--format=json", "-quiet=false"}, []string{"dir"}},
		// After "--" everything is an argument, even what looks like a flag.
		{[]string{"--", "--format", "x"}, nil, []string{"--format", "x"}},
		// A value that looks like "--" is still the flag's value.
		{[]string{"--format", "--", "dir"}, []string{"--format", "--"}, []string{"dir"}},
		// "-" alone is an argument; an unknown flag is left for Parse to refuse.
		{[]string{"-", "--what", "dir"}, []string{"--what"}, []string{"-", "dir"}},
	}
	for _, c := range cases {
		flags, pos := splitArgs(fs, c.args)
		if !reflect.DeepEqual(flags, c.flags) || !reflect.DeepEqual(pos, c.positional) {
			t.Errorf("splitArgs(%q) = %q, %q; want %q, %q", c.args, flags, pos, c.flags, c.positional)
		}
	}
}
