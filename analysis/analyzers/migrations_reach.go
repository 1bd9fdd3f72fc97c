package analyzers

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/names"
	"github.com/donkeyls/donkeyls/analysis/project"
)

// CodeMigrationsUnreachable: the server looks a plugin's migrations up by
// its `name`, never by where its file is (core.ts, server 2.5.1).
const CodeMigrationsUnreachable = "migrations-unreachable"

// CodePluginRenameRerunsMigrations: the server records applied migrations
// by plugin name, so a plugin whose name differs from HEAD's runs its
// committed migrations again on every database that already ran them.
const CodePluginRenameRerunsMigrations = "plugin-rename-reruns-migrations"

// migrationDirs are the folders the server tries, in order, relative to its
// working directory; it runs the .ts files of the first one that exists.
var migrationDirs = []string{
	"src/server/plugins/%s/migrations",
	"src/plugins/%s/migrations",
	"plugins/%s/migrations",
	"examples/basic-server/src/plugins/%s/migrations",
}

func migrationsReachAnalyzer() *Analyzer {
	return &Analyzer{
		Name:  "migrations-reach",
		Doc:   "checks that the server finds each plugin's migrations where it looks for them (under folders named after the plugin's name), and that a renamed plugin does not run its committed migrations again",
		Codes: []string{CodeMigrationsUnreachable, CodePluginRenameRerunsMigrations},
		Run:   runMigrationsReach,
	}
}

func runMigrationsReach(p *Pass) {
	dirs := migrationFolders(p.Project).dirs
	if len(dirs) == 0 {
		return
	}
	m := pluginModelOf(p.Project)
	root := p.Project.Root()
	// The first folder the server tries, as a prefix of plugin folders:
	// the usual layout is decided with no allocation and no system call.
	first := filepath.Join(root, "src", "server", "plugins") + string(filepath.Separator)
	recorded := p.Project.RecordedMigrations()
	for _, d := range m.defs {
		name := d.Name()
		if name == "" || strings.IndexByte(name, '/') >= 0 || strings.IndexByte(name, '\\') >= 0 || name == "." || name == ".." {
			continue
		}
		pluginDir := cleanDir(d.Path)
		n := dirs[pluginDir]
		if n == 0 {
			continue
		}
		if m.regsKnown && len(m.registered[d]) == 0 {
			continue // never registered: unregistered-plugin says its migrations never run
		}
		rec, renamed := recorded[d.Path]
		// At HEAD the server must have found them under that name, or no
		// database ran them.
		renamed = renamed && rec.Name != "" && rec.Name != name && renameReaches(root, rec.Name, filepath.Join(rec.HeadDir, "migrations"))
		if strings.HasPrefix(pluginDir, first) && pluginDir[len(first):] == name {
			if renamed {
				reportRenamed(p, m, d, rec, filepath.Join(pluginDir, "migrations"))
			}
			continue
		}
		own := filepath.Join(pluginDir, "migrations")
		tried := make([]string, len(migrationDirs))
		for i, pat := range migrationDirs {
			tried[i] = filepath.Join(root, filepath.FromSlash(fmt.Sprintf(pat, name)))
		}
		if reaches(p.Project.Source(), tried, own) {
			if renamed {
				reportRenamed(p, m, d, rec, own)
			}
			continue
		}
		rel := make([]string, len(tried))
		for i, t := range tried {
			rel[i] = p.Project.Rel(t)
		}
		fix := fmt.Sprintf("move the plugin to a folder named %q under one of those", name)
		if folder := filepath.Base(pluginDir); renameReaches(root, folder, own) {
			// Renaming helps only where the folder already sits where the
			// server looks, under its own name.
			fix += fmt.Sprintf(", or rename the plugin to %q", folder)
		}
		if renamed {
			// Not a rerun today (nothing runs), but the move this finding
			// suggests would make it one.
			fix += fmt.Sprintf("; it was named %q at HEAD, and databases built from the committed code recorded its migrations under that name, so moving the folder instead of renaming it back makes every such database run them again", rec.Name)
		}
		var fixes []analysis.Fix
		if renamed && renameReaches(root, rec.Name, own) && len(m.byName[rec.Name]) == 0 {
			if fix, ok := keepNameFix(p, d, rec.Name); ok {
				fixes = append(fixes, fix)
			}
		}
		p.Report(analysis.Finding{
			Fixes:    fixes,
			Code:     CodeMigrationsUnreachable,
			Severity: analysis.SeverityError,
			Location: d.NameLoc(),
			Message: fmt.Sprintf("the server never runs plugin %q's migrations in %s: it looks them up by the plugin's name, relative to the directory it is started in, in %s (the first that exists), so its tables are never created and queries fail with \"no such table\"; %s",
				name, p.Project.Rel(own), strings.Join(rel, ", "), fix),
			Related: []analysis.Related{{
				Location: analysis.Location{Path: d.Path, Range: d.Def.DefineRange},
				Message:  fmt.Sprintf("its %d migration file(s) are in %s", n, p.Project.Rel(own)),
			}},
		})
	}
}

