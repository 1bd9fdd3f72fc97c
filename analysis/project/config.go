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

// Config is the project configuration: what donkeylabs.config.ts says,
// with the generator's defaults applied to every key it leaves out, and what
// package.json says. The keys are facts.Config's, declared once there.
type Config struct {
	Root string
	// ConfigPath is the config file; "" for the older flat layout.
	ConfigPath string
	// Facts are the config file's facts as written (nil in the flat
	// layout): findings about the file itself need to know which keys it
	// sets and where.
	Facts *facts.Config
	// Config is the configuration in effect: Facts with the defaults
	// applied (the flat layout's own defaults when there is no config
	// file). When its plugins value could not be read statically
	// (PluginsKnown false), Plugins falls back to the conventional folder,
	// so plugin discovery still helps and says so.
	facts.Config

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

// GeneratorCommand runs the generator itself: what regenerates types in a
// project without a gen:types script.
const GeneratorCommand = "bunx donkeylabs generate"

// TypegenCommand is the shell command that regenerates types, decided here
// for the language server and `donkeyls dev` alike: configured when the
// user chose one (the typegen.command setting, dev's --typegen), else the
// gen:types script through the package manager the lockfile names, else the
// generator directly. cfg is nil when the project could not be read.
func TypegenCommand(configured string, cfg *Config) string {
	if configured != "" {
		return configured
	}
	if cfg == nil {
		return GeneratorCommand
	}
	if _, ok := cfg.Scripts["gen:types"]; ok {
		switch cfg.PackageManager {
		case "", "bun":
			return "bun run gen:types"
		case "yarn":
			return "yarn run gen:types"
		default:
			return cfg.PackageManager + " run gen:types"
		}
	}
	return GeneratorCommand
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
	if before, _, ok := strings.Cut(glob, "**"); ok {
		base := before
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
