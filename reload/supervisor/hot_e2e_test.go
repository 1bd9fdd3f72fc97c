package supervisor

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/donkeyls/donkeyls/reload/classify"
	"github.com/donkeyls/donkeyls/reload/control"
)

// Hot plugins, end to end: real Bun running the fixture app, whose stand-in
// framework has the real PluginManager's shape (server 2.5.1: a services
// map handed to requests as ctx.plugins, ctx.deps built per plugin at init,
// function middleware resolved once into _resolvedMiddleware and looked up
// per request).
//
// The same scenario against the real framework (server 2.5.1, Bun 1.4.5,
// 2026-12-01: a copy of examples/bookshop with /tmp/entryfw/node_modules,
// DATABASE_URL=:memory:, `donkeyls dev` with the real generator):
//   - status hotPlugins "on": the preload found @donkeylabs/server 2.5.1,
//     PluginManager (getServices() === services) and PluginContext;
//   - users.register, then users.me (through orders' authRequired middleware,
//     which calls ctx.deps.users.getById): "Ann";
//   - an edit of users' getById body: `[dev] reloaded plugin "users" in
//     place in pid 2751 in 11ms (rebuilt: users, orders)`; users.me answered
//     "Ann (v2)" from the same pid, the user registered before still in the
//     in-memory database;
//   - a service that throws on construction: `plugin "users" not reloaded,
//     the old service keeps answering: plugin "users"'s service threw:
//     Error: users: no database today` plus its frame; users.me still "Ann
//     (v2)"; removing the throw applied v3 in place (3ms);
//   - a handler key added to books: typegen (1.9 s), then a restart (new
//     pid; the in-memory user gone: users.me answered UNAUTHORIZED);
//   - a service edit in audit (a configured plugin with an init): `plugin
//     "audit": only its service body changed, but plugin "audit" has an
//     init, which holds the service built at start → restart` (before the
//     HasInit fact, the preload refused it with the same reason); an edit
//     of its init restarted directly; users afterwards still reloaded in
//     place in the new server (8ms, users and orders rebuilt).

const greeterFile = "src/server/plugins/greeter/index.ts"

func startHotApp(t testing.TB) *app {
	t.Helper()
	a := startApp(t, appConfig{options: func(o *Options) { o.HotPlugins = true }})
	a.waitStatus("hot plugins on", func(st control.Status) bool { return st.HotPlugins == "on" })
	return a
}

