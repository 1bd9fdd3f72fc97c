// Package facts turns one TypeScript file into small immutable values: the
// plugins, routes, migrations, registrations, events and services it defines,
// and what a generated output declares. Facts are computed once per file
// version; the project model joins them without reparsing anything.
//
// Every extractor degrades instead of failing: a file that does not parse
// yields what can still be read, and a value that cannot be read reliably is
// marked unknown (the *Known flags) rather than reported as absent.
package facts

import "github.com/donkeyls/donkeyls/analysis"

// Kind says how a file is read. The project decides it from the path and
// the config; Extract never guesses it from content.
type Kind int

const (
	KindSource    Kind = iota // any project TypeScript: plugins, routes, entry, events, services
	KindMigration             // <plugin>/migrations/*.ts
	KindConfig                // donkeylabs.config.ts
	KindRegistry              // <outDir>/registry.d.ts
	KindContext               // <outDir>/context.d.ts
	KindEvents                // <outDir>/events.ts
	KindRoutes                // <outDir>/routes.ts
	KindProcesses             // <outDir>/processes.ts
	KindClient                // the generated client
	KindSchema                // <plugin>/schema.ts, generated from migrations
)

func (k Kind) String() string {
	switch k {
	case KindSource:
		return "source"
	case KindMigration:
		return "migration"
	case KindConfig:
		return "config"
	case KindRegistry:
		return "registry"
	case KindContext:
		return "context"
	case KindEvents:
		return "events"
	case KindRoutes:
		return "routes"
	case KindProcesses:
		return "processes"
	case KindClient:
		return "client"
	case KindSchema:
		return "schema"
	}
	return "unknown"
}

// IsGenerated reports whether files of this kind are written by the generator.
func (k Kind) IsGenerated() bool { return k >= KindRegistry }

// File is everything known about one version of one file.
type File struct {
	Path string
	Kind Kind
	// Hash fingerprints the exact bytes; equal hashes mean equal facts.
	Hash uint64
	// CodeHash fingerprints the code tokens with comments and whitespace
	// left out: equal CodeHash means a process that loaded either version
	// behaves the same. The supervisor records it for every file a server
	// start loads; the language server compares buffers against it.
	CodeHash uint64
	// Size in bytes of the content the facts were read from.
	Size int
	// Missing is set for a path the project expects but that does not exist.
	Missing bool
	// Unreadable is set when the content is not text (binary, NUL bytes) or
	// is too large to analyze; such a file contributes nothing but its hash.
	Unreadable bool
	// SyntaxErrors is set when the parser recovered from errors. Facts read
	// from inside an error region are marked unknown by their extractor.
	SyntaxErrors bool
	// FirstError is where the first syntax error is, when SyntaxErrors.
	FirstError analysis.Range
	// StaleFacts is set when the content did not parse and the facts are
	// those of the last version that did (editor buffers mid-edit).
	StaleFacts bool
	// GitBlob is git's blob id of the content, for migrations and plugin
	// files (index.ts) only: an applied migration that changed since HEAD
	// is never re-run, and a plugin file unchanged since HEAD has HEAD's
	// name.
	GitBlob string
	// GitBlobLF is the blob id of the content with CRLF line ends made LF,
	// set only when it differs: with core.autocrlf git stores that one.
	GitBlobLF string

	Imports  []Import
	TopLevel []Decl

	// Gen is what `donkeylabs generate` would read from this file with
	// its own regular expressions and rules, which differ from the syntax
	// tree in ways users trip over (see the generator traps); nil when it
	// reads nothing, as in four files of five (its 112 bytes inline were a
	// quarter of every File). Read it through Generator.
	Gen *GeneratorView

	Plugins []Plugin
	Routers []Router
	Routes  []Route

	// ClientCalls are calls through a member chain of plain names,
	// `api.books.list(...)`: the candidates for calls of the generated
	// client in app code. Which are routes depends on the other files.
	ClientCalls []ClientCall
	// ReExports are the export statements that forward other modules'
	// bindings (see Rare.Mounts).
	ReExports []ReExport

	// Rare holds what most files lack: the entry's registrations, mounts
	// and servers, events and services, the request-time traps' facts and
	// the names navigation follows. It is nil when a file has none of them,
	// which at 5,000 plugins is 23,000 of 25,000 files and 14 MB less than
	// holding them inline. Read them through the methods of File named
	// after them, which answer for a nil Rare.
	Rare *Rare

	Migration *Migration
	Config    *Config
	Generated *Generated
}

