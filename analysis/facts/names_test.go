package facts_test

import (
	"testing"

	"github.com/donkeyls/donkeyls/analysis/facts"
)

// Navigation follows middleware and event names to their definitions, so
// their uses must be kept wherever they stand, with the range of the name.
func TestMiddlewareAndEventUses(t *testing.T) {
	src := `import { createRouter } from "@donkeylabs/server";
const r = createRouter("books");
r.middleware.authRequired();
r.middleware.rateLimit().route("list").typed({
  handle: async (input, ctx) => {
    await ctx.core.events.emit("book.created", {});
    ctx.core.events.on(` + "`book.sold`" + `, () => {});
    ctx.core.events.emit(name);
    ctx.core.events.emit(` + "`book.${kind}`" + `);
    emit("bare");
    return r.middleware;
  },
});
`
	f := extract(t, "src/server/routes/books.ts", []byte(src), facts.KindSource)
	var mw []string
	for _, k := range f.MiddlewareUses() {
		mw = append(mw, k.Name+"="+textAt(t, src, k.Range))
	}
	if got, want := join(mw), "authRequired=authRequired rateLimit=rateLimit"; got != want {
		t.Errorf("middleware uses: got %q, want %q", got, want)
	}
	var ev []string
	for _, k := range f.EventUses() {
		ev = append(ev, k.Name+"="+textAt(t, src, k.Range))
	}
	// Computed names and a bare emit(...) (not a method of an emitter) are left out.
	if got, want := join(ev), "book.created=\"book.created\" book.sold=`book.sold`"; got != want {
		t.Errorf("event uses: got %q, want %q", got, want)
	}
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}

// Tables and columns named in Kysely queries on the context's db, with the
// range of each string: qualified names through the alias, array selects,
// the keys of values/set, and nothing unqualified after a join (it could
// be either table's) or on a db that is not the context's.
func TestTableUses(t *testing.T) {
	src := `import { createRouter } from "@donkeylabs/server";
const r = createRouter("books");
r.route("list").typed({
  handle: async (input, ctx) => {
    await ctx.db.selectFrom("books as b").select(["b.title", "author as a"]).where("year", ">", 1).execute();
    await ctx.db.insertInto("books").values({ id: "1", title }).execute();
    await ctx.db.updateTable("books").set({ stock: 1 }).where("id", "=", "1").execute();
    await ctx.db.selectFrom("orders").innerJoin("users as u", "u.id", "orders.user").select(["u.email", "total"]).execute();
    await other.db.selectFrom("ghosts").where("boo", "=", 1).execute();
    return [];
  },
});
`
	f := extract(t, "src/server/routes/books.ts", []byte(src), facts.KindSource)
	var got []string
	for _, u := range f.TableUses() {
		name := u.Table
		if u.Column != "" {
			name += "." + u.Column
		}
		got = append(got, name+"="+textAt(t, src, u.Range))
	}
	want := `books="books as b" books.title="b.title" books.author="author as a" books.year="year" ` +
		`books="books" books.id=id books.title=title ` +
		`books="books" books.stock=stock books.id="id" ` +
		`orders="orders" users="users as u" users.email="u.email"`
	if g := join(got); g != want {
		t.Errorf("table uses:\n got %s\nwant %s", g, want)
	}
}

// Calls through a plain member chain of two or more names are the client
// call candidates; the context's members, globals, computed members and
// one-segment calls are not.
func TestClientCalls(t *testing.T) {
	src := `const api = createApi();
await api.books.list({});
await client.admin.reports.sales({});
ctx.plugins.books.list();
console.log.bind(null);
api.single();
api["books"].list();
`
	f := extract(t, "src/lib/load.ts", []byte(src), facts.KindSource)
	var got []string
	for _, c := range f.ClientCalls {
		s := c.Root
		for _, seg := range c.Segs {
			s += "." + textAt(t, src, seg.Range)
		}
		got = append(got, s)
	}
	if g, want := join(got), "api.books.list client.admin.reports.sales"; g != want {
		t.Errorf("client calls: got %q, want %q", g, want)
	}
}
