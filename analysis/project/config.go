package project

import (
	"encoding/json"
	"path"
	"path/filepath"
	"strings"

	"github.com/donkeyls/donkeyls/analysis/facts"
)

// Defaults the generator applies when the config leaves a key out.
const (
	DefaultOutDir = ".@donkeylabs/server"
	DefaultEntry  = "./src/index.ts"
	DefaultRoutes = "./src/routes/**/schema.ts"
	ConfigFile    = "donkeylabs.config.ts"
)

// Config is the project configuration with the generator's defaults applied.
type Config struct {
	Root string
	// ConfigPath is the config file; "" for the older flat layout.
	ConfigPath string
	// Facts are the config file's facts (nil in the flat layout).
	Facts *facts.Config

	Plugins []string
	// PluginsKnown is false when the plugins value could not be read
	// statically (a variable, a function call): plugin discovery then falls
	// back to every */index.ts under the usual folders and says so.
	PluginsKnown bool
	Routes       string
	OutDir       string
	Entry        string
	Adapter      string
	ClientOutput string

	// Scripts are package.json scripts.
	Scripts map[string]string
	// PackageManager is named by the lockfile: bun, pnpm, yarn or npm; "" when none.
	PackageManager string
}

// OutPath is the absolute output directory.
func (c *Config) OutPath() string { return c.abs(c.OutDir) }

// EntryPath is the absolute server entry.
func (c *Config) EntryPath() string { return c.abs(c.Entry) }

// ClientPath is the absolute client output, or "" when no adapter is set and
// so no client is generated.
func (c *Config) ClientPath() string {
	if c.Adapter == "" {
		return ""
	}
	if c.ClientOutput != "" {
		return c.abs(c.ClientOutput)
	}
	return filepath.Join(c.OutPath(), "client.ts")
}

func (c *Config) abs(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(c.Root, filepath.FromSlash(p))
}

// TypegenCommand is the shell command that regenerates types: the gen:types
// script through the package manager the lockfile names, or the generator
// directly when there is no such script.
func (c *Config) TypegenCommand() string {
	if _, ok := c.Scripts["gen:types"]; ok {
		switch c.PackageManager {
		case "", "bun":
			return "bun run gen:types"
		case "yarn":
			return "yarn run gen:types"
		default:
			return c.PackageManager + " run gen:types"
		}
	}
	return "bunx donkeylabs generate"
}

// PluginScanDirs are the directories the generator scans for plugins, one per
// glob: the part before "**", or without "**" the glob's dirname taken
// literally (so "./src/server/plugins/*/index.ts" scans a folder named "*").
func (c *Config) PluginScanDirs() []string {
	var dirs []string
	for _, g := range c.Plugins {
		dirs = append(dirs, c.abs(PluginScanBase(g)))
	}
	return dirs
}

// PluginScanBase is the generator's reading of one plugins glob.
func PluginScanBase(glob string) string {
	if i := strings.Index(glob, "**"); i >= 0 {
		base := glob[:i]
		if base == "" {
			return "."
		}
		return base
	}
	return path.Dir(glob)
}

// readPackageJSON fills scripts and the package manager.
func (c *Config) readPackageJSON(src Source) {
	c.Scripts = map[string]string{}
	if b, err := src.ReadFile(filepath.Join(c.Root, "package.json")); err == nil {
		var pkg struct {
			Scripts map[string]string `json:"scripts"`
		}
		if json.Unmarshal(b, &pkg) == nil && pkg.Scripts != nil {
			c.Scripts = pkg.Scripts
		}
	}
	for _, lock := range []struct{ file, pm string }{
		{"bun.lock", "bun"}, {"bun.lockb", "bun"}, {"pnpm-lock.yaml", "pnpm"},
		{"yarn.lock", "yarn"}, {"package-lock.json", "npm"},
	} {
		if _, err := src.Stat(filepath.Join(c.Root, lock.file)); err == nil {
			c.PackageManager = lock.pm
			return
		}
	}
}
