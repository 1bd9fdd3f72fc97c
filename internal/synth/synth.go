// Package synth writes synthetic donkeylabs projects of any size: plugins
// with handler keys, middleware, dependencies on earlier plugins and
// migrations; routes spread over router files; events, a service, the
// server entry; and every generated output exactly as `donkeylabs generate`
// writes it for those sources (registry.d.ts, context.d.ts, routes.ts,
// events.ts, processes.ts, each plugin's schema.ts as kysely-codegen 0.17
// writes it for SQLite, and the SvelteKit adapter's client). The result is
// fresh: no staleness finding should fire on it.
//
// Output is a pure function of Options, so benchmarks and tests can build
// the same project twice. The layout and style follow the shop base of
// internal/fixture (which began as a copy of examples/bookshop).
package synth

import (
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strconv"
)

// Options size and shape a project.
type Options struct {
	// Plugins is the number of plugins (src/server/plugins/<name>/index.ts).
	Plugins int
	// Routes is the total number of routes, about ten per router file.
	Routes int
	// MigrationsPerPlugin is the number of migration files each plugin
	// has; 0 means no migrations folder and no schema.ts.
	MigrationsPerPlugin int
	// Adapter configures @donkeylabs/adapter-sveltekit, which makes the
	// generator write the typed client to src/lib/api.ts.
	Adapter bool
	// Seed picks names, columns, dependencies and styles.
	Seed int64
}

// Limits keep a mistaken option from filling a disk.
const (
	MaxPlugins    = 20000
	MaxRoutes     = 200000
	MaxMigrations = 200
	// RoutesPerFile is how many routes a router file holds at most.
	RoutesPerFile = 10
)

// File is one file of a project.
type File struct {
	Path    string // slash-separated, relative to the project root
	Content []byte
}

// Generate returns every file of the project, sorted by path.
func Generate(opts Options) ([]File, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	p := build(opts)
	files := p.render()
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}

// Write writes the project into dir, which must be empty or not exist.
// Each file is written to a temporary name and renamed, so an interrupted
// Write leaves no half-written file.
func Write(dir string, opts Options) error {
	files, err := Generate(opts)
	if err != nil {
		return err
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("synth: %s is not empty", dir)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("synth: reading %s: %w", dir, err)
	}
	for _, f := range files {
		path := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("synth: %w", err)
		}
		tmp := path + ".synth-tmp"
		if err := os.WriteFile(tmp, f.Content, 0o644); err != nil {
			return fmt.Errorf("synth: %w", err)
		}
		if err := os.Rename(tmp, path); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("synth: %w", err)
		}
	}
	return nil
}

func (o Options) validate() error {
	switch {
	case o.Plugins < 0 || o.Plugins > MaxPlugins:
		return fmt.Errorf("synth: Plugins must be in [0, %d], got %d", MaxPlugins, o.Plugins)
	case o.Routes < 0 || o.Routes > MaxRoutes:
		return fmt.Errorf("synth: Routes must be in [0, %d], got %d", MaxRoutes, o.Routes)
	case o.MigrationsPerPlugin < 0 || o.MigrationsPerPlugin > MaxMigrations:
		return fmt.Errorf("synth: MigrationsPerPlugin must be in [0, %d], got %d", MaxMigrations, o.MigrationsPerPlugin)
	case o.Routes > 0 && o.Plugins == 0:
		return errors.New("synth: routes call plugin services, so Routes > 0 needs Plugins > 0")
	}
	return nil
}

// ---------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------

type project struct {
	opts     Options
	plugins  []*plugin // sorted by name, the order the generator lists them
	routers  []*router // the order the entry registers them
	events   []event
	services []service
}

type column struct {
	name     string
	sqlType  string // text, integer, real, boolean
	notNull  bool
	pk       bool
	autoInc  bool
	hasDflt  bool
	dfltExpr string // TypeScript text of the defaultTo argument
}

// tsType is the column's TypeScript type as kysely-codegen maps SQLite.
func (c *column) tsType() string {
	if c.sqlType == "text" {
		return "string"
	}
	return "number"
}

type table struct {
	name    string
	columns []*column
}

type migration struct {
	file string
	kind int // migCreateMain, migAddColumn, migCreateNotes, migIndex
	col  *column
}

const (
	migCreateMain = iota
	migAddColumn
	migCreateNotes
	migIndex
)

