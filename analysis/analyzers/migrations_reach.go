package analyzers

import (
	"fmt"
	"github.com/donkeyls/donkeyls/analysis/project"
	"path/filepath"
	"strings"

	"github.com/donkeyls/donkeyls/analysis"
)

// CodeMigrationsUnreachable: the server looks a plugin's migrations up by
// its `name`, never by where its file is (core.ts, server 2.5.1).
const CodeMigrationsUnreachable = "migrations-unreachable"

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
		Doc:   "checks that the server finds each plugin's migrations where it looks for them: under folders named after the plugin's name",
		Codes: []string{CodeMigrationsUnreachable},
		Run:   runMigrationsReach,
	}
}

type migrationDirsKey struct{}

// migrationDirsOf maps each plugin folder whose migrations/ holds .ts files
// the server would run to how many it holds (keyed by the plugin folder so
// the keystroke path looks plugins up without building paths).
func migrationDirsOf(p *Pass) map[string]int {
	return p.Project.Memo(migrationDirsKey{}, func() any {
		out := map[string]int{}
		for _, path := range p.Project.Files() {
			if filepath.Base(filepath.Dir(path)) != "migrations" || !strings.HasSuffix(path, ".ts") {
				continue
			}
			if f := p.Project.File(path); f == nil || f.Missing {
				continue
			}
			out[filepath.Dir(filepath.Dir(path))]++
		}
		return out
	}).(map[string]int)
}

func runMigrationsReach(p *Pass) {
	dirs := migrationDirsOf(p)
	if len(dirs) == 0 {
		return
	}
	m := pluginModelOf(p.Project)
	root := p.Project.Root()
	// The first folder the server tries, as a prefix of plugin folders:
	// the usual layout is decided with no allocation and no system call.
	first := filepath.Join(root, "src", "server", "plugins") + string(filepath.Separator)
	for _, d := range m.defs {
		name := d.Name()
		if name == "" || strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
			continue
		}
		pluginDir := filepath.Dir(d.Path)
		n := dirs[pluginDir]
		if n == 0 {
			continue
		}
		if strings.HasPrefix(pluginDir, first) && pluginDir[len(first):] == name {
			continue
		}
		if m.regsKnown && len(m.registered[d]) == 0 {
			continue // never registered: unregistered-plugin says its migrations never run
		}
		own := filepath.Join(pluginDir, "migrations")
		tried := make([]string, len(migrationDirs))
		for i, pat := range migrationDirs {
			tried[i] = filepath.Join(root, filepath.FromSlash(fmt.Sprintf(pat, name)))
		}
		if reaches(p.Project.Source(), tried, own) {
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
		p.Report(analysis.Finding{
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