// Rare is the part of a File most files leave empty (see File.Rare). A
// Rare whose every field is zero is never kept: File.Rare is nil instead.
type Rare struct {
	// Aliases are top-level `const Alias = Name` with an identifier value:
	// the same object under a second name (a router mounted through one).
	Aliases []ImportName

	Registrations []Registration
	Events        []Event
	Services      []Service

	// MiddlewareUses are the names of `<x>.middleware.<name>(...)` calls,
	// wherever they stand (a chain or a statement of its own), with the
	// range of the name: navigation follows them to the plugin's key.
	MiddlewareUses []Key
	// EventUses are the string-literal first arguments of `.emit("…")`
	// and `.on("…")` calls, range with the quotes. Any receiver counts;
	// only names that some defineEvents declares are linked to it.
	EventUses []EventUse
	// TableUses are the table and column names written as strings in
	// Kysely queries on a context's db (`ctx.db.selectFrom("books")
	// .where("author", ...)`), in a route handler or a plugin.
	TableUses []TableUse
	// NamedCalls are the process names written as strings:
	// `processes.register({ name: "x" })`, `processes.spawn("x")` (job
	// names are in Jobs).
	NamedCalls []NamedCall

	// Mounts are `.use(x)` and `.router(x)` calls; Servers the
	// `new AppServer(...)` expressions; StdoutWrites the console calls that
	// write to stdout when the file is imported. With File.ReExports they
	// model what running the entry in generate mode serves and prints.
	Mounts       []Mount
	Servers      []Key
	StdoutWrites []StdoutWrite
	// ProcessRegistrations are the process definitions registered on the
	// core processes service (processes.ts is generated from those the
	// generate run prints).
	ProcessRegistrations []ProcessRegistration
	// MiddlewarePushes are the `.middleware.<name>()` calls with their
	// routers; RouteStacks the middleware routes really run where this
	// file alone decides it.
	MiddlewarePushes []MiddlewareUse
	RouteStacks      []RouteStack
	// CronSchedules are the literal cron expressions scheduled.
	CronSchedules []CronSchedule
	// EventCalls are emit/on/once/off calls on an events service with a
	// literal name; EventsUnknown is set when a defineEvents here cannot
	// be read, so any name may be declared.
	EventCalls    []EventUse
	EventsUnknown bool
	// ServiceRegs are the `registerService(...)` calls; Jobs the job
	// names registered and used through a jobs service; Workflows the
	// `workflow("name")...` builder chains (see runtime.go).
	ServiceRegs []ServiceReg
	Jobs        JobFacts
	Workflows   []Workflow
	// PatchesRouteBuilder is set when the file touches
	// RouteBuilder.prototype: it may add handler methods the framework's
	// builder lacks.
	PatchesRouteBuilder bool
}

// Import is one import declaration.
type Import struct {
	Spec      string // the module specifier as written
	SpecRange analysis.Range
	Range     analysis.Range // the whole declaration
	TypeOnly  bool
	Default   string
	Namespace string
	Names     []ImportName
}

// ImportName is one `{ Name as Alias }` binding; Alias is Name when absent.
type ImportName struct {
	Name     string
	Alias    string
	TypeOnly bool
}

// Decl is a top-level declaration: what the file defines and whether another
// file may import it.
type Decl struct {
	Name     string
	Kind     string // "const", "let", "var", "function", "class", "type", "interface", "enum"
	Exported bool
	Range    analysis.Range // the whole declaration statement
}

// GeneratorView mirrors the generator's own reading of a file.
type GeneratorView struct {
	// PluginExport is the first `export const <x>Plugin =` name, as the
	// generator's regex finds it; "" when it finds none.
	PluginExport string
	// PluginName is the `name: "..."` the generator's regex reads; "" when
	// its regex fails and it falls back to the folder name.
	PluginName string
	// PluginNameMiss says why the regex missed the name, when it did.
	PluginNameMiss NameMiss
	// HandlerKeys and MiddlewareKeys are the keys the generator collects
	// from every `handlers:` / `middleware:` property in the file.
	HandlerKeys    []string
	MiddlewareKeys []string
	// Services are `export const x = defineService("name", ...)` matches.
	Services []GeneratorService
}

