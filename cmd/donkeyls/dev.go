package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/internal/ossource"
	"github.com/donkeyls/donkeyls/reload/classify"
	"github.com/donkeyls/donkeyls/reload/control"
	"github.com/donkeyls/donkeyls/reload/supervisor"
)

// exitDevFailed: supervision could not begin (another supervisor, no
// project, an unwatchable tree).
const exitDevFailed = 1

// runDev supervises the project's dev server until interrupted.
//
//	donkeyls dev [--typegen CMD] [--grace DURATION] [--port N] [--no-hot-plugins] [DIR] [-- COMMAND ARGS...]
func runDev(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var command []string
	for i, a := range args {
		if a == "--" {
			command = args[i+1:]
			args = args[:i]
			break
		}
	}
	fs := newFlagSet(devUsage)
	typegenCmd := fs.String("typegen", "", "typegen shell command, run with sh -c in the project root (default: the gen:types script, or "+project.GeneratorCommand+")")
	grace := fs.Duration("grace", supervisor.DefaultGrace, "how long the server gets to exit after SIGTERM before SIGKILL")
	debounce := fs.Duration("debounce", 100*time.Millisecond, "quiet time that ends a burst of file changes")
	port := fs.Int("port", 0, "the port the dev server listens on, to wait for it to be free and ready (default: $PORT)")
	noHot := fs.Bool("no-hot-plugins", false, "restart for every plugin edit, instead of rebuilding a plugin's service in the running server when only its service function changed")
	force := fs.Bool("restart-on-typegen-failure", false, "restart even when typegen failed (the server then runs with stale types)")
	cacheOpts := addCacheFlags(fs)
	pos, code, ok := parseArgs(fs, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) > 1 {
		fmt.Fprintf(stderr, "donkeyls dev: at most one directory (got %q; put the dev command after --)\n", pos)
		return exitUsage
	}
	if *grace <= 0 || *debounce <= 0 {
		fmt.Fprintln(stderr, "donkeyls dev: --grace and --debounce must be positive")
		return exitUsage
	}
	dir := "."
	if len(pos) == 1 {
		dir = pos[0]
	}
	root, err := devRoot(ctx, dir)
	if err != nil {
		fmt.Fprintf(stderr, "donkeyls dev: %v\n", err)
		return exitUsage
	}

	// SIGHUP (the terminal went away) must stop the server group too.
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGHUP)
	defer stop()

	var cache project.FactsCache
	if c, err := cacheOpts.open(); err == nil && c != nil {
		defer c.Close()
		cache = c
	}
	cls := classify.New(ctx, root, cache)
	var cfg *project.Config
	if p := cls.Project(); p != nil {
		cfg = p.Config()
	} else {
		fmt.Fprintf(stderr, "donkeyls dev: the project cannot be analyzed (%v); every change will restart the server\n", cls.Err())
	}
	if len(command) == 0 {
		if cfg == nil {
			fmt.Fprintln(stderr, "donkeyls dev: no entry is known; give the dev command after --, e.g. donkeyls dev -- bun run src/server/index.ts")
			return exitUsage
		}
		if _, err := os.Stat(cfg.EntryPath()); err != nil {
			fmt.Fprintf(stderr, "donkeyls dev: the server entry %s does not exist (set entry in donkeylabs.config.ts, or give the dev command after --)\n", cfg.EntryPath())
			return exitUsage
		}
		command = supervisor.DefaultCommand(root, cfg.EntryPath())
	}
	*typegenCmd = project.TypegenCommand(*typegenCmd, cfg)
	if *port == 0 {
		if p, err := strconv.Atoi(os.Getenv("PORT")); err == nil && p > 0 {
			*port = p
		}
	}
	var scripts map[string]string
	if cfg != nil {
		scripts = cfg.Scripts
	}

	sup, err := supervisor.New(supervisor.Options{
		Root:                    root,
		Command:                 command,
		DevServer:               supervisor.DevServerOf(command, scripts),
		Typegen:                 *typegenCmd,
		RestartOnTypegenFailure: *force,
		Grace:                   *grace,
		Port:                    *port,
		Debounce:                *debounce,
		Classifier:              cls,
		HotPlugins:              !*noHot,
		Stdout:                  stdout,
		Stderr:                  stderr,
	})
	if err != nil {
		fmt.Fprintf(stderr, "donkeyls dev: %v\n", err)
		return exitUsage
	}
	if err := sup.Run(ctx); err != nil {
		if errors.Is(err, control.ErrAlreadyRunning) {
			fmt.Fprintf(stderr, "donkeyls dev: %v; stop it first (or use its terminal)\n", err)
		} else {
			fmt.Fprintf(stderr, "donkeyls dev: %v\n", err)
		}
		return exitDevFailed
	}
	return exitOK
}

// devRoot finds the one project dir names.
func devRoot(ctx context.Context, dir string) (string, error) {
	abs, err := existingDir(dir)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(abs, project.ConfigFile)); err == nil {
		return abs, nil
	}
	roots, err := project.Discover(ctx, ossource.Source{}, abs)
	if err != nil {
		if errors.Is(err, project.ErrNoProject) {
			return "", fmt.Errorf("%s holds no donkeylabs project (no donkeylabs.config.ts below it)", dir)
		}
		return "", err
	}
	if len(roots) > 1 {
		return "", fmt.Errorf("%s holds %d projects; name one:\n  %s", dir, len(roots), strings.Join(roots, "\n  "))
	}
	return roots[0], nil
}
