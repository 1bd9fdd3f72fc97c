// Command donkeyls is the language server, checker and dev-server supervisor
// for @donkeylabs/server projects.
//
//	donkeyls [serve]        language server over stdio
//	donkeyls check [DIR]    report findings, exit 1 on warnings or errors
//	donkeyls dev [DIR]      supervise the dev server
//	donkeyls version
//	donkeyls help [COMMAND]
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// Exit codes shared by every subcommand.
const (
	exitOK       = 0
	exitFindings = 1
	exitUsage    = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal cancels the work; the default handling comes back at
	// once, so a second Ctrl-C ends a run that does not stop in time.
	go func() {
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return runServe(ctx, nil, stdin, stdout, stderr)
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], stdin, stdout, stderr)
	case "check":
		return runCheck(ctx, args[1:], stdout, stderr)
	case "dev":
		return runDev(ctx, args[1:], stdout, stderr)
	case "version":
		return runVersion(args[1:], stdout, stderr)
	case "--version", "-version", "-v":
		return runVersion(nil, stdout, stderr)
	case "help", "--help", "-help", "-h":
		return runHelp(ctx, args[1:], stdout, stderr)
	}
	if strings.HasPrefix(args[0], "-") {
		// Flags without a subcommand belong to serve (editors pass --stdio, --log).
		return runServe(ctx, args, stdin, stdout, stderr)
	}
	fmt.Fprintf(stderr, "donkeyls: unknown command %q\n", args[0])
	fmt.Fprintln(stderr, `run "donkeyls help" for the commands`)
	return exitUsage
}

// runHelp prints the top-level usage, or a command's own: "help check" is
// exactly "check -h".
func runHelp(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 0:
		topUsage(stdout)
		return exitOK
	case len(args) > 1:
		fmt.Fprintln(stderr, "donkeyls help: name one command, e.g. donkeyls help check")
		return exitUsage
	}
	for _, c := range subcommands() {
		if c.name == args[0] {
			return run(ctx, []string{c.name, "-h"}, nil, stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "donkeyls help: unknown command %q\n", args[0])
	fmt.Fprintln(stderr, `run "donkeyls help" for the commands`)
	return exitUsage
}

func runVersion(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet(versionUsage)
	pos, code, ok := parseArgs(fs, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "donkeyls version: unexpected argument %q\n", pos[0])
		return exitUsage
	}
	fmt.Fprintf(stdout, "donkeyls %s\n", version)
	return exitOK
}
