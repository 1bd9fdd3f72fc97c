// Command donkeyls is the language server, checker and dev-server supervisor
// for @donkeylabs/server projects.
//
//	donkeyls [serve]        language server over stdio
//	donkeyls check [DIR]    report findings, exit 1 on warnings or errors
//	donkeyls dev [DIR]      supervise the dev server
//	donkeyls version
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
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
	case "version", "--version", "-v":
		fmt.Fprintf(stdout, "donkeyls %s\n", version)
		return exitOK
	case "help", "--help", "-h":
		usage(stdout)
		return exitOK
	}
	if len(args[0]) > 0 && args[0][0] == '-' {
		// Flags without a subcommand belong to serve (editors pass --log etc.).
		return runServe(ctx, args, stdin, stdout, stderr)
	}
	fmt.Fprintf(stderr, "donkeyls: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage:
  donkeyls [serve] [--log FILE]                  language server over stdio
  donkeyls check [--format text|json] [DIR]      report findings; exit 1 on warnings or errors
  donkeyls dev [flags] [DIR] [-- COMMAND ARGS]   supervise the dev server
  donkeyls version
`)
}
