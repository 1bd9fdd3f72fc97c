package project

import (
	"path/filepath"
	"strings"
)

// The generator and the server disagree on which files of a plugin's
// migrations folder are migrations (checked with server 2.5.1, cli 2.3.0):
// the generator runs them with Kysely's file provider, which takes .js, .mjs,
// .ts and .mts (never .d.ts); the server imports only .ts files. Both sort by
// name.

// GeneratorRunsMigration reports whether the generator runs the file named
// name when it builds a plugin's schema.ts.
func GeneratorRunsMigration(name string) bool {
	switch filepath.Ext(name) {
	case ".js", ".mjs", ".mts":
		return true
	case ".ts":
		return !strings.HasSuffix(name, ".d.ts")
	}
	return false
}

// ServerRunsMigration reports whether the server imports the file named name
// from a plugin's migrations folder at start.
func ServerRunsMigration(name string) bool {
	return filepath.Ext(name) == ".ts" && !strings.HasSuffix(name, ".d.ts")
}

// isMigrationScript reports whether path is a JavaScript file in a folder
// named migrations: not TypeScript, but the generator runs it.
func isMigrationScript(path string) bool {
	switch filepath.Ext(path) {
	case ".js", ".mjs":
		return filepath.Base(filepath.Dir(path)) == "migrations"
	}
	return false
}

// IsExpected reports whether the generator writes path for this project
// (an output, or a plugin's schema.ts).
func (p *Project) IsExpected(path string) bool {
	_, ok := p.expected[path]
	return ok
}
