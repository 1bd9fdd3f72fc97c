package analyzers

import (
	"path/filepath"
	"strings"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/project"
)

// CodeConfigInvalid: a config the generator crashes on before it writes
// anything.
const CodeConfigInvalid = "config-invalid"

func configAnalyzer() *Analyzer {
	return &Analyzer{
		Name:  "config",
		Doc:   "reports configs the generator crashes on (no plugins list)",
		Codes: []string{CodeConfigInvalid},
		Run:   runConfig,
	}
}

// configCrashes reports whether the generator crashes reading the config:
// it iterates config.plugins unguarded, so an object literal without a
// plugins key gives "undefined is not an object (evaluating 'pattern of
// patterns')", exit 1, nothing written (verified with cli 2.3.0 on
// `export default defineConfig({ outDir, entry })`).
func configCrashes(cfg *project.Config) bool {
	c := cfg.Facts
	if c == nil || c.Range.IsZero() || c.PluginsKnown || len(c.Plugins) > 0 {
		return false
	}
	for _, u := range c.Unknown {
		if u == "plugins" || u == "spread or computed keys" || u == "default export" {
			return false // there may be a plugins list we cannot read
		}
	}
	return true
}

func runConfig(p *Pass) {
	cfg := p.Project.Config()
	if !configCrashes(cfg) {
		return
	}
	f := analysis.Finding{
		Code:     CodeConfigInvalid,
		Severity: analysis.SeverityError,
		Location: analysis.Location{Path: cfg.ConfigPath, Range: configAnchor(cfg)},
		Message: `the config has no "plugins" list: "donkeylabs generate" crashes with "undefined is not an object (evaluating 'pattern of patterns')", exits 1 and writes nothing; ` +
			`add plugins: ["./src/server/plugins/**/index.ts"] (the globs of your plugin folders)`,
	}
	if fix, ok := addPluginsFix(p.Project); ok {
		f.Fixes = append(f.Fixes, fix)
	}
	p.Report(f)
}

// addPluginsFix adds the conventional plugins glob when that folder holds
// files.
func addPluginsFix(proj *project.Project) (analysis.Fix, bool) {
	cfg := proj.Config()
	dir := filepath.Join(proj.Root(), "src", "server", "plugins") + string(filepath.Separator)
	found := false
	for _, path := range proj.Files() {
		if strings.HasPrefix(path, dir) {
			found = true
			break
		}
	}
	cf := proj.File(cfg.ConfigPath)
	if !found || cf == nil || cf.SyntaxErrors {
		return analysis.Fix{}, false
	}
	open := cfg.Facts.Range.Start
	after := analysis.Pos{Offset: open.Offset + 1, Line: open.Line, Col: open.Col + 1}
	return analysis.Fix{
		Title: `Add plugins: ["./src/server/plugins/**/index.ts"]`,
		Edit: analysis.WorkspaceEdit{Edits: []analysis.TextEdit{{
			Path: cfg.ConfigPath, Range: at(after), NewText: "\n  plugins: [\"./src/server/plugins/**/index.ts\"],",
		}}},
	}, true
}
