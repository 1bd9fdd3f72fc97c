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
	for _, k := range f.MiddlewareUses {
		mw = append(mw, k.Name+"="+textAt(t, src, k.Range))
	}
	if got, want := join(mw), "authRequired=authRequired rateLimit=rateLimit"; got != want {
		t.Errorf("middleware uses: got %q, want %q", got, want)
	}
	var ev []string
	for _, k := range f.EventUses {
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
