package project

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/donkeyls/donkeyls/analysis/facts"
	"github.com/donkeyls/donkeyls/analysis/syntax"
)

// ErrNoProject is returned when a directory holds no donkeylabs project.
var ErrNoProject = errors.New("no donkeylabs project (no donkeylabs.config.ts, and not the flat layout)")

// MaxFiles bounds one project's analyzed files; a root that holds more is
// almost certainly a mistake (a home directory) and is refused with a clear
// error instead of a long stall.
const MaxFiles = 200_000

// skipDir reports directories no analysis enters. Hidden directories are
// skipped except the generator's default output directory.
func skipDir(name string) bool {
	switch name {
	case "node_modules", ".git", ".hg", ".svn", ".donkeyls":
		return true
	}
	return strings.HasPrefix(name, ".") && !strings.HasPrefix(name, ".@donkeylabs")
}

// DiscoverOptions bound the search for projects under a workspace folder.
// A folder of `/` or a home directory would otherwise be walked whole.
type DiscoverOptions struct {
	// MaxEntries bounds the files and directories looked at.
	MaxEntries int
	// MaxDirs bounds the directories entered.
	MaxDirs int
	// MaxDepth bounds how many directories deep below the folder the
	// search goes; deeper directories are not entered.
	MaxDepth int
	// Timeout bounds the time spent.
	Timeout time.Duration
	// OnDir, when set, sees every directory entered.
	OnDir func(dir string)
}

// DefaultDiscoverOptions are the bounds Discover applies: far above any
// project checkout, far below a whole filesystem.
func DefaultDiscoverOptions() DiscoverOptions {
	return DiscoverOptions{MaxEntries: 1_000_000, MaxDirs: 100_000, MaxDepth: 32, Timeout: 20 * time.Second}
}

// LimitError says the search for projects stopped at one of its bounds.
// The projects found until then are still returned beside it.
type LimitError struct {
	Dir string
	// Bound names the limit reached: "100000 directories", "32 levels
	// deep", "20s".
	Bound string
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("stopped searching %s for projects at its limit of %s: point donkeyls at the folder that holds donkeylabs.config.ts instead (the workspace root: in Neovim the donkeyls client's root_dir, in VS Code the folder opened; for check and dev, the directory argument)", e.Dir, e.Bound)
}

// Discover lists the project roots under dir with DefaultDiscoverOptions.
func Discover(ctx context.Context, src Source, dir string) ([]string, error) {
	return DiscoverWith(ctx, src, dir, DefaultDiscoverOptions())
}

