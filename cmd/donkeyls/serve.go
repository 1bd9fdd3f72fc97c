package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/donkeyls/donkeyls/lsp"
)

// runServe runs the language server over stdin/stdout. Nothing but protocol
// is written to stdout; the log goes to --log FILE and to the client.
func runServe(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet(serveUsage)
	logPath := fs.String("log", "", "append the server's log to `FILE`")
	// Editors commonly pass --stdio; it is the only transport, so accept it.
	_ = fs.Bool("stdio", true, "talk LSP over stdin/stdout (the default and only transport)")
	pos, code, ok := parseArgs(fs, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "donkeyls serve: unexpected argument %q\n", pos[0])
		return exitUsage
	}
	opts := lsp.Options{Version: version}
	if *logPath != "" {
		f, err := os.OpenFile(*logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			fmt.Fprintf(stderr, "donkeyls serve: opening the log: %v\n", err)
			return exitUsage
		}
		defer f.Close()
		opts.Log = f
	}
	noteInteractive(stdin, stderr)
	return lsp.Serve(ctx, stdin, stdout, opts)
}
