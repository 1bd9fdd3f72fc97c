package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// commandUsage is what one subcommand's -h prints: its synopsis, a paragraph
// saying what it does, and its flags.
type commandUsage struct {
	name     string // "check"
	synopsis string // what follows "donkeyls check": "[flags] [DIR]"
	summary  string // one line for the top-level usage
	detail   string // printed under the synopsis; may be empty
}

// The subcommands, in the order the top-level usage lists them.
var (
	serveUsage = commandUsage{
		name:     "serve",
		synopsis: "[flags]",
		summary:  "language server over stdin/stdout (what a bare `donkeyls` runs)",
		detail: `Speaks the Language Server Protocol over stdin and stdout; editors start it.
Nothing but protocol is written to stdout; the log goes to the client and,
with --log, to a file.`,
	}
	checkUsage = commandUsage{
		name:     "check",
		synopsis: "[flags] [DIR]",
		summary:  "report the findings of every project under DIR; exit 1 on warnings or errors",
		detail: `Finds every donkeylabs project under DIR (default: the current directory;
node_modules and .git are skipped) and prints its findings.
Exit status: 0 nothing at warning level or above, 1 something is,
2 usage or I/O errors (a missing directory, a directory with no project).`,
	}
	devUsage = commandUsage{
		name:     "dev",
		synopsis: "[flags] [DIR] [-- COMMAND ARGS...]",
		summary:  "run the dev server; restart or regenerate types only when an edit needs it",
		detail: `Runs COMMAND (default: bun run <entry from donkeylabs.config.ts>) in the
project root, watches the project and restarts the server or regenerates
types only when an edit needs it. When COMMAND is bun running the entry, an
edit confined to a plugin's service function is applied in the running
server instead of restarting it (--no-hot-plugins turns that off).`,
	}
	versionUsage = commandUsage{
		name:     "version",
		synopsis: "",
		summary:  "print the version",
	}
)

func subcommands() []commandUsage {
	return []commandUsage{serveUsage, checkUsage, devUsage, versionUsage}
}

func topUsage(w io.Writer) {
	var b strings.Builder
	b.WriteString(`donkeyls: language server, checker and dev-server supervisor for
@donkeylabs/server projects.

usage: donkeyls <command> [flags] [arguments]

commands:
`)
	for _, c := range subcommands() {
		fmt.Fprintf(&b, "  %-8s %s\n", c.name, c.summary)
	}
	b.WriteString(`
Run "donkeyls help <command>" (or "donkeyls <command> -h") for a command's flags.
Flags may come before or after the arguments.
`)
	io.WriteString(w, b.String())
}

// newFlagSet returns the flag set of one subcommand. Its Usage prints the
// command's usage to the flag set's output, which parseArgs points at stdout
// for -h and at stderr after a mistake.
func newFlagSet(u commandUsage) *flag.FlagSet {
	fs := flag.NewFlagSet(u.name, flag.ContinueOnError)
	fs.Usage = func() { printCommandUsage(fs.Output(), u, fs) }
	return fs
}

func printCommandUsage(w io.Writer, u commandUsage, fs *flag.FlagSet) {
	synopsis := "donkeyls " + u.name
	if u.synopsis != "" {
		synopsis += " " + u.synopsis
	}
	fmt.Fprintf(w, "usage: %s\n", synopsis)
	if u.detail != "" {
		fmt.Fprintf(w, "\n%s\n", u.detail)
	}
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		fmt.Fprint(w, "\nflags:\n")
		out := fs.Output()
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(out)
	}
}

// parseArgs parses fs's flags wherever they appear among args, before or
// after the positional arguments (as the go command and gopls do), and returns
// the positional ones. Everything after a "--" is positional.
//
// When ok is false the caller returns code: 0 after -h, -help or --help
// printed the usage on stdout, 2 after a bad flag was reported on stderr.
func parseArgs(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (positional []string, code int, ok bool) {
	flags, positional := splitArgs(fs, args)
	// The flag package reports errors itself and then calls Usage; both are
	// silenced here so that help goes to stdout and mistakes to stderr.
	fs.SetOutput(io.Discard)
	err := fs.Parse(flags)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(stdout)
		fs.Usage()
		return nil, exitOK, false
	case err != nil:
		fmt.Fprintf(stderr, "donkeyls %s: %v\n", fs.Name(), err)
		fmt.Fprintf(stderr, "run \"donkeyls help %s\" for usage\n", fs.Name())
		return nil, exitUsage, false
	}
	return append(positional, fs.Args()...), 0, true
}

// splitArgs separates flags (with the values of those that take one) from
// positional arguments the way the flag package reads a single flag, so that
// a flag after DIR means the same as before it.
func splitArgs(fs *flag.FlagSet, args []string) (flags, positional []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return flags, append(positional, args[i+1:]...)
		}
		if len(a) < 2 || a[0] != '-' {
			positional = append(positional, a)
			continue
		}
		flags = append(flags, a)
		if strings.Contains(a, "=") {
			continue
		}
		f := fs.Lookup(strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-"))
		if f == nil || isBoolFlag(f) || i+1 == len(args) {
			continue // unknown flags are left for Parse to report
		}
		i++
		flags = append(flags, args[i])
	}
	return flags, positional
}

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// noteInteractive tells a person who ran the language server on a terminal
// what it is waiting for; editors connect pipes, never a terminal, so they
// never see it.
func noteInteractive(stdin io.Reader, stderr io.Writer) {
	f, ok := stdin.(*os.File)
	if !ok || !isTerminal(f) {
		return
	}
	fmt.Fprint(stderr, `donkeyls is a language server: it is waiting for LSP messages on stdin, as an
editor sends them. Press Ctrl-C to stop. For the commands (check, dev, ...),
run "donkeyls help".
`)
}

// existingDir resolves the directory a command was given. When it is missing
// or not a directory the error names it once, as the user typed it.
func existingDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("%s: %w", dir, err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		if pe, ok := errors.AsType[*fs.PathError](err); ok {
			err = pe.Err // it names the path again, as "stat /abs/dir"
		}
		return "", fmt.Errorf("%s: %w", dir, err)
	}
	if !st.IsDir() {
		return "", fmt.Errorf("%s is not a directory", dir)
	}
	return abs, nil
}