// DiscoverWith lists the project roots under dir: every directory holding a
// donkeylabs.config.ts, skipping node_modules, .git and what src will not
// list (pseudo-filesystems), or dir itself when it has none but uses the
// older flat layout. Sorted. When a bound is reached, the roots found so far
// come with a *LimitError.
func DiscoverWith(ctx context.Context, src Source, dir string, opts DiscoverOptions) ([]string, error) {
	if src == nil {
		return nil, errNoSource
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("resolving %s: %w", dir, err)
	}
	st, err := src.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", dir, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", dir)
	}
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	top, err := src.ReadDir(dir)
	if errors.Is(err, ErrNoSource) {
		return nil, fmt.Errorf("%w: %w", err, ErrNoProject)
	}
	if err != nil {
		return nil, fmt.Errorf("searching %s for projects: %w", dir, err)
	}
	var roots []string
	var limit *LimitError
	depthOf := func(path string) int {
		rel, _ := filepath.Rel(dir, path)
		return strings.Count(rel, string(filepath.Separator)) + 1
	}
	// dir itself is the first entry and the first directory entered.
	entries, dirs := 1, 1
	if opts.OnDir != nil {
		opts.OnDir(dir)
	}
	walkErr := walkEntries(src, dir, top, func(path string, d fs.DirEntry) error {
		if err := ctx.Err(); err != nil {
			if errors.Is(err, context.DeadlineExceeded) && opts.Timeout > 0 {
				limit = &LimitError{Dir: dir, Bound: opts.Timeout.String()}
				return fs.SkipAll
			}
			return err
		}
		entries++
		if opts.MaxEntries > 0 && entries > opts.MaxEntries {
			limit = &LimitError{Dir: dir, Bound: fmt.Sprintf("%d files and directories", opts.MaxEntries)}
			return fs.SkipAll
		}
		if d.IsDir() {
			if skipDir(d.Name()) {
				return filepath.SkipDir
			}
			if opts.MaxDepth > 0 && depthOf(path) > opts.MaxDepth {
				if limit == nil {
					limit = &LimitError{Dir: dir, Bound: fmt.Sprintf("%d levels deep", opts.MaxDepth)}
				}
				return filepath.SkipDir
			}
			dirs++
			if opts.MaxDirs > 0 && dirs > opts.MaxDirs {
				limit = &LimitError{Dir: dir, Bound: fmt.Sprintf("%d directories", opts.MaxDirs)}
				return fs.SkipAll
			}
			if opts.OnDir != nil {
				opts.OnDir(path)
			}
			return nil
		}
		if d.Name() == ConfigFile {
			roots = append(roots, filepath.Dir(path))
		}
		return nil
	})
	if walkErr == fs.SkipAll {
		walkErr = nil
	}
	if walkErr != nil {
		return nil, fmt.Errorf("searching %s for projects: %w", dir, walkErr)
	}
	if len(roots) == 0 && isFlatLayout(src, dir) {
		roots = append(roots, dir)
	}
	slices.Sort(roots)
	if limit != nil {
		return roots, limit
	}
	if len(roots) == 0 {
		return nil, fmt.Errorf("%s: %w", dir, ErrNoProject)
	}
	return roots, nil
}

// isFlatLayout recognises the older layout: plugins/<name>/index.ts with the
// registry at the root.
func isFlatLayout(src Source, dir string) bool {
	if _, err := src.Stat(filepath.Join(dir, "plugins")); err != nil {
		return false
	}
	for _, marker := range []string{"registry.d.ts", "context.d.ts", "scripts/generate-registry.ts"} {
		if _, err := src.Stat(filepath.Join(dir, filepath.FromSlash(marker))); err == nil {
			return true
		}
	}
	return false
}

// errNoSource says a caller forgot the Source: the analysis has no disk of
// its own to fall back on.
var errNoSource = errors.New("project: no Source given (the OS one is internal/ossource)")

// Load reads and analyzes the project rooted at root through src.
func Load(ctx context.Context, root string, src Source) (*Project, error) {
	return LoadWith(ctx, root, LoadOptions{Source: src})
}

// LoadWith is Load with a facts cache.
func LoadWith(ctx context.Context, root string, opts LoadOptions) (*Project, error) {
	if opts.Source == nil {
		return nil, errNoSource
	}
	var counts loadCounters
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("resolving %s: %w", root, err)
	}
	root = filepath.Clean(root)
	cfg, cfgFacts, err := loadConfig(ctx, root, &opts, &counts)
	if err != nil {
		return nil, err
	}
	p := &Project{root: root, config: cfg, src: opts.Source, memo: &memo{}}
	paths, walked, err := p.scan(ctx, opts.Source)
	if err != nil {
		return nil, err
	}
	p.expected = p.expectedOutputs(paths, walked)
	p.generated = slices.Sorted(maps.Keys(p.expected))
	kinds := make(map[string]facts.Kind, len(paths))
	for _, path := range paths {
		if k, ok := p.KindOf(path); ok {
			kinds[path] = k
		}
	}
	var migrations []string
	for path, kind := range kinds {
		if kind == facts.KindMigration {
			migrations = append(migrations, path)
		}
	}
	slices.Sort(migrations)
	p.git = startGit(opts.Source, root, migrations)
	files, err := p.extractAll(ctx, &opts, &counts, kinds)
	if err != nil {
		p.git.cancel() // nobody will ask
		return nil, err
	}
	if cfgFacts != nil {
		files[cfgFacts.Path] = cfgFacts
	}
	for path, kind := range p.expected {
		if _, ok := files[path]; !ok {
			files[path] = &facts.File{Path: path, Kind: kind, Missing: true}
		}
	}
	p.files = newFileTable(files)
	p.reuse = &reuseCache{m: map[any]reuseEntry{}}
	if opts.NoReuse {
		p.reuse.latest = map[reflect.Type]any{}
	}
	p.stats = LoadStats{Parsed: int(counts.parsed.Load()), Cached: int(counts.cached.Load())}
	if opts.Cache != nil && ctx.Err() == nil {
		// Only a complete load may tell the cache which entries it uses.
		opts.Cache.Done(root)
	}
	return p, nil
}