// Generator is *f.Gen, or the zero view when the generator reads nothing
// from f.
func (f *File) Generator() GeneratorView {
	if f.Gen == nil {
		return GeneratorView{}
	}
	return *f.Gen
}

// NameMiss is the part of the generator's plugin-name regex
// (createPlugin(?:\.[\w<>(),\s]+)*\.define\s*\(\s*\{[^}]*name:\s*["'](\w+)["'])
// that fails on a file.
type NameMiss uint8

const (
	MissNone NameMiss = iota
	// MissNoDot: no "." right after createPlugin (the multi-line style
	// `createPlugin\n  .withSchema<DB>()`), so nothing matches.
	MissNoDot
	// MissChain: the chain before .define holds characters the regex does
	// not allow (an inline type with "{", ":", ";", quotes).
	MissChain
	// MissBrace: a "}" comes before `name:` inside define({...}).
	MissBrace
	// MissNotWord: the name is not made of letters, digits and "_".
	MissNotWord
)

// GeneratorService is one defineService the generator finds.
type GeneratorService struct {
	ExportName string
	Name       string
	ReturnType string
	// TypeAt is the byte offset of the `defineService<` the generator took
	// ReturnType from, -1 when it came from the factory's annotation or
	// there is none: its regex searches the rest of the file, so this is
	// always another call than the one matched.
	TypeAt int32
}

// Key is a named thing at a place.
type Key struct {
	Name  string
	Range analysis.Range
}

// Plugin is one `createPlugin...define({...})`.
type Plugin struct {
	ExportName  string // "" when not exported through a const
	ExportRange analysis.Range
	Exported    bool

	Name      string
	NameRange analysis.Range
	NameKnown bool
	// NameKeyRange is the `name` key itself, for edits that add a sibling key.
	NameKeyRange analysis.Range

	Dependencies []Key
	// DepsKnown is false when the array has spreads or computed entries.
	DepsKnown bool
	// DepsRange is the array literal; zero when there is no dependencies key.
	DepsRange analysis.Range

	HandlerKeys     []Key
	HandlersKnown   bool
	MiddlewareKeys  []Key
	MiddlewareKnown bool
	// MiddlewareObject is the object literal of an object-form
	// `middleware: {...}`, which the runtime never applies; zero otherwise.
	MiddlewareObject analysis.Range
	EventKeys        []Key
	// EventsUnknown is set when `events:` is not an object literal we can
	// read in full.
	EventsUnknown bool
	// CustomErrors are the entries of `customErrors: {...}`;
	// CustomErrorsKnown is false when that is not an object literal read in
	// full.
	CustomErrors      []CustomError
	CustomErrorsKnown bool
	// ErrorUses are the `ctx.core.errors.<Name>` accesses inside the
	// plugin's functions (a plugin's context has no `errors`).
	ErrorUses []Key

	// ServiceMethods are the keys of the object the service factory returns.
	ServiceMethods []Key
	// ServiceKnown is true only when that object is a plain literal with no
	// spreads or computed keys, so an absent method is really absent.
	ServiceKnown bool
	ServiceRange analysis.Range
	// ServiceHash fingerprints the service and init code; a change to it
	// means a running server still has the old code.
	ServiceHash uint64
	// OutsideServiceHash fingerprints the file's code with this plugin's
	// service function left out (0 when service is not a function): equal
	// before and after an edit means only the service body changed, which
	// donkeyls dev can apply in the running server (reload/hotplugin).
	OutsideServiceHash uint64
	// HasInit: the definition has an init member. The runtime hands init
	// the service it built at start, so that service cannot be swapped
	// under it.
	HasInit bool

	WithSchema bool
	WithConfig bool // the export is a factory: registerPlugin(x({...}))

	DefineRange analysis.Range // the whole define(...) call
	ObjectRange analysis.Range // the object literal passed to define

	// DepUses are `ctx.deps.<plugin>[.<method>]` inside the plugin.
	DepUses []MemberUse
	// DBTables are the tables queried through ctx.db inside the plugin.
	DBTables []Key
}

