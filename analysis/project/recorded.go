package project

import (
	"context"
	"path/filepath"
	"slices"
	"sync"

	"github.com/donkeyls/donkeyls/analysis/facts"
	"github.com/donkeyls/donkeyls/analysis/syntax"
)

// Recorded is what the databases built from the committed code hold about a
// plugin's migrations. The server records each applied migration as
// (plugin name, file name) in __donkeylabs_migrations__ and, at every start,
// runs the files of the plugin's folder not recorded under its current name
// (core.ts, server 2.5.1): a plugin whose name changed runs every committed
// migration again, on tables that already exist.
type Recorded struct {
	// Name is the plugin's name at HEAD; "" when HEAD's file does not say
	// it as one literal.
	Name string
	// HeadDir is the plugin's folder at HEAD: another folder when git saw
	// this one renamed (matched by its migrations' content).
	HeadDir string
	// Files are the migration files now in the plugin's migrations folder
	// that HEAD holds, so that a database built from HEAD ran them as Name.
	Files []string
}

// headCache asks the Source's repository each question once per Load:
// HEAD does not move under a Load.
type headCache struct {
	r     Repository
	mu    sync.Mutex
	trees map[string]map[string]string
	names map[string]string // plugin file at HEAD -> its name there
}

func newHeadCache(r Repository) *headCache {
	return &headCache{r: r, trees: map[string]map[string]string{}, names: map[string]string{}}
}

func (c *headCache) tree(ctx context.Context, root, dir string) map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.trees[dir]; ok {
		return t
	}
	t, _ := c.r.HeadTree(ctx, root, dir)
	c.trees[dir] = t
	return t
}

// pluginNames returns the plugin name each of paths defines at HEAD,
// reading the files not asked about before with one request.
func (c *headCache) pluginNames(ctx context.Context, root string, paths []string) map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ask []string
	for _, p := range paths {
		if _, ok := c.names[p]; !ok {
			ask = append(ask, p)
		}
	}
	if len(ask) > 0 {
		got := c.r.HeadFiles(ctx, root, ask)
		var parser *syntax.Parser
		for _, p := range ask {
			c.names[p] = ""
			b, ok := got[p]
			if !ok {
				continue
			}
			if parser == nil {
				parser = syntax.NewParser()
				defer parser.Close()
			}
			if f := facts.Extract(ctx, parser, p, b, facts.KindSource); f != nil && len(f.Plugins) == 1 && f.Plugins[0].NameKnown {
				c.names[p] = f.Plugins[0].Name
			}
		}
	}
	out := make(map[string]string, len(paths))
	for _, p := range paths {
		out[p] = c.names[p]
	}
	return out
}

type recordedKey struct{}

// RecordedMigrations says, for each plugin file (its index.ts) whose
// migrations a database built from HEAD ran, under which name it recorded
// them. A plugin is absent when none of its migrations is committed (no
// database built from the repository ran them), outside version control,
// and when HEAD does not say. Navigation's rename warning and the
// plugin-rename finding both read it, so they say the same thing. The map
// is shared: never modify it.
func (p *Project) RecordedMigrations() map[string]Recorded {
	return p.Memo(recordedKey{}, func() any { return p.computeRecorded(context.Background()) }).(map[string]Recorded)
}

func (p *Project) computeRecorded(ctx context.Context) map[string]Recorded {
	if !p.InGit() || p.git.head == nil {
		return nil
	}
	out := map[string]Recorded{}
	head := p.git.head
	// Each plugin folder whose migrations/ holds files, with those files.
	migs := map[string][]*facts.File{}
	for i, path := range p.Files() {
		f := p.sortedFiles()[i]
		if f == nil || f.Missing || f.Kind != facts.KindMigration || f.GitBlob == "" {
			continue
		}
		dir := filepath.Dir(filepath.Dir(path))
		migs[dir] = append(migs[dir], f)
	}
	var heads []string
	for dir, files := range migs {
		index := filepath.Join(dir, "index.ts")
		if f := p.file(index); f == nil || f.Missing || len(f.Plugins) != 1 {
			continue
		}
		r := Recorded{HeadDir: dir, Files: committedHere(p, files)}
		if len(r.Files) == 0 {
			// Not committed here: perhaps the folder was renamed.
			r.HeadDir, r.Files = renamedFrom(p, head.tree(ctx, p.root, filepath.Dir(dir)), dir, files)
			if r.HeadDir == "" {
				continue // no database built from the repository ran them
			}
		}
		if r.HeadDir == dir {
			// A plugin file unchanged since HEAD has HEAD's name: nothing
			// to read.
			f := p.file(index)
			if blob, ok := head.tree(ctx, p.root, filepath.Dir(dir))[index]; ok && f.GitBlob != "" && (blob == f.GitBlob || blob == f.GitBlobLF) {
				if pl := f.Plugins[0]; pl.NameKnown {
					r.Name = pl.Name
				}
				out[index] = r
				continue
			}
		}
		out[index] = r
		heads = append(heads, filepath.Join(r.HeadDir, "index.ts"))
	}
	if len(heads) == 0 {
		return out
	}
	slices.Sort(heads)
	names := head.pluginNames(ctx, p.root, heads)
	for index, r := range out {
		if n, ok := names[filepath.Join(r.HeadDir, "index.ts")]; ok {
			r.Name = n
			out[index] = r
		}
	}
	return out
}

// committedHere lists the migrations HEAD holds at the paths they have now.
func committedHere(p *Project, files []*facts.File) []string {
	var out []string
	for _, f := range files {
		if _, ok := p.GitHeadBlob(f.Path); ok {
			out = append(out, filepath.Base(f.Path))
		}
	}
	slices.Sort(out)
	return out
}

// renamedFrom finds the folder a plugin's migrations were committed in when
// none is committed where it is now: a sibling folder at HEAD, gone from the
// work tree, whose migrations/ held files of the same names and content.
// That is git's own rename detection, and the file name is what the server
// records, so these are the files that run again.
func renamedFrom(p *Project, headTree map[string]string, dir string, files []*facts.File) (string, []string) {
	if len(headTree) == 0 {
		return "", nil
	}
	want := map[string]bool{} // "<file name>\x00<blob>"
	for _, f := range files {
		want[filepath.Base(f.Path)+"\x00"+f.GitBlob] = true
		if f.GitBlobLF != "" {
			want[filepath.Base(f.Path)+"\x00"+f.GitBlobLF] = true
		}
	}
	matches := map[string][]string{}
	for path, blob := range headTree {
		if filepath.Base(filepath.Dir(path)) != "migrations" || !want[filepath.Base(path)+"\x00"+blob] {
			continue
		}
		old := filepath.Dir(filepath.Dir(path))
		if old == dir || filepath.Dir(old) != filepath.Dir(dir) {
			continue
		}
		matches[old] = append(matches[old], filepath.Base(path))
	}
	best := ""
	for old, names := range matches {
		if f := p.file(filepath.Join(old, "index.ts")); f != nil && !f.Missing {
			continue // still there: a copy, not a rename
		}
		if best == "" || len(names) > len(matches[best]) || (len(names) == len(matches[best]) && old < best) {
			best = old
		}
	}
	if best == "" {
		return "", nil
	}
	names := matches[best]
	slices.Sort(names)
	return best, names
}
