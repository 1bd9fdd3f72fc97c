package supervisor

import (
	"path/filepath"
	"strings"
)

// DevServer is what a dev command reloads by itself when a file the server
// imported is saved; donkeyls dev restarts the server for the rest. Each was
// observed with server 2.5.1 under Bun 1.4.5 (docs/dev.md).
type DevServer int

const (
	// PlainServer reloads nothing: `bun run src/server/index.ts`.
	PlainServer DevServer = iota
	// BunWatch is `bun --watch`: every save of an imported file starts the
	// program again inside the same process (the pid stays), so route and
	// plugin code both take effect, with state built afresh.
	BunWatch
	// BunHot is `bun --hot`: every save of an imported file runs the entry
	// again in place, so route and plugin code both take effect, but the
	// servers the earlier runs built keep their background services: after
	// two saves a cron job scheduled in a plugin's init fires three times.
	BunHot
	// ViteAdapter is `vite dev` with the SvelteKit adapter's plugin: it
	// reloads no server code. Its route reload matches no file name (its
	// glob-to-regexp conversion turns `**/routes/**/*.ts` into a pattern that
	// needs literal dots), and would call AppServer methods that do not
	// exist (reloadRouter, rebuildRouteMap).
	ViteAdapter
)

// DevServerOf tells which dev server argv runs; scripts resolves `bun run
// dev` and the like through package.json.
func DevServerOf(argv []string, scripts map[string]string) DevServer {
	if d, ok := devServerOfWords(argv); ok {
		return d
	}
	// `bun run dev`, `npm run dev`, `pnpm dev`: look at the script itself.
	if len(argv) >= 2 {
		if s, ok := scripts[argv[len(argv)-1]]; ok {
			if d, ok := devServerOfWords(strings.Fields(s)); ok {
				return d
			}
		}
	}
	return PlainServer
}

func devServerOfWords(words []string) (DevServer, bool) {
	for _, w := range words {
		switch {
		case w == "--watch":
			return BunWatch, true
		case w == "--hot":
			return BunHot, true
		case filepath.Base(w) == "vite":
			return ViteAdapter, true
		}
	}
	return PlainServer, false
}

// ReloadsRoutes reports whether a route edit takes effect with no restart.
func (d DevServer) ReloadsRoutes() bool { return d == BunWatch || d == BunHot }

// ReloadsPlugins reports whether the dev command itself makes a plugin edit
// take effect cleanly: only `bun --watch`, which starts afresh. Under
// `bun --hot` the new code runs too, but beside the earlier runs'
// background services, so donkeyls dev restarts the server.
func (d DevServer) ReloadsPlugins() bool { return d == BunWatch }

func (d DevServer) String() string {
	switch d {
	case BunWatch:
		return "bun --watch"
	case BunHot:
		return "bun --hot"
	case ViteAdapter:
		return "vite dev with the SvelteKit adapter"
	}
	return "a dev command that reloads nothing"
}

// DefaultCommand is `bun run <entry>`, the entry relative to root.
func DefaultCommand(root, entry string) []string {
	if r, err := filepath.Rel(root, entry); err == nil && !strings.HasPrefix(r, "..") {
		entry = "./" + filepath.ToSlash(r)
	}
	return []string{"bun", "run", entry}
}

// Describe renders argv for a log line.
func Describe(argv []string) string {
	quoted := make([]string, len(argv))
	for i, a := range argv {
		if a == "" || strings.ContainsAny(a, " \t\"'$\\") {
			quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		} else {
			quoted[i] = a
		}
	}
	return strings.Join(quoted, " ")
}