// waitStatus polls the supervisor's status until ok.
func (a *app) waitStatus(what string, ok func(control.Status) bool) control.Status {
	a.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		st := a.sup.Status()
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("timed out after %s waiting for the status to show %s; last %+v", waitLimit, what, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stamp is what counter's middleware adds to a request that runs it.
func (a *app) stamp() string {
	a.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/api.hello", a.port), nil)
	req.Header.Set("x-middleware", "stamp")
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		a.t.Fatalf("request through the middleware: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		a.t.Fatalf("request through the middleware: HTTP %d", resp.StatusCode)
	}
	return resp.Header.Get("x-stamp")
}

// codeHash is what the editor compares Status.Loaded with: the file's code
// as it is on disk now.
func (a *app) codeHash(rel string) string {
	a.t.Helper()
	h, ok := classify.New(context.Background(), a.root, nil).Loaded()[a.path(rel)]
	if !ok {
		a.t.Fatalf("%s is not a project source file", rel)
	}
	return control.FormatHash(h)
}

func TestHotPluginServiceEditKeepsTheProcess(t *testing.T) {
	a := startHotApp(t)
	before := a.waitHello("service v1", func(h hello) bool { return strings.Contains(h.Greeting, "(service v1)") })
	if before.Notes != 3 || !strings.Contains(before.ViaDeps, "(service v1)") {
		t.Fatalf("fixture answers %+v, want 3 notes and counter's ctx.deps.greeter at v1", before)
	}
	plugin := a.path(greeterFile)
	loadedBefore := a.sup.Status().Loaded[plugin]

	a.edit(greeterFile, "(service v1)", "(service v2)")
	after := a.waitHello("service v2", func(h hello) bool { return strings.Contains(h.Greeting, "(service v2)") })
	if after.Pid != before.Pid {
		t.Errorf("a service edit restarted the server: pid %d -> %d", before.Pid, after.Pid)
	}
	if after.Notes != 3 {
		t.Errorf("the in-memory table made at start has %d rows after the reload, want 3 (the process state was lost)", after.Notes)
	}
	if !strings.Contains(after.ViaDeps, "(service v2)") {
		t.Errorf("the dependent's ctx.deps.greeter still runs the old code: %q", after.ViaDeps)
	}
	if stamp := a.stamp(); !strings.Contains(stamp, "(service v2)") {
		t.Errorf("counter's middleware, resolved at start with its service, still runs the old code: %q", stamp)
	}
	want := a.codeHash(greeterFile)
	a.waitStatus("the new plugin code as loaded", func(st control.Status) bool { return st.Loaded[plugin] == want })
	if want == loadedBefore {
		t.Fatalf("the edit did not change the code hash (%s)", want)
	}
	a.waitLog(`reloaded plugin "greeter" in place in pid`)
	a.settle()
	if n := a.starts(); n != 1 {
		t.Errorf("the server was started %d times, want 1", n)
	}
	if n := a.typegenRuns(); n != 0 {
		t.Errorf("typegen ran %d times for a service body edit, want 0", n)
	}
}

func TestHotPluginServiceThatThrowsKeepsTheOldOne(t *testing.T) {
	a := startHotApp(t)
	before := a.waitHello("service v1", func(h hello) bool { return strings.Contains(h.Greeting, "(service v1)") })
	plugin := a.path(greeterFile)
	loadedBefore := a.sup.Status().Loaded[plugin]

	a.edit(greeterFile, "service: async (ctx) => ({", `service: async (ctx) => (ctx.db ? (() => { throw new Error("no greetings today"); })() : {`)
	a.waitLog("the old service keeps answering")
	h, err := a.get()
	if err != nil || h.Pid != before.Pid || !strings.Contains(h.Greeting, "(service v1)") {
		t.Errorf("after a service that throws: %+v, %v; want pid %d still answering with service v1", h, err, before.Pid)
	}
	a.settle()
	out := a.out.String()
	if n := strings.Count(out, "no greetings today"); n != 1 {
		t.Errorf("the error is shown %d times, want once:\n%s", n, out)
	}
	st := a.sup.Status()
	if !strings.Contains(st.LastRestartReason, "no greetings today") {
		t.Errorf("status reason %q does not carry the error", st.LastRestartReason)
	}
	if !strings.Contains(st.HotFailed[plugin], "no greetings today") {
		t.Errorf("status hotFailed %q does not carry the error for the editor's restart-required", st.HotFailed)
	}
	if st.Loaded[plugin] != loadedBefore {
		t.Errorf("status fingerprints the code that failed (%s, was %s): restart-required would clear over a server running the old code", st.Loaded[plugin], loadedBefore)
	}

	a.edit(greeterFile, `(ctx.db ? (() => { throw new Error("no greetings today"); })() : {`, "({")
	a.edit(greeterFile, "(service v1)", "(service v2)")
	fixed := a.waitHello("service v2 once fixed", func(h hello) bool { return strings.Contains(h.Greeting, "(service v2)") })
	if fixed.Pid != before.Pid {
		t.Errorf("the fix restarted the server: pid %d -> %d", before.Pid, fixed.Pid)
	}
	want := a.codeHash(greeterFile)
	st = a.waitStatus("the fixed code as loaded", func(st control.Status) bool { return st.Loaded[plugin] == want })
	if len(st.HotFailed) != 0 {
		t.Errorf("the failure is still reported after the fix applied: %q", st.HotFailed)
	}
}

func TestHotPluginHandlerKeyEditStillRestarts(t *testing.T) {
	a := startHotApp(t)
	before := a.waitHello("service v1", func(h hello) bool { return strings.Contains(h.Greeting, "(service v1)") })
	a.edit(greeterFile, `echo: createHandler("echo"),`, `echo: createHandler("echo"),
    shout: createHandler("shout"),`)
	a.edit(greeterFile, "(service v1)", "(service v2)")
	after := a.waitHello("a new server with service v2", func(h hello) bool {
		return h.Pid != before.Pid && strings.Contains(h.Greeting, "(service v2)")
	})
	if after.Notes != 3 {
		t.Errorf("the restarted server has %d notes, want 3", after.Notes)
	}
	if strings.Contains(a.out.String(), "reload in place") {
		t.Errorf("a handler key edit was offered to hot plugins:\n%s", a.out.String())
	}
	// The new server is hot again.
	a.waitStatus("hot plugins on in the new server", func(st control.Status) bool { return st.Pid == after.Pid && st.HotPlugins == "on" })
}

// notes has an init, which was handed the service built at start: its
// service cannot be swapped under it, and an init edit is never applied in
// place (re-running it would schedule its jobs twice).
func TestHotPluginWithInitRestarts(t *testing.T) {
	a := startHotApp(t)
	before := a.waitHello("the first server", func(h hello) bool { return h.Notes == 3 })
	a.edit("src/server/plugins/notes/index.ts", "('one'), ('two'), ('three')", "('one'), ('two')")
	after := a.waitHello("a server with two notes", func(h hello) bool { return h.Notes == 2 })
	if after.Pid == before.Pid {
		t.Errorf("an init edit was applied without a restart")
	}
	a.edit("src/server/plugins/notes/index.ts", `AS n FROM notes").get()`, `AS n FROM notes WHERE body != 'one'").get()`)
	last := a.waitHello("a server counting one note", func(h hello) bool { return h.Notes == 1 })
	if last.Pid == after.Pid {
		t.Errorf("the service of a plugin with an init was swapped in place")
	}
	a.waitLog(`plugin "notes": only its service body changed, but plugin "notes" has an init, which holds the service built at start → restart`)
}

func TestHotPluginsOffForAnotherFrameworkShape(t *testing.T) {
	a := startApp(t, appConfig{options: func(o *Options) { o.HotPlugins = true }, prepare: func(root string) {
		pkg := root + "/src/server/package.json"
		b, err := os.ReadFile(pkg)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(pkg, []byte(strings.Replace(string(b), `"version": "2.5.1"`, `"version": "3.0.0"`, 1)), 0o644)
	}})
	st := a.waitStatus("hot plugins off", func(st control.Status) bool { return strings.HasPrefix(st.HotPlugins, "off: ") })
	if !strings.Contains(st.HotPlugins, "3.0.0") {
		t.Errorf("status %q does not say which version", st.HotPlugins)
	}
	before := a.waitHello("service v1", func(h hello) bool { return strings.Contains(h.Greeting, "(service v1)") })
	a.edit(greeterFile, "(service v1)", "(service v2)")
	after := a.waitHello("a new server with service v2", func(h hello) bool { return strings.Contains(h.Greeting, "(service v2)") })
	if after.Pid == before.Pid {
		t.Errorf("hot plugins reloaded in place although they reported themselves off")
	}
	a.waitStatus("hot plugins off in the new server", func(st control.Status) bool {
		return st.Pid == after.Pid && strings.HasPrefix(st.HotPlugins, "off: ")
	})
	if n := strings.Count(a.out.String(), "hot plugins off: "); n != 1 {
		t.Errorf("\"hot plugins off\" printed %d times over two starts, want once:\n%s", n, a.out.String())
	}
}
