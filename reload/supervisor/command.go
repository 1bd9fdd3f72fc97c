package supervisor

import (
	"path/filepath"
	"strings"
)

// ReloadsRoutes reports whether a dev command reloads route code in place,
// so a route edit needs no restart: `bun --hot`, or a Vite dev server (the
// SvelteKit adapter). scripts resolves `bun run dev` and the like through
// package.json.
func ReloadsRoutes(argv []string, scripts map[string]string) bool {
	for _, a := range argv {
		if a == "--hot" || filepath.Base(a) == "vite" {
			return true
		}
	}
	// `bun run dev`, `npm run dev`, `pnpm dev`: look at the script itself.
	if len(argv) >= 2 {
		name := argv[len(argv)-1]
		if s, ok := scripts[name]; ok {
			return strings.Contains(s, "--hot") || strings.Contains(s, "vite")
		}
	}
	return false
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