// CustomError is one `Name: { status, code, defaultMessage }` entry of a
// plugin's customErrors. Def is the source text of status, code and
// defaultMessage, the only fields the server reads, when all three are
// literals (or absent); "" otherwise.
type CustomError struct {
	Name  string
	Range analysis.Range
	Def   string
}

// MemberUse is `ctx.plugins.<Plugin>.<Method>` or `ctx.deps.<Plugin>.<Method>`.
type MemberUse struct {
	Plugin      string
	PluginRange analysis.Range
	Method      string // "" when the plugin service is used as a whole
	MethodRange analysis.Range
}

// Router is `createRouter("prefix")`.
type Router struct {
	Var    string // the variable it is assigned to, "" for an inline chain
	Prefix string
	Range  analysis.Range
	// PrefixKnown is false when the prefix is not a string literal.
	PrefixKnown bool
	// Versioned is set when the options argument gives (or may give) the
	// router a version: versioned routers may repeat route names.
	Versioned bool
	// Parent is set for `const c = parent.router("seg")`: the parent
	// router's variable; its routes reach the client with the parent's.
	Parent string
}

// Route is one `.route("name").<kind>({...})`.
type Route struct {
	RouterVar string
	Prefix    string
	Name      string
	FullName  string
	// PrefixKnown is false when the router the route hangs on cannot be
	// followed in this file (imported, built by a function, non-literal).
	PrefixKnown bool
	// Versioned is set when the route's router is (or may be) versioned.
	Versioned bool
	// AddHandler is set for `.route("n").addHandler("kind", config)`, the
	// only call that reaches a plugin's handler at runtime; Kind and
	// KindRange are then the literal's (with its quotes). (Beside the other
	// booleans: 280 bytes a route, not 288.)
	AddHandler bool
	NameRange  analysis.Range
	Kind       string // typed, raw, stream, sse, formData, html, or a plugin handler key
	KindRange  analysis.Range
	// CallRange spans `.route(...)` through the end of the handler call.
	CallRange analysis.Range
	// ConfigRange is the argument of the handler call (object or defineRoute(...)).
	ConfigRange analysis.Range
	Middleware  []string

	Input  *Schema
	Output *Schema

	Handle *Func
	// CtxUses are the members of the handler's context parameter it touches.
	CtxUses []CtxUse
	// DBTables are the tables its ctx.db queries name.
	DBTables []Key
}

// Schema is an input or output schema.
type Schema struct {
	Text  string
	Range analysis.Range
	// Ident is set when the schema is a bare identifier (a named constant).
	Ident string
	// Fields is the top-level shape when the schema is a z.object literal.
	Fields      []Field
	FieldsKnown bool
	// TSType is the TypeScript text the server prints for this schema in
	// generate mode, which the adapter writes into the client; TSKnown is
	// false when the source alone does not decide it.
	TSType  string
	TSKnown bool
	// ZodMain is set when the schema is built from zod's main entry
	// ("zod", not "zod/v3" or "zod/v4"), whose meaning depends on the
	// installed major version.
	ZodMain bool
}

// Field is one property of a z.object.
type Field struct {
	Name     string
	Type     string // "string", "number", "boolean", ... or "" when not primitive
	Optional bool
}

// Func is a handler function.
type Func struct {
	Range     analysis.Range
	BodyRange analysis.Range
	Params    []string
	Async     bool
	// ExprBody is set for `(...) => expr` without a block.
	ExprBody bool
}

// CtxUse is one `ctx.<Member>...` access in a route handler.
type CtxUse struct {
	Member      string // db, plugins, core, user, ip, requestId, errors, services, ...
	Range       analysis.Range
	Plugin      string // for ctx.plugins.<Plugin>
	PluginRange analysis.Range
	// Method is the member after the plugin (ctx.plugins.<p>.<Method>), or
	// the error of ctx.errors.<Method> and ctx.core.errors.<Method>.
	Method      string
	MethodRange analysis.Range
}

