package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/internal/gctune"
	"github.com/donkeyls/donkeyls/lsp"
)

// runServe runs the language server over stdin/stdout. Nothing but protocol
// is written to stdout; the log goes to --log FILE and to the client.
func runServe(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet(serveUsage)
	logPath := fs.String("log", "", "append the server's log to `FILE`")
	// Editors commonly pass --stdio; it is the only transport, so accept it.
	_ = fs.Bool("stdio", true, "talk LSP over stdin/stdout (the default and only transport)")
	cacheOpts := addCacheFlags(fs)
	bounds := project.DefaultDiscoverOptions()
	fs.IntVar(&bounds.MaxDirs, "max-dirs", bounds.MaxDirs, "stop searching a workspace folder for projects after `N` directories")
	pos, code, ok := parseArgs(fs, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "donkeyls serve: unexpected argument %q\n", pos[0])
		return exitUsage
	}
	engine := lsp.AnalysisEngine{Bounds: bounds}
	if cache, err := cacheOpts.open(); err == nil && cache != nil {
		defer cache.Close()
		engine.Cache = cache
	}
	// Indexing's garbage (file contents, parser buffers) would otherwise
	// stay resident for minutes while the runtime scavenges it; after it the
	// collector is paced for keystrokes (see internal/gctune). Until the
	// first load ends it is paced for indexing, which allocates what it
	// keeps.
	gc := gctune.DefaultPolicy()
	stopIndexing := gc.Indexing()
	defer stopIndexing()
	idleCtx, stopIdle := context.WithCancel(ctx)
	defer stopIdle()
	go gc.Idle(idleCtx)
	opts := lsp.Options{Version: version, Engine: engine, AfterLoad: func() {
		stopIndexing()
		gc.Steady()
	}}
	if *logPath != "" {
		f, err := os.OpenFile(*logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			fmt.Fprintf(stderr, "donkeyls serve: opening the log: %v\n", err)
			return exitUsage
		}
		defer f.Close()
		opts.Log = f
	}
	// A client that closes our stdout must end the session through the
	// write error (EPIPE) and the usual teardown, which reaps typegen
	// children; by default the runtime kills the process by SIGPIPE first.
	signal.Ignore(syscall.SIGPIPE)
	noteInteractive(stdin, stderr)
	return lsp.Serve(ctx, stdin, stdout, opts)
}