type plugin struct {
	name, singular string
	export         string // ordersPlugin
	entity         string // Order: the domain type
	version        string
	deps           []*plugin
	handlerKeys    []string
	middlewareKeys []string
	withConfig     bool
	emitsEvent     bool
	migrations     []migration
	main           *table // nil without migrations
	notes          *table // a second table, when a migration made one
	extraCols      []*column
}

func (p *plugin) hasSchema() bool { return p.main != nil }

type route struct {
	name    string
	kind    string // "typed" or "raw"
	style   int    // how the source spells it
	tmpl    int    // which service call it makes
	guarded bool   // behind a middleware chain
}

type router struct {
	prefix     string
	varName    string
	file       string // src/server/routes/<file>.ts
	plugin     *plugin
	routes     []*route
	chained    bool
	middleware string // middleware key guarding the later routes, "" for none
	guardFrom  int    // index of the first guarded route
}

type event struct {
	name   string // invoices.created
	plugin *plugin
}

type service struct {
	name, export, file string
}

// Route templates: each maps to one service call and one schema pair.
const (
	tmplList = iota
	tmplGet
	tmplCreate
	tmplCount
	tmplRemove
	tmplSearch
	tmplRecent
	tmplExists
	tmplSummary
	tmplPing
	numTemplates
)

var templateNames = [numTemplates]string{"list", "get", "create", "count", "remove", "search", "recent", "exists", "summary", "ping"}

// Columns a plugin's first migration may add beside id, name, created_at,
// and columns later migrations add.
var firstColumns = []column{
	{name: "amount_cents", sqlType: "integer", notNull: true},
	{name: "owner_id", sqlType: "text", notNull: true},
	{name: "status", sqlType: "text", notNull: true, hasDflt: true, dfltExpr: `"active"`},
	{name: "description", sqlType: "text"},
	{name: "position", sqlType: "integer", notNull: true, hasDflt: true, dfltExpr: "0"},
}

var laterColumns = []column{
	{name: "archived_at", sqlType: "text"},
	{name: "priority", sqlType: "integer", notNull: true, hasDflt: true, dfltExpr: "0"},
	{name: "external_ref", sqlType: "text"},
	{name: "rating", sqlType: "real"},
	{name: "is_featured", sqlType: "boolean", notNull: true, hasDflt: true, dfltExpr: "0"},
	{name: "updated_at", sqlType: "text"},
	{name: "notes_count", sqlType: "integer", notNull: true, hasDflt: true, dfltExpr: "0"},
	{name: "locale", sqlType: "text"},
	{name: "region", sqlType: "text"},
	{name: "score", sqlType: "real"},
}

