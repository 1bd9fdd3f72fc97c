package facts_test

import (
	"strings"
	"testing"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/facts"
)

// textAt returns the source text a range covers, checking that its byte
// offsets agree with its line and column.
func textAt(t *testing.T, src string, r analysis.Range) string {
	t.Helper()
	start, end := int(r.Start.Offset), int(r.End.Offset)
	if start < 0 || end > len(src) || start > end {
		t.Fatalf("range %s (bytes %d-%d) is outside the source", r, r.Start.Offset, r.End.Offset)
	}
	lines := strings.Split(src[:start], "\n")
	if len(lines)-1 != int(r.Start.Line) || len(lines[len(lines)-1]) != int(r.Start.Col) {
		t.Errorf("range %s starts at byte %d, which is line %d col %d", r, r.Start.Offset, len(lines), len(lines[len(lines)-1])+1)
	}
	return src[start:end]
}

func TestRegistrationFacts(t *testing.T) {
	src := `import { AppServer } from "@donkeylabs/server";
import { usersPlugin } from "./plugins/users";
import { auditPlugin } from "./plugins/audit";
import * as plugins from "./plugins";

const server = new AppServer({ db });
server.registerPlugin(usersPlugin);
  server.registerPlugin(auditPlugin({ retentionDays: 90 }));
server.registerPlugin(plugins.orders);
const ok = check() && server.registerPlugin(usersPlugin);
`
	f := extract(t, "src/server/index.ts", []byte(src), facts.KindSource)
	if len(f.Registrations()) != 4 {
		t.Fatalf("want 4 registrations (the member-expression one kept without a name), got %d", len(f.Registrations()))
	}
	want := []struct {
		ident, receiver, stmt string
		factory               bool
	}{
		{"usersPlugin", "server", "server.registerPlugin(usersPlugin);", false},
		{"auditPlugin", "server", "server.registerPlugin(auditPlugin({ retentionDays: 90 }));", true},
		{"", "server", "server.registerPlugin(plugins.orders);", false},
		{"usersPlugin", "server", "", false},
	}
	for i, w := range want {
		r := f.Registrations()[i]
		if r.Ident != w.ident || r.Receiver != w.receiver || r.Factory != w.factory {
			t.Errorf("registration %d: got ident %q receiver %q factory %v, want %q %q %v", i, r.Ident, r.Receiver, r.Factory, w.ident, w.receiver, w.factory)
		}
		stmt := ""
		if !r.Stmt.IsZero() {
			stmt = textAt(t, src, r.Stmt)
		}
		if stmt != w.stmt {
			t.Errorf("registration %d: statement %q, want %q", i, stmt, w.stmt)
		}
		if got := textAt(t, src, r.Call); !strings.HasPrefix(got, "server.registerPlugin(") {
			t.Errorf("registration %d: call range covers %q", i, got)
		}
	}
	if col := f.Registrations()[1].Stmt.Start.Col; col != 2 {
		t.Errorf("indented statement starts at column %d, want 2", col)
	}
}

func TestRouteChainFacts(t *testing.T) {
	src := `import { createRouter } from "@donkeylabs/server";
import { shared } from "./shared";

const PREFIX = "dyn";
export const api = createRouter("api");
export const v2 = createRouter("books", { version: "2.0.0" });
export const old = createRouter("books", { deprecated: { sunset: "2027-01-01" } });
export const dyn = createRouter(PREFIX);
const sub = api.router("users");

api.router("shop").route("list").typed({ handle: async () => [] });
api.router("shop").router("admin").route("list").typed({ handle: async () => [] });
createRouter().router("top").route("ping").raw({ handle: async () => new Response("ok") });
v2.route("list").typed({ handle: async () => [] });
old.route("list").typed({ handle: async () => [] });
dyn.route("list").typed({ handle: async () => [] });
sub.route("get").typed({ handle: async () => null });
shared.route("get").typed({ handle: async () => null });
createRouter("inline", { version: "1.0.0" }).route("x").typed({ handle: async () => 1 });
`
	f := extract(t, "src/server/routes/api.ts", []byte(src), facts.KindSource)
	type want struct {
		full      string
		known     bool
		versioned bool
	}
	wants := []want{
		{"api.shop.list", true, false},
		{"api.shop.admin.list", true, false},
		{"top.ping", true, false},
		{"books.list", true, true},
		{"books.list", true, false},
		{"list", false, false},
		// const sub = api.router("users"): the server prefixes the child
		// with its parent's prefix (router.ts, Router.router).
		{"api.users.get", true, false},
		{"get", false, false},
		{"inline.x", true, true},
	}
	if len(f.Routes) != len(wants) {
		var got []string
		for _, r := range f.Routes {
			got = append(got, r.FullName)
		}
		t.Fatalf("got routes %v, want %d", got, len(wants))
	}
	for i, w := range wants {
		r := f.Routes[i]
		if r.FullName != w.full || r.PrefixKnown != w.known || r.Versioned != w.versioned {
			t.Errorf("route %d: got %q known=%v versioned=%v, want %q known=%v versioned=%v",
				i, r.FullName, r.PrefixKnown, r.Versioned, w.full, w.known, w.versioned)
		}
	}
	for _, r := range f.Routers {
		if r.Var == "dyn" && r.PrefixKnown {
			t.Errorf("createRouter(PREFIX) has a known prefix")
		}
		if r.Var == "v2" && !r.Versioned {
			t.Errorf("createRouter with a version is not versioned")
		}
	}
}

func TestPluginNameKeyRange(t *testing.T) {
	src := string(example(t, "src/server/plugins/users/index.ts"))
	f := extract(t, "users/index.ts", []byte(src), facts.KindSource)
	if len(f.Plugins) != 1 {
		t.Fatalf("want 1 plugin, got %d", len(f.Plugins))
	}
	pl := f.Plugins[0]
	if got := textAt(t, src, pl.NameKeyRange); got != "name" {
		t.Errorf("name key range covers %q", got)
	}
	if pl.NameKeyRange.Start.Line != pl.NameRange.Start.Line {
		t.Errorf("name key on line %d, its value on line %d", pl.NameKeyRange.Start.Line+1, pl.NameRange.Start.Line+1)
	}
}

// GitBlob must be git's own object id, or every committed migration would
// look edited.
func TestMigrationGitBlob(t *testing.T) {
	f := extract(t, "m/migrations/001_x.ts", []byte("hello\n"), facts.KindMigration)
	// `printf 'hello\n' | git hash-object --stdin`
	if f.GitBlob != "ce013625030ba8dba906f756967f9e9ca394464a" {
		t.Errorf("git blob id %q", f.GitBlob)
	}
	if f.GitBlobLF != "" {
		t.Errorf("LF content got a second, CRLF-normalized blob id")
	}
	// With core.autocrlf the work tree has CRLF and git stores LF.
	if crlf := extract(t, "m/migrations/001_x.ts", []byte("hello\r\n"), facts.KindMigration); crlf.GitBlobLF != f.GitBlob {
		t.Errorf("CRLF content normalizes to %q, want the LF blob %q", crlf.GitBlobLF, f.GitBlob)
	}
	if g := extract(t, "src/x.ts", []byte("hello\n"), facts.KindSource); g.GitBlob != "" {
		t.Errorf("a source file got a git blob id; only migrations are compared with HEAD")
	}
}