// renameReaches reports whether a plugin named folder would have its
// migrations found in own: own is one of the places the server looks for
// that name.
func renameReaches(root, folder, own string) bool {
	if folder == "" || strings.ContainsAny(folder, ". ") {
		return false
	}
	for _, pat := range migrationDirs {
		if filepath.Join(root, filepath.FromSlash(fmt.Sprintf(pat, folder))) == own {
			return true
		}
	}
	return false
}

// reaches reports whether the first existing folder of tried is own, as
// the file system resolves them (a symlinked plugin folder counts). Only
// plugins outside the first folder get here, so the common layout costs
// no system call.
func reaches(src project.Source, tried []string, own string) bool {
	if _, err := src.Stat(own); err != nil {
		return true // gone from disk (an unsaved buffer's folder): nothing to say
	}
	for _, t := range tried {
		fi, err := src.Stat(t)
		if err != nil || !fi.IsDir() {
			continue
		}
		return src.SameFile(t, own)
	}
	return false
}

// reportRenamed reports a plugin whose migrations the server finds under a
// name other than the one they were recorded under at HEAD. Verified under
// Bun (server 2.5.1): "books" renamed to "catalog" with its folder logs
// "[Migration] checking plugin: catalog", then "Failed to run
// 001_create_books.ts: SQLiteError: table "books" already exists", and
// the process exits.
func reportRenamed(p *Pass, m *pluginModel, d *pluginDef, rec project.Recorded, own string) {
	name := d.Name()
	files := rec.Files
	list := strings.Join(files, ", ")
	if len(files) > 3 {
		list = strings.Join(files[:3], ", ") + fmt.Sprintf(" and %d more", len(files)-3)
	}
	where := ""
	if filepath.Dir(own) != rec.HeadDir {
		where = fmt.Sprintf(" (in %s)", p.Project.Rel(rec.HeadDir))
	}
	f := analysis.Finding{
		Code:     CodePluginRenameRerunsMigrations,
		Severity: analysis.SeverityWarning,
		Location: d.NameLoc(),
		Message: fmt.Sprintf("plugin %q was named %q at HEAD%s: the server records applied migrations by plugin name, so every database that ran its committed migrations (%s) runs them all again as %q's at the next start, and the first that creates a table stops start-up with \"table ... already exists\"; keep the name %q",
			name, rec.Name, where, list, name, rec.Name),
		Related: []analysis.Related{{
			Location: analysis.Location{Path: d.Path, Range: d.Def.DefineRange},
			Message:  fmt.Sprintf("its migrations are in %s", p.Project.Rel(own)),
		}},
	}
	root := p.Project.Root()
	switch {
	case len(m.byName[rec.Name]) > 0:
		f.Message += fmt.Sprintf(" (another plugin is named %q now: rename one of them)", rec.Name)
	case !renameReaches(root, rec.Name, own):
		// The old name reaches this folder only where the folder is
		// named after it: a renamed folder must move back too, which no
		// text edit can do, so no quick fix.
		f.Message += fmt.Sprintf(" and move the folder back to %s, where the server looks for that name", p.Project.Rel(rec.HeadDir))
	default:
		if fix, ok := keepNameFix(p, d, rec.Name); ok {
			f.Fixes = []analysis.Fix{fix}
		}
	}
	p.Report(f)
}

// keepNameFix renames the plugin back to old everywhere the navigation
// rename would (its uses in ctx.plugins, dependencies), so the code keeps
// compiling; none when that rename refuses.
func keepNameFix(p *Pass, d *pluginDef, old string) (analysis.Fix, bool) {
	ix := names.For(p.Project)
	defs := ix.Defs(names.Name{Kind: names.Plugin, Key: d.Name()})
	if len(defs) != 1 {
		return analysis.Fix{}, false
	}
	edit, err := names.Rename(p.Project, ix, names.Target{Occurrence: defs[0], Placeholder: d.Name()}, old, nil)
	if err != nil || len(edit.Edits) == 0 {
		return analysis.Fix{}, false
	}
	return analysis.Fix{Title: fmt.Sprintf("Keep the plugin's name %q", old), Edit: edit}, true
}
