package names

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/facts"
	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/analysis/textpos"
)

// Alignment brings a plugin's export and folder in line with its name:
// `name: "catalog"` in plugins/books/index.ts exported as booksPlugin
// becomes catalogPlugin in plugins/catalog. The folder matters at runtime
// (the server finds migrations under plugins/<name>/migrations) and to the
// generator (which names a plugin after its folder when its regular
// expression cannot read `name`); the export is what the generator's
// `export const <x>Plugin` pattern and every reader expects.
type Alignment struct {
	Plugin     string
	OldExport  string
	NewExport  string // "" when the export already fits
	OldDir     string
	NewDir     string // "" when the folder already fits
	Edit       analysis.WorkspaceEdit
	Title      string
	Disabled   string // why it cannot be done now, "" when it can
	Migrations bool   // the folder holds migrations
}

// Align computes the alignment for the plugin whose `name:` string or
// export holds offset in path; ok is false when there is none or nothing
// to align.
func Align(p *project.Project, path string, offset int, src project.Source) (Alignment, bool, error) {
	f := p.File(path)
	if f == nil || f.Kind.IsGenerated() {
		return Alignment{}, false, nil
	}
	var pl *facts.Plugin
	for i := range f.Plugins {
		c := &f.Plugins[i]
		if c.NameRange.Contains(offset) || c.ExportRange.Contains(offset) {
			pl = c
		}
	}
	if pl == nil || !pl.NameKnown || !identifier.MatchString(pl.Name) {
		return Alignment{}, false, nil
	}
	a := Alignment{Plugin: pl.Name, OldExport: pl.ExportName, OldDir: filepath.Dir(path)}
	if want := pl.Name + "Plugin"; pl.Exported && strings.HasSuffix(pl.ExportName, "Plugin") && pl.ExportName != want {
		a.NewExport = want
	}
	if filepath.Base(path) == "index.ts" && filepath.Base(a.OldDir) != pl.Name {
		a.NewDir = filepath.Join(filepath.Dir(a.OldDir), pl.Name)
	}
	if a.NewExport == "" && a.NewDir == "" {
		return Alignment{}, false, nil
	}
	a.Title = fmt.Sprintf("Rename plugin %q's export and folder", pl.Name)
	var parts []string
	if a.NewExport != "" {
		parts = append(parts, fmt.Sprintf("export %s → %s", a.OldExport, a.NewExport))
	}
	if a.NewDir != "" {
		parts = append(parts, fmt.Sprintf("folder %s → %s", p.Rel(a.OldDir), p.Rel(a.NewDir)))
	}
	a.Title += ": " + strings.Join(parts, ", ")
	if a.NewDir != "" {
		if _, err := p.Source().Stat(a.NewDir); err == nil || hasFileUnder(p, a.NewDir) {
			a.Disabled = fmt.Sprintf("%s already exists", p.Rel(a.NewDir))
			return a, true, nil
		}
	}
	edit, err := alignEdit(p, &a, path, src)
	if refusal, ok := errors.AsType[*RefusalError](err); ok {
		a.Disabled = refusal.Reason
		return a, true, nil
	}
	if err != nil {
		return Alignment{}, false, err
	}
	a.Edit = edit
	return a, true, nil
}

func hasFileUnder(p *project.Project, dir string) bool {
	prefix := dir + string(filepath.Separator)
	for _, path := range p.Files() {
		if strings.HasPrefix(path, prefix) {
			if f := p.File(path); f != nil && !f.Missing {
				return true
			}
		}
	}
	return false
}

func alignEdit(p *project.Project, a *Alignment, pluginPath string, src project.Source) (analysis.WorkspaceEdit, error) {
	var edit analysis.WorkspaceEdit
	read := func(path string) (string, error) {
		f := p.File(path)
		b, err := src.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("reading %s: %w", p.Rel(path), err)
		}
		if f == nil || f.StaleFacts || f.SyntaxErrors || facts.HashBytes(b) != f.Hash {
			return "", refuse("%s does not parse now or changed since it was analyzed: fix it or try again", p.Rel(path))
		}
		return string(b), nil
	}
	word := regexp.MustCompile(`(^|[^\w$.])(` + regexp.QuoteMeta(a.OldExport) + `)($|[^\w$])`)
	replaceWord := func(path, text string, within analysis.Range) {
		lines := textpos.New([]byte(text))
		from, to := 0, len(text)
		if !within.IsZero() {
			from, to = int(within.Start.Offset), int(within.End.Offset)
		}
		for _, m := range word.FindAllStringSubmatchIndex(text[from:to], -1) {
			s, e := from+m[4], from+m[5]
			edit.Edits = append(edit.Edits, analysis.TextEdit{Path: path, Range: lines.Range(s, e), NewText: a.NewExport})
			if !within.IsZero() {
				return // the imported name, not its alias after "as"
			}
		}
	}
	if a.NewExport != "" {
		text, err := read(pluginPath)
		if err != nil {
			return edit, err
		}
		replaceWord(pluginPath, text, analysis.Range{})
	}
	for _, path := range p.Files() {
		f := p.File(path)
		if f == nil || f.Missing || f.Unreadable || f.Kind.IsGenerated() || path == pluginPath {
			continue
		}
		inside := a.NewDir != "" && strings.HasPrefix(path, a.OldDir+string(filepath.Separator))
		var text string
		for _, imp := range f.Imports {
			r := p.ResolveImport(path, imp.Spec)
			target := r.File
			if target == nil || !isRelativeSpec(imp.Spec) {
				continue
			}
			var err error
			if a.NewExport != "" && target.Path == pluginPath {
				for _, n := range imp.Names {
					if n.Name != a.OldExport {
						continue
					}
					if text == "" {
						if text, err = read(path); err != nil {
							return edit, err
						}
					}
					if n.Alias == n.Name {
						replaceWord(path, text, analysis.Range{})
					} else {
						replaceWord(path, text, imp.Range)
					}
				}
			}
			moved := a.NewDir != "" && strings.HasPrefix(target.Path, a.OldDir+string(filepath.Separator))
			if moved && !inside {
				base := filepath.Join(filepath.Dir(path), filepath.FromSlash(imp.Spec))
				rel, err := filepath.Rel(a.OldDir, base)
				if err != nil || strings.HasPrefix(rel, "..") {
					continue
				}
				spec, err := filepath.Rel(filepath.Dir(path), filepath.Join(a.NewDir, rel))
				if err != nil {
					continue
				}
				spec = filepath.ToSlash(spec)
				if !strings.HasPrefix(spec, ".") {
					spec = "./" + spec
				}
				r := imp.SpecRange
				if r.End.Offset-r.Start.Offset >= 2 {
					r.Start.Offset++
					r.Start.Col++
					r.End.Offset--
					r.End.Col--
				}
				edit.Edits = append(edit.Edits, analysis.TextEdit{Path: path, Range: r, NewText: spec})
			}
		}
	}
	if a.NewDir != "" {
		edit.Renames = append(edit.Renames, analysis.FileRename{From: a.OldDir, To: a.NewDir})
		for _, path := range p.Files() {
			if f := p.File(path); f != nil && f.Kind == facts.KindMigration && strings.HasPrefix(path, a.OldDir+string(filepath.Separator)) {
				a.Migrations = true
			}
		}
	}
	return edit, nil
}

// isRelativeSpec: only a relative specifier is rewritten when the folder
// moves (an alias or absolute path keeps naming the old place as written).
func isRelativeSpec(spec string) bool {
	return strings.HasPrefix(spec, "./") || strings.HasPrefix(spec, "../")
}
