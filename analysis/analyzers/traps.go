package analyzers

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/facts"
	"github.com/donkeyls/donkeyls/analysis/project"
)

// Generator traps: source that is valid TypeScript but that the generator
// reads differently from what the developer meant.
const (
	CodePluginsGlobUnsupported = "plugins-glob-unsupported"
	CodePluginExportSkipped    = "plugin-export-skipped"
	CodePluginNameMisread      = "plugin-name-misread"
)

func trapsAnalyzer() *Analyzer {
	return &Analyzer{Name: "traps", Doc: "explains source the generator will read differently from what it says", Codes: []string{CodePluginsGlobUnsupported, CodePluginExportSkipped, CodePluginNameMisread}, Run: runTraps}
}

func runTraps(p *Pass) {
	proj := p.Project
	cfg := proj.Config()
	if cfg.Facts != nil {
		for i, glob := range cfg.Facts.Plugins {
			if strings.Contains(glob, "**") || i >= len(cfg.Facts.PluginRanges) {
				continue
			}
			fixed := suggestGlob(glob)
			rng := cfg.Facts.PluginRanges[i]
			p.Report(analysis.Finding{
				Code:     CodePluginsGlobUnsupported,
				Severity: analysis.SeverityWarning,
				Location: analysis.Location{Path: cfg.ConfigPath, Range: rng},
				Message: fmt.Sprintf("the generator only understands plugin globs with \"**\": it will look for plugins in the folder %q literally, find none, and write an empty registry; use %q",
					project.PluginScanBase(glob), fixed),
				Fixes: []analysis.Fix{{
					Title: fmt.Sprintf("Use %q", fixed),
					Edit:  analysis.WorkspaceEdit{Edits: []analysis.TextEdit{{Path: cfg.ConfigPath, Range: rng, NewText: strconv.Quote(fixed)}}},
				}},
			})
		}
	}
	var discovered map[string]*project.GenPlugin // built for the first file analysed
	// What the generator makes of a plugin file depends on that file alone
	// (and the config), so its traps are reused while it is unchanged.
	reportEach(p, trapsPassKey{}, pluginFiles(proj), func(a, b **facts.File) bool { return *a == *b }, func(p *Pass, fp **facts.File) {
		f := *fp
		if discovered == nil {
			exp := proj.Expected()
			discovered = make(map[string]*project.GenPlugin, len(exp.Plugins))
			for i := range exp.Plugins {
				discovered[exp.Plugins[i].Path] = &exp.Plugins[i]
			}
		}
		gp := discovered[f.Path]
		p.reportReused(trapsKey{f.Path}, []*facts.File{f}, func(p *Pass) { checkPluginTraps(p, f, gp) })
	})
}

type trapsPassKey struct{}

// isPluginFile: every source file that defines a plugin, tests included:
// the generator's glob also picks up a plugin under __mocks__ or
// __tests__.
func isPluginFile(f *facts.File) bool {
	return f.Kind == facts.KindSource && !f.Missing && len(f.Plugins) > 0
}

// pluginFiles lists the files isPluginFile keeps, in path order; a
// snapshot takes its parent's list with the changed files' new facts when
// they still are (or still are not) plugin files.
func pluginFiles(proj *project.Project) []*facts.File {
	return proj.MemoSince(pluginFilesKey{}, func(a, b *facts.File) bool { return isPluginFile(a) == isPluginFile(b) }, func(prev any, changes []project.Change) any {
		if prev, ok := prev.([]*facts.File); ok {
			return patchFiles(prev, changes)
		}
		var out []*facts.File
		proj.EachFile(func(f *facts.File) {
			if isPluginFile(f) {
				out = append(out, f)
			}
		})
		return out
	}).([]*facts.File)
}

type pluginFilesKey struct{}

type trapsKey struct{ path string }

func checkPluginTraps(p *Pass, f *facts.File, gp *project.GenPlugin) {
	path := f.Path
	inPluginDir := false
	for _, base := range p.Project.Config().PluginScanDirs() {
		if rel, err := filepath.Rel(base, path); err == nil && !strings.HasPrefix(rel, "..") {
			inPluginDir = true
		}
	}
	for _, pl := range f.Plugins {
		if !pl.Exported || pl.ExportName == "" {
			continue
		}
		if inPluginDir && filepath.Base(path) == "index.ts" && (gp == nil || gp.ExportName != pl.ExportName) && !strings.HasSuffix(pl.ExportName, "Plugin") {
			p.Report(analysis.Finding{
				Code:     CodePluginExportSkipped,
				Severity: analysis.SeverityWarning,
				Location: analysis.Location{Path: path, Range: pl.ExportRange},
				Message: fmt.Sprintf("the generator only picks up plugins exported as `export const <name>Plugin = ...`; %s will be left out of the registry (rename it to %sPlugin)",
					pl.ExportName, strings.TrimSuffix(pl.ExportName, "plugin")),
			})
			continue
		}
		if gp == nil || gp.ExportName != pl.ExportName || !pl.NameKnown || gp.Name == pl.Name {
			continue
		}
		folder := filepath.Base(filepath.Dir(path))
		var why, fix string
		switch f.Generator().PluginNameMiss {
		case facts.MissNoDot:
			why = "its regular expression needs a \".\" right after `createPlugin`, and here a line break or space comes first, so it never matches"
			fix = "write the first call on the same line (`createPlugin.withSchema<DB>()`), or name the folder " + strconv.Quote(pl.Name)
		case facts.MissChain:
			why = "the calls between `createPlugin` and `.define` hold characters its regular expression does not allow (only letters, digits, `<>(),` and spaces: an inline type such as `<{ a: string }>` breaks it)"
			fix = "use a named type in the generic, or name the folder " + strconv.Quote(pl.Name)
		case facts.MissNotWord:
			why = "its regular expression only reads names made of letters, digits and underscores"
			fix = "use such a name, or name the folder " + strconv.Quote(pl.Name)
		default:
			why = "its regular expression stops at the first \"}\" inside define({...}), before `name:`"
			fix = "move `name` to the top of define({...})"
		}
		p.Report(analysis.Finding{
			Code:     CodePluginNameMisread,
			Severity: analysis.SeverityWarning,
			Location: analysis.Location{Path: path, Range: pl.NameRange},
			Message: fmt.Sprintf("the generator will register this plugin as %q (its folder), not %q: %s; so ctx.plugins.%s type-checks but is undefined at runtime, where the server uses %q; %s",
				gp.Name, pl.Name, why, folder, pl.Name, fix),
		})
	}
}

// suggestGlob turns "./src/server/plugins/*/index.ts" into
// "./src/server/plugins/**/index.ts".
func suggestGlob(glob string) string {
	if strings.Contains(glob, "/*/") {
		return strings.Replace(glob, "/*/", "/**/", 1)
	}
	dir := strings.TrimSuffix(project.PluginScanBase(glob), "/*")
	return strings.TrimSuffix(dir, "/") + "/**/index.ts"
}