func build(opts Options) *project {
	rng := rand.New(rand.NewSource(opts.Seed))
	p := &project{opts: opts}

	// Names: the noun list in a seeded order, numbered on later rounds.
	order := rng.Perm(len(nouns))
	for i := 0; i < opts.Plugins; i++ {
		n := nouns[order[i%len(nouns)]]
		round := i / len(nouns)
		pl := &plugin{name: n[0], singular: n[1]}
		if round > 0 {
			suffix := strconv.Itoa(round + 1)
			pl.name += suffix
			pl.singular += suffix
		}
		pl.export = serverCamel(pl.name) + "Plugin"
		pl.entity = upperFirst(pl.singular)
		pl.version = fmt.Sprintf("%d.%d.0", 1+rng.Intn(3), rng.Intn(10))
		p.plugins = append(p.plugins, pl)
	}

	// Dependencies point at plugins created earlier, so there is no cycle.
	created := append([]*plugin(nil), p.plugins...)
	for i, pl := range created {
		if i > 0 && rng.Intn(3) == 0 {
			ndeps := 1 + rng.Intn(2)
			seen := map[*plugin]bool{}
			for range ndeps {
				d := created[rng.Intn(i)]
				if !seen[d] {
					seen[d] = true
					pl.deps = append(pl.deps, d)
				}
			}
		}
		if rng.Intn(6) == 0 {
			pl.handlerKeys = []string{pl.singular + "Feed"}
		}
		if rng.Intn(5) == 0 {
			pl.middlewareKeys = []string{"require" + upperFirst(pl.singular) + "Access"}
		}
		pl.withConfig = rng.Intn(8) == 0
		pl.emitsEvent = rng.Intn(3) == 0
		buildMigrations(pl, opts.MigrationsPerPlugin, rng)
	}
	sort.Slice(p.plugins, func(i, j int) bool { return p.plugins[i].name < p.plugins[j].name })

	for _, pl := range created {
		if pl.emitsEvent {
			p.events = append(p.events, event{name: pl.name + ".created", plugin: pl})
		}
	}
	if opts.Plugins > 0 {
		p.services = []service{{name: "metrics", export: "metricsService", file: "src/server/services/metrics.ts"}}
	}

	// Middleware available to route files: the first plugin that has some.
	var guard string
	for _, pl := range created {
		if len(pl.middlewareKeys) > 0 {
			guard = pl.middlewareKeys[0]
			break
		}
	}

	nfiles := (opts.Routes + RoutesPerFile - 1) / RoutesPerFile
	for f := range nfiles {
		pl := created[f%len(created)]
		round := f / len(created)
		prefix := pl.name
		if round > 0 {
			if round < len(routerSuffixes) {
				prefix += routerSuffixes[round]
			} else {
				prefix += "Extra" + strconv.Itoa(round)
			}
		}
		r := &router{prefix: prefix, varName: serverCamel(prefix) + "Router", file: "src/server/routes/" + prefix + ".ts", plugin: pl}
		r.chained = rng.Intn(2) == 0
		n := RoutesPerFile
		if f == nfiles-1 && opts.Routes%RoutesPerFile != 0 {
			n = opts.Routes % RoutesPerFile
		}
		if guard != "" && rng.Intn(3) == 0 && n > 1 {
			r.middleware = guard
			r.guardFrom = 1 + rng.Intn(n-1)
		}
		start := rng.Intn(numTemplates)
		for k := 0; k < n; k++ {
			t := (start + k) % numTemplates
			name := templateNames[t]
			if k >= numTemplates {
				name += strconv.Itoa(k/numTemplates + 1)
			}
			rt := &route{name: name, kind: "typed", tmpl: t, style: rng.Intn(3)}
			if t == tmplPing {
				rt.kind = "raw"
			}
			rt.guarded = r.middleware != "" && k >= r.guardFrom
			r.routes = append(r.routes, rt)
		}
		p.routers = append(p.routers, r)
	}
	return p
}

func buildMigrations(pl *plugin, n int, rng *rand.Rand) {
	if n == 0 {
		return
	}
	main := &table{name: pl.name, columns: []*column{
		{name: "id", sqlType: "text", notNull: true, pk: true},
		{name: "name", sqlType: "text", notNull: true},
	}}
	for _, i := range rng.Perm(len(firstColumns))[:rng.Intn(3)] {
		c := firstColumns[i]
		main.columns = append(main.columns, &c)
	}
	main.columns = append(main.columns, &column{name: "created_at", sqlType: "text", notNull: true, hasDflt: true, dfltExpr: `"CURRENT_TIMESTAMP"`})
	pl.main = main
	pl.migrations = append(pl.migrations, migration{file: fmt.Sprintf("001_create_%s.ts", pl.name), kind: migCreateMain})

	later := rng.Perm(len(laterColumns))
	for i := 2; i <= n; i++ {
		kind := migAddColumn
		switch r := rng.Intn(6); {
		case r == 0 && pl.notes == nil:
			kind = migCreateNotes
		case r == 1:
			kind = migIndex
		}
		if kind == migAddColumn && len(pl.extraCols) >= len(laterColumns) {
			kind = migIndex
		}
		m := migration{kind: kind}
		switch kind {
		case migAddColumn:
			c := laterColumns[later[len(pl.extraCols)]]
			m.col = &c
			pl.extraCols = append(pl.extraCols, &c)
			main.columns = append(main.columns, &c)
			m.file = fmt.Sprintf("%03d_add_%s_%s.ts", i, pl.singular, c.name)
		case migCreateNotes:
			pl.notes = &table{name: pl.singular + "_notes", columns: []*column{
				{name: "id", sqlType: "integer", notNull: true, pk: true, autoInc: true},
				{name: pl.singular + "_id", sqlType: "text", notNull: true},
				{name: "body", sqlType: "text", notNull: true},
				{name: "created_at", sqlType: "text", notNull: true, hasDflt: true, dfltExpr: `"CURRENT_TIMESTAMP"`},
			}}
			m.file = fmt.Sprintf("%03d_create_%s_notes.ts", i, pl.singular)
		case migIndex:
			m.file = fmt.Sprintf("%03d_index_%s_%d.ts", i, pl.name, i)
		}
		pl.migrations = append(pl.migrations, m)
	}
}