// loadConfig reads donkeylabs.config.ts (or sets up the flat layout) and
// package.json, applying the generator's defaults.
func loadConfig(ctx context.Context, root string, opts *LoadOptions, counts *loadCounters) (*Config, *facts.File, error) {
	src := opts.Source
	cfg := &Config{Root: root, Config: facts.Config{OutDir: DefaultOutDir, Entry: DefaultEntry, Routes: DefaultRoutes, PluginsKnown: true}}
	cfg.readPackageJSON(src)
	path := filepath.Join(root, ConfigFile)
	b, err := src.ReadFile(path)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("reading %s: %w", path, err)
		}
		if !isFlatLayout(src, root) {
			return nil, nil, fmt.Errorf("%s: %w", root, ErrNoProject)
		}
		// The flat layout keeps plugins at the root and the registry beside them.
		cfg.Plugins = []string{"./plugins/**/index.ts"}
		cfg.OutDir = "."
		cfg.Entry = "./index.ts"
		return cfg, nil, nil
	}
	parser := syntax.NewParser()
	defer parser.Close()
	f := opts.extract(ctx, parser, root, path, b, facts.KindConfig, counts)
	cfg.ConfigPath = path
	cfg.Facts = f.Config
	if c := f.Config; c != nil {
		cfg.Config = withDefaults(*c, cfg.Config)
	}
	return cfg, f, nil
}

// withDefaults is what the config says, with def's value for each key it
// leaves out.
func withDefaults(c, def facts.Config) facts.Config {
	if c.OutDir == "" {
		c.OutDir = def.OutDir
	}
	if c.Entry == "" {
		c.Entry = def.Entry
	}
	if c.Routes == "" {
		c.Routes = def.Routes
	}
	if !c.PluginsKnown && len(c.Plugins) == 0 {
		// Fall back to the conventional folder so analysis still helps.
		c.Plugins = []string{"./src/server/plugins/**/index.ts"}
	}
	return c
}

func bufferPaths(src Source) []string {
	if b, ok := src.(Buffers); ok {
		return b.BufferPaths()
	}
	return nil
}