// Registration is `server.registerPlugin(x)` or `registerPlugin(x({...}))`.
type Registration struct {
	Ident string // the plugin export named; "" when the argument is anything else
	Range analysis.Range
	// Factory is set when the argument is a call: x({...}).
	Factory bool
	// Call is the whole registerPlugin(...) call; Stmt is the statement it
	// forms, zero when it is part of a larger expression.
	Call analysis.Range
	Stmt analysis.Range
	// Receiver is the source text the method is called on ("server"); ""
	// for a bare registerPlugin(...) call.
	Receiver string
}

// TableUse is one table or column named in a query. Column is "" for
// the table itself; Range is the string literal, quotes included.
type TableUse struct {
	Table  string
	Column string
	Range  analysis.Range
}

// NamedCall is one process name at a call of the core service.
type NamedCall struct {
	Kind   string // "process"
	Name   string
	Range  analysis.Range // the string literal, quotes included
	Method string         // register, spawn, getByName
	// Def is set for a registration, which defines the name.
	Def bool
}

// ClientCall is `<Root>.<Segs[0]>....<Segs[n-1]>(...)`, at least two
// segments, each with the range of its name.
type ClientCall struct {
	Root string
	Segs []Key
}

// Event is one entry of `defineEvents({...})` (or a plugin's `events`).
type Event struct {
	Name        string
	Range       analysis.Range
	Schema      string // source text of the schema
	SchemaRange analysis.Range
	// TSType is the schema's type as zod's own schema object describes it
	// (the translation Schema.TSType uses); TSKnown is false when the source
	// does not decide it.
	TSType  string
	TSKnown bool
}

// Service is `export const x = defineService("name", ...)`.
type Service struct {
	ExportName string
	Name       string
	Range      analysis.Range
	// NameRange is the name literal (the call's callee when there is none).
	NameRange analysis.Range
	// Exported is set for `export const x = defineService(...)`; TypeArgs
	// is the `<...>` of `defineService<"n", T>(...)`, zero when absent.
	Exported bool
	TypeArgs analysis.Range
}

// Migration is what a migration file does to the database.
type Migration struct {
	HasUp bool
	// DefaultUp: up is a member of the default-exported object. Kysely's
	// file provider (the generator) runs it; the server imports the module
	// and calls only a named `up` export, so it never does.
	DefaultUp bool
	// UpRange is the up function's name (or the function when unnamed).
	UpRange analysis.Range
	// Export is the default export statement when DefaultUp is set, and
	// NamedForm the same functions as named exports, which both the
	// generator and the server run ("" when a member cannot be moved).
	Export    analysis.Range
	NamedForm string
	Ops       []TableOp
	// Unknown lists what the analyzer could not follow; any entry makes the
	// plugin's schema verdict unknown.
	Unknown []Unknown
}

// Unknown is a construct that could not be analyzed.
type Unknown struct {
	Range  analysis.Range
	Reason string
}

// TableOpKind is what a schema-builder statement does.
type TableOpKind int

const (
	OpCreateTable TableOpKind = iota
	OpAlterTable
	OpDropTable
	OpRenameTable
)

// TableOp is one schema change.
type TableOp struct {
	Kind    TableOpKind
	Table   string
	NewName string // OpRenameTable
	Range   analysis.Range
	// TableRange is the table name's string literal; zero for raw SQL,
	// where Range is the statement.
	TableRange analysis.Range
	Add        []Column
	Drop       []string
	Rename     [][2]string // from, to
}

// Column is a column as a migration creates it.
type Column struct {
	Name    string
	Type    string // SQL type as written, lower-cased ("text", "integer", ...)
	NotNull bool
	// Nullable is known only when the builder says; primary keys are not null.
	PrimaryKey bool
	Range      analysis.Range
}

// Config is what donkeylabs.config.ts says, read statically: a key it leaves
// out is "" (project.Config is this type with the generator's defaults
// applied).
type Config struct {
	Plugins []string
	// PluginsKnown is false when the plugins value could not be read
	// statically (a variable, a function call) or is missing.
	PluginsKnown bool
	Routes       string
	OutDir       string
	Entry        string
	Adapter      string
	ClientOutput string
	// Unknown names keys whose values are not string literals.
	Unknown []string
	Range   analysis.Range // the config object
	// Ranges of individual keys' values, for findings about them.
	PluginRanges []analysis.Range
}

// Generated is what a generated output declares.
type Generated struct {
	// registry.d.ts
	RegistryPlugins []RegistryEntry
	Handlers        []string // AvailableHandlers minus typed/raw
	Middleware      []string // AvailableMiddleware
	// HandlersRange and MiddlewareRange are the AvailableHandlers and
	// AvailableMiddleware declarations.
	HandlersRange   analysis.Range
	MiddlewareRange analysis.Range
	// context.d.ts
	SchemaTerms []string // plugin names in DatabaseSchema
	Services    []string // AppServices keys
	// SchemaRange and ServicesRange are the DatabaseSchema and AppServices
	// declarations.
	SchemaRange   analysis.Range
	ServicesRange analysis.Range
	// schema.ts
	Tables []Table
	// events.ts
	Events []GeneratedEvent
	// client
	ClientRoutes []ClientRoute
	// routes.ts
	RouteSchemas []string
	// processes.ts: the ProcessRegistry members.
	Processes []Key
	// Parsed is false when the file is not in a form we recognise; analyzers
	// then say nothing about it rather than guess.
	Parsed bool
}

// RegistryEntry is one PluginRegistry member.
type RegistryEntry struct {
	Name       string
	ExportName string
	ImportPath string
	Range      analysis.Range
}

// Table is one table interface of a generated schema.ts.
type Table struct {
	Name    string
	Columns []Column
	Range   analysis.Range
}

// GeneratedEvent is one EventMap entry with its type text.
type GeneratedEvent struct {
	Name  string
	Type  string
	Range analysis.Range
}

// ClientRoute is one route method of the generated client.
//
// Its booleans sit together after the position: 144 bytes, not 152, for
// each of a client's routes.
type ClientRoute struct {
	Name        string
	Kind        string // typed, raw, stream, sse, formData, html
	Range       analysis.Range
	InputKnown  bool
	OutputKnown bool
	InputRecord bool // Record<string, never>: the route has no input schema
	OutputNone  bool // unknown: the route has no output schema
	Input       []Field
	Output      []Field
	// InputType and OutputType are the texts inside Expand<...>, as the
	// generator wrote them; "" when the client has no such type.
	InputType  string
	OutputType string
}

// SchemaVersion names the shape and meaning of File. Facts cached by one
// version are never read by another: bump it whenever an extractor would
// now read the same bytes differently. (Cached entries are also keyed by
// the binary's build id; this constant is what still separates versions
// when that id cannot be read.) 3: MiddlewareUses and EventUses
// (navigation); 4: MiddlewarePushes, RouteStacks, CronSchedules,
// EventCalls, EventsUnknown (request-time traps), Plugin.MiddlewareObject
// and Plugin.EventsUnknown; 5: Migration.DefaultUp, UpRange, Export,
// NamedForm, and .js/.mjs migrations; 6: a lone "\r" ends a line (LSP's
// rule), so positions after one moved; 7: Plugin.CustomErrors,
// Route.AddHandler, Service.NameRange/Exported/TypeArgs,
// GeneratorService.TypeAt, ServiceRegs, Jobs, Workflows,
// PatchesRouteBuilder (request-time traps, part 2); 8: Schema.TSType (the
// server's zod-to-TS text) and ZodMain, ClientRoute.InputType/OutputType,
// processes.ts entries, ProcessRegistrations, Aliases; 9:
// Plugin.OutsideServiceHash and HasInit (hot plugin reload); 10: TableUses,
// ClientCalls, TableOp.TableRange, EventUses with their method, RouteStacks
// for routes that run nothing, process NamedCalls, Plugin.ErrorUses,
// CtxUse.Method of ctx.errors (navigation); 11: Event.SchemaRange,
// TSType, TSKnown (event-type-lossy), GitBlob of index.ts files (plugin
// renames); 12: analysis.Pos and GeneratorService.TypeAt hold int32 (the
// encoded bytes are the same; the decoder rejects what no longer fits); 13:
// the fields most files lack moved into File.Rare; 14: File.Gen, a pointer
// (the generator's view of most files is empty), and the booleans of
// ClientRoute and Route beside each other.
const SchemaVersion = "14"