// scan lists every TypeScript file of the project: those src lists, and the
// buffers not saved yet that the walk would have found there.
func (p *Project) scan(ctx context.Context, src Source) (paths []string, walked map[string]bool, err error) {
	var nested []string
	outDir := p.config.OutPath()
	seen := map[string]bool{}
	err = walkDir(src, p.root, func(path string, d fs.DirEntry) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			if skipDir(d.Name()) && !isWithin(outDir, path) && !isWithin(path, outDir) {
				return filepath.SkipDir
			}
			if d.Name() == "node_modules" {
				return filepath.SkipDir
			}
			return nil
		}
		// A nested project is analyzed on its own. Its files are dropped
		// after the walk: a stat per directory to find it earlier costs more
		// than walking the few monorepos that have one.
		if d.Name() == ConfigFile && filepath.Dir(path) != p.root {
			nested = append(nested, filepath.Dir(path))
		}
		// A named pipe or a device called x.ts is not source; reading it
		// could block forever.
		if d.Type()&(fs.ModeNamedPipe|fs.ModeSocket|fs.ModeDevice|fs.ModeCharDevice|fs.ModeIrregular) != 0 {
			return nil
		}
		if isTypeScript(d.Name()) || isMigrationScript(path) {
			paths = append(paths, path)
			// Whether it is a regular file: a symlink may lead nowhere.
			seen[path] = d.Type().IsRegular()
			// Files of nested projects are dropped after the walk, so
			// only a tree far over the limit is cut short here.
			if len(paths) > 2*MaxFiles {
				return errTooManyFiles(p.root)
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("scanning %s: %w", p.root, err)
	}
	for _, path := range bufferPaths(src) {
		if _, found := seen[path]; !found && p.wouldScan(path, outDir) {
			paths = append(paths, path) // not in seen: that is what the walk found
		}
	}
	if len(nested) > 0 {
		kept := paths[:0]
		for _, path := range paths {
			if !underAny(nested, path) {
				kept = append(kept, path)
			}
		}
		paths = kept
	}
	if len(paths) > MaxFiles {
		return nil, nil, errTooManyFiles(p.root)
	}
	return paths, seen, nil
}

// wouldScan reports whether the walk of scan would list path were it on
// disk: TypeScript, inside the root, under no directory the walk skips.
func (p *Project) wouldScan(path, outDir string) bool {
	path = filepath.Clean(path)
	if !(isTypeScript(filepath.Base(path)) || isMigrationScript(path)) || path == p.root || !isWithin(p.root, path) {
		return false
	}
	rel, err := filepath.Rel(p.root, path)
	if err != nil {
		return false
	}
	dir := p.root
	parts := strings.Split(rel, string(filepath.Separator))
	for _, part := range parts[:len(parts)-1] {
		dir = filepath.Join(dir, part)
		if part == "node_modules" {
			return false
		}
		if skipDir(part) && !isWithin(outDir, dir) && !isWithin(dir, outDir) {
			return false
		}
	}
	return true
}

func errTooManyFiles(root string) error {
	return fmt.Errorf("more than %d TypeScript files under %s: is this the right directory?", MaxFiles, root)
}

// underAny reports whether path lies under one of dirs. Both come from the
// same walk of a clean root, so a prefix check is exact.
func underAny(dirs []string, path string) bool {
	for _, dir := range dirs {
		if strings.HasPrefix(path, dir+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

func isTypeScript(name string) bool {
	switch filepath.Ext(name) {
	case ".ts", ".tsx", ".mts", ".cts":
		return true
	}
	return false
}

// isWithin reports whether path is dir or below it.
func isWithin(dir, path string) bool {
	// Clean paths under dir share its prefix; that answers most calls
	// without filepath.Rel, which the keystroke path makes thousands of.
	// Callers pass clean paths: "/a/b/../x" would count as under "/a/b".
	if dir != "" && strings.HasPrefix(path, dir) && (len(path) == len(dir) || path[len(dir)] == filepath.Separator || strings.HasSuffix(dir, string(filepath.Separator))) {
		return true
	}
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// KindOf says how the project reads path, and false when the project does not
// analyze it at all (not TypeScript, outside the root, in node_modules).
func (p *Project) KindOf(path string) (facts.Kind, bool) {
	path = filepath.Clean(path)
	if !p.Contains(path) {
		return 0, false
	}
	if k, ok := p.expected[path]; ok {
		return k, true
	}
	if path == p.config.ConfigPath {
		return facts.KindConfig, true
	}
	if filepath.Base(filepath.Dir(path)) == "migrations" && GeneratorRunsMigration(path) && p.underPluginDir(filepath.Dir(filepath.Dir(path))) {
		return facts.KindMigration, true
	}
	if !isTypeScript(path) {
		return 0, false
	}
	if filepath.Base(path) == "schema.ts" && p.underPluginDir(filepath.Dir(path)) {
		return facts.KindSchema, true
	}
	if isWithin(p.config.OutPath(), path) && p.config.OutPath() != p.root {
		switch filepath.Base(path) {
		case "registry.d.ts":
			return facts.KindRegistry, true
		case "context.d.ts":
			return facts.KindContext, true
		case "events.ts":
			return facts.KindEvents, true
		case "routes.ts":
			return facts.KindRoutes, true
		case "processes.ts":
			return facts.KindProcesses, true
		case "client.ts":
			if p.config.ClientPath() == path {
				return facts.KindClient, true
			}
		}
	}
	return facts.KindSource, true
}

// underPluginDir reports whether dir is a plugin folder: inside a folder the
// generator scans for plugins.
func (p *Project) underPluginDir(dir string) bool {
	for _, base := range p.config.PluginScanDirs() {
		if isWithin(base, dir) && dir != base {
			return true
		}
	}
	return false
}

// expectedOutputs lists what the generator writes for this project; walked
// marks the regular files the scan's walk found, which exist.
func (p *Project) expectedOutputs(paths []string, walked map[string]bool) map[string]facts.Kind {
	out := map[string]facts.Kind{}
	dir := p.config.OutPath()
	out[filepath.Join(dir, "registry.d.ts")] = facts.KindRegistry
	out[filepath.Join(dir, "context.d.ts")] = facts.KindContext
	if p.config.ConfigPath != "" {
		out[filepath.Join(dir, "routes.ts")] = facts.KindRoutes
		out[filepath.Join(dir, "events.ts")] = facts.KindEvents
		out[filepath.Join(dir, "processes.ts")] = facts.KindProcesses
	}
	if c := p.config.ClientPath(); c != "" {
		out[c] = facts.KindClient
	}
	// A plugin with .ts migrations gets schema.ts beside its index.ts.
	for _, path := range paths {
		if filepath.Base(filepath.Dir(path)) != "migrations" || strings.HasSuffix(path, ".d.ts") || filepath.Ext(path) != ".ts" {
			continue
		}
		pluginDir := filepath.Dir(filepath.Dir(path))
		if !p.underPluginDir(pluginDir) {
			continue
		}
		// The walk just listed index.ts in nearly every plugin folder: a
		// stat per migration (two thousand on 1,000 plugins) is needed only
		// for one it did not find as a regular file (a symlink, a
		// directory of that name, a buffer not saved yet).
		if index := filepath.Join(pluginDir, "index.ts"); !walked[index] {
			if _, err := p.src.Stat(index); err != nil {
				continue
			}
		}
		out[filepath.Join(pluginDir, "schema.ts")] = facts.KindSchema
	}
	return out
}

// extractAll parses every file on all cores; each worker owns its parser.
func (p *Project) extractAll(ctx context.Context, opts *LoadOptions, counts *loadCounters, kinds map[string]facts.Kind) (map[string]*facts.File, error) {
	src := opts.Source
	type job struct {
		path string
		kind facts.Kind
	}
	jobs := make(chan job)
	results := make(chan *facts.File)
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			parser := syntax.NewParser()
			defer parser.Close()
			// Each file is read into the worker's buffer, which its facts
			// never point into. The buffer grows to the largest file up
			// to maxReuse: one larger (the generated client, 20 MB at
			// 5,000 plugins) would stay live for the whole load instead
			// of being collected.
			var buf []byte
			for j := range jobs {
				b, err := ReadFileInto(src, j.path, buf)
				if cap(b) > cap(buf) && cap(b) <= maxReuse {
					buf = b[:0]
				}
				if err != nil {
					if errors.Is(err, fs.ErrNotExist) {
						continue // deleted since the scan
					}
					results <- &facts.File{Path: j.path, Kind: j.kind, Unreadable: true}
					continue
				}
				results <- opts.extract(ctx, parser, p.root, j.path, b, j.kind, counts)
			}
		})
	}
	// Large files first, so the last job on each core is a small one: the
	// generated client alone can be a tenth of a project's bytes.
	ordered := make([]job, 0, len(kinds))
	for path, kind := range kinds {
		if kind != facts.KindConfig {
			ordered = append(ordered, job{path, kind})
		}
	}
	sort.Slice(ordered, func(i, j int) bool {
		a, b := extractOrder(ordered[i].kind), extractOrder(ordered[j].kind)
		if a != b {
			return a < b
		}
		return ordered[i].path < ordered[j].path
	})
	go func() {
		defer close(jobs)
		for _, j := range ordered {
			select {
			case jobs <- j:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(results)
	}()
	files := make(map[string]*facts.File, len(kinds)+len(p.expected)+1)
	for f := range results {
		files[f.Path] = f
	}
	return files, ctx.Err()
}

// maxReuse bounds the read buffer a load's worker keeps between files.
const maxReuse = 1 << 20

// extractOrder ranks kinds by their usual size, largest first.
func extractOrder(k facts.Kind) int {
	switch k {
	case facts.KindClient:
		return 0
	case facts.KindSource:
		return 2
	case facts.KindMigration:
		return 3
	}
	return 1 // the other generated outputs
}

// clone is a new snapshot of the same files, with a memo of its own.
func (p *Project) clone() *Project {
	q := *p
	q.memo = &memo{}
	return &q
}

// WithFile returns a snapshot in which path has content. A path the project
// does not analyze returns p itself. Changing donkeylabs.config.ts or
// package.json, or adding a file that changes which folders are plugins,
// returns a snapshot whose NeedsReload is true.
func (p *Project) WithFile(path string, content []byte) *Project {
	path = filepath.Clean(path)
	if p.affectsConfig(path) {
		q := p.clone()
		q.needsReload = true
		return q
	}
	kind, ok := p.KindOf(path)
	if !ok {
		return p
	}
	old := p.file(path)
	if old != nil && !old.Missing && old.Hash == hashOf(content) {
		return p
	}
	parser := syntax.NewParser()
	defer parser.Close()
	f := facts.Extract(context.Background(), parser, path, content, kind)
	// old is the last good version when it parsed, or when it already
	// carries the last good facts forward (several broken keystrokes in a row).
	if f.SyntaxErrors && old != nil && (!old.SyntaxErrors || old.StaleFacts) && !old.Missing && !old.Unreadable {
		f = keepLastGood(f, old)
	}
	q := p.clone()
	// The same paths share the sorted list and its index; the facts beside
	// it are copied with this file's replaced.
	q.files = p.files.with(path, f)
	if old != nil {
		depth := 1
		if prev := p.memo.base.Load(); prev != nil {
			depth = prev.depth + 1
		}
		if depth <= maxEntryLinks {
			q.memo.base.Store(&memoLink{memo: p.memo, old: old, new: f, depth: depth})
		}
	}
	if old == nil && (filepath.Base(path) == "index.ts" || kind == facts.KindMigration) {
		// A new plugin folder or its first migration changes the expected outputs.
		q.needsReload = true
	}
	return q
}

// keepLastGood keeps the structural facts of the last version that parsed
// while a buffer is mid-edit, so verdicts do not flicker at every keystroke.
// Hashes are the new ones: the file did change.
func keepLastGood(now, last *facts.File) *facts.File {
	f := *last
	f.Hash = now.Hash
	f.Size = now.Size
	f.GitBlob = now.GitBlob
	f.GitBlobLF = now.GitBlobLF
	f.SyntaxErrors = true
	f.FirstError = now.FirstError
	f.StaleFacts = true
	return &f
}

// WithoutFile returns a snapshot in which path does not exist.
func (p *Project) WithoutFile(path string) *Project {
	path = filepath.Clean(path)
	if p.affectsConfig(path) {
		q := p.clone()
		q.needsReload = true
		return q
	}
	kind, expected := p.expected[path]
	if _, ok := p.files.get(path); !ok {
		return p
	}
	q := p.clone()
	if expected {
		q.files = p.files.with(path, &facts.File{Path: path, Kind: kind, Missing: true})
	} else {
		q.files = p.files.without(path)
	}
	if filepath.Base(path) == "index.ts" || filepath.Base(filepath.Dir(path)) == "migrations" {
		q.needsReload = true
	}
	return q
}

func (p *Project) affectsConfig(path string) bool {
	return path == filepath.Join(p.root, ConfigFile) || path == filepath.Join(p.root, "package.json")
}

// NeedsReload reports whether a change since the last Load (config, a new
// plugin folder) requires Load to be called again for exact results.
func (p *Project) NeedsReload() bool { return p.needsReload }

func hashOf(b []byte) uint64 {
	// Same function facts uses, so equal content is detected without parsing.
	return facts.HashBytes(b)
}
