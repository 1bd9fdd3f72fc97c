package supervisor

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/donkeyls/donkeyls/internal/fixture"
	"github.com/donkeyls/donkeyls/internal/testenv"
	"github.com/donkeyls/donkeyls/reload/classify"
	"github.com/donkeyls/donkeyls/reload/control"
	"github.com/donkeyls/donkeyls/reload/watch"
)

// These tests run the fixture app under reload/testdata/app with a real Bun
// as the dev server and assert what a developer would see: which process
// answers HTTP, and what it answers.

const waitLimit = 30 * time.Second

type app struct {
	t          testing.TB
	root       string
	port       int
	bun        string
	typegenLog string
	out        *testenv.Output
	sup        *Supervisor
	stop       context.CancelFunc
	done       chan error
}

type hello struct {
	Pid      int    `json:"pid"`
	Greeting string `json:"greeting"`
	// ViaDeps is counter's call of greeter through its ctx.deps.
	ViaDeps string `json:"viaDeps"`
	// Notes counts the rows of an in-memory SQLite table made at start.
	Notes int    `json:"notes"`
	Route string `json:"route"`
}

type appConfig struct {
	hot     bool
	watch   bool
	env     []string
	options func(*Options)
	// prepare changes the copied fixture before the supervisor starts.
	prepare func(root string)
}

// startApp copies the fixture and supervises it.
func startApp(t testing.TB, cfg appConfig) *app {
	t.Helper()
	bun := testenv.Bun(t)
	root := t.TempDir()
	fixture.CopyTree(t, filepath.Join("..", "testdata", "app"), root)
	if cfg.prepare != nil {
		cfg.prepare(root)
	}
	a := &app{t: t, root: root, port: testenv.FreePort(t), bun: bun,
		typegenLog: filepath.Join(t.TempDir(), "typegen.log"), out: &testenv.Output{}, done: make(chan error, 1)}

	argv := []string{bun, "run", "src/server/index.ts"}
	if cfg.hot {
		argv = []string{bun, "--hot", "run", "src/server/index.ts"}
	}
	if cfg.watch {
		argv = []string{bun, "--watch", "run", "src/server/index.ts"}
	}
	ctx, cancel := context.WithCancel(context.Background())
	opts := Options{
		Root:       root,
		Command:    argv,
		DevServer:  DevServerOf(argv, nil),
		Typegen:    fmt.Sprintf("'%s' scripts/generate.ts", bun),
		Port:       a.port,
		Grace:      3 * time.Second,
		Classifier: classify.New(ctx, root, nil),
		Env: append([]string{
			"PORT=" + strconv.Itoa(a.port),
			"TYPEGEN_LOG=" + a.typegenLog,
		}, cfg.env...),
		Stdout: a.out,
		Stderr: a.out,
	}
	if cfg.options != nil {
		cfg.options(&opts)
	}
	// Typegen inherits our environment.
	t.Setenv("TYPEGEN_LOG", a.typegenLog)
	for _, kv := range cfg.env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	sup, err := New(opts)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	a.sup, a.stop = sup, cancel
	go func() { a.done <- sup.Run(ctx) }()
	t.Cleanup(func() {
		a.shutdown()
		if t.Failed() {
			t.Logf("donkeyls dev output:\n%s", a.out.String())
		}
	})
	a.waitHello("the first server to answer", func(h hello) bool { return h.Pid > 0 })
	return a
}

func (a *app) shutdown() {
	a.stop()
	select {
	case err := <-a.done:
		if err != nil {
			a.t.Errorf("Run: %v", err)
		}
		a.done <- nil // later calls return at once
	case <-time.After(waitLimit):
		a.t.Errorf("the supervisor did not stop within %s", waitLimit)
	}
}

func (a *app) path(rel string) string { return filepath.Join(a.root, filepath.FromSlash(rel)) }

// edit replaces old with new in a file, as an editor's save does.
func (a *app) edit(rel, old, new string) {
	a.t.Helper()
	b, err := os.ReadFile(a.path(rel))
	if err != nil {
		a.t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		a.t.Fatalf("%s does not contain %q", rel, old)
	}
	if err := os.WriteFile(a.path(rel), bytes.Replace(b, []byte(old), []byte(new), 1), 0o644); err != nil {
		a.t.Fatal(err)
	}
}

func (a *app) get() (hello, error) {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/api.hello", a.port))
	if err != nil {
		return hello{}, err
	}
	defer resp.Body.Close()
	var h hello
	if resp.StatusCode != http.StatusOK {
		return h, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return h, json.NewDecoder(resp.Body).Decode(&h)
}

// waitHello polls the app until its answer satisfies ok.
func (a *app) waitHello(what string, ok func(hello) bool) hello {
	a.t.Helper()
	deadline := time.Now().Add(waitLimit)
	var last hello
	var lastErr error
	for time.Now().Before(deadline) {
		last, lastErr = a.get()
		if lastErr == nil && ok(last) {
			return last
		}
		time.Sleep(20 * time.Millisecond)
	}
	a.t.Fatalf("timed out after %s waiting for %s; last answer %+v, error %v", waitLimit, what, last, lastErr)
	return last
}

// waitLog waits until the supervisor's output contains s.
func (a *app) waitLog(s string) {
	a.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !strings.Contains(a.out.String(), s) {
		if time.Now().After(deadline) {
			a.t.Fatalf("timed out after %s waiting for %q in the output", waitLimit, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// settle gives the watcher and supervisor time to act on anything pending,
// so a test can assert that nothing more happens.
func (a *app) settle() { time.Sleep(800 * time.Millisecond) }

func (a *app) starts() int { return strings.Count(a.out.String(), "[dev] started pid") }

func (a *app) typegenRuns() int {
	b, err := os.ReadFile(a.typegenLog)
	if err != nil {
		return 0
	}
	return strings.Count(string(b), "\n")
}

func TestRouteBodyEditUnderHotKeepsThePid(t *testing.T) {
	a := startApp(t, appConfig{hot: true})
	before := a.waitHello("route v1", func(h hello) bool { return h.Route == "route v1" })
	a.edit("src/server/routes/api.ts", `route: "route v1"`, `route: "route v2"`)
	after := a.waitHello("bun --hot to serve route v2", func(h hello) bool { return h.Route == "route v2" })
	a.settle()
	if after.Pid != before.Pid {
		t.Errorf("route edit under bun --hot restarted the server: pid %d -> %d", before.Pid, after.Pid)
	}
	if n := a.starts(); n != 1 {
		t.Errorf("the server was started %d times, want 1", n)
	}
	if h, err := a.get(); err != nil || h.Pid != before.Pid {
		t.Errorf("after settling: %+v, %v; want pid %d", h, err, before.Pid)
	}
}

func TestRouteBodyEditUnderPlainBunRestarts(t *testing.T) {
	a := startApp(t, appConfig{})
	before := a.waitHello("route v1", func(h hello) bool { return h.Route == "route v1" })
	a.edit("src/server/routes/api.ts", `route: "route v1"`, `route: "route v2"`)
	after := a.waitHello("a new server with route v2", func(h hello) bool { return h.Route == "route v2" })
	if after.Pid == before.Pid {
		t.Errorf("route v2 served by the old pid %d without a restart", before.Pid)
	}
	a.settle()
	if n := a.starts(); n != 2 {
		t.Errorf("the server was started %d times, want 2", n)
	}
}

func TestPluginServiceEditRestarts(t *testing.T) {
	a := startApp(t, appConfig{hot: true})
	before := a.waitHello("service v1", func(h hello) bool { return strings.Contains(h.Greeting, "service v1") })
	a.edit("src/server/plugins/greeter/index.ts", "(service v1)", "(service v2)")
	// bun --hot runs the entry again, and the real AppServer (2.5.1) then
	// serves the new service too, but the servers of the earlier runs keep
	// their background services (a cron job in a plugin's init fired three
	// times a second after two saves): only a new process is clean.
	a.waitHello("a new server with service v2", func(h hello) bool {
		return h.Pid != before.Pid && strings.Contains(h.Greeting, "service v2")
	})
	a.waitLog("greeter/index.ts")
	a.waitLog("→ restart")
	if n := a.typegenRuns(); n != 0 {
		t.Errorf("typegen ran %d times for a service body edit, want 0", n)
	}
}

// Under bun --watch, Bun starts the program again for every saved file it
// imports: donkeyls dev must not restart on top, and the status must say the
// server runs the saved code (restart-required clears in the editor).
func TestPluginServiceEditUnderWatchLeavesTheReloadToBun(t *testing.T) {
	a := startApp(t, appConfig{watch: true})
	a.waitHello("service v1", func(h hello) bool { return strings.Contains(h.Greeting, "service v1") })
	plugin := a.path("src/server/plugins/greeter/index.ts")
	loadedBefore := a.sup.Status().Loaded[plugin]
	a.edit("src/server/plugins/greeter/index.ts", "(service v1)", "(service v2)")
	a.waitHello("bun --watch to serve service v2", func(h hello) bool { return strings.Contains(h.Greeting, "service v2") })
	a.waitLog("→ nothing: bun --watch reloads it itself")
	a.settle()
	if n := a.starts(); n != 1 {
		t.Errorf("the server was started %d times, want 1 (bun --watch reloads by itself)", n)
	}
	if got := a.sup.Status().Loaded[plugin]; got == loadedBefore || got == "" {
		t.Errorf("status still fingerprints the old plugin (%q, before %q): the editor would keep restart-required", got, loadedBefore)
	}
}

// The SvelteKit adapter's Vite plugin reloads no server code: a route edit
// must restart (it was left to the "hot" dev command, and the old route kept
// answering).
func TestRouteBodyEditUnderViteRestarts(t *testing.T) {
	a := startApp(t, appConfig{options: func(o *Options) { o.DevServer = ViteAdapter }})
	before := a.waitHello("route v1", func(h hello) bool { return h.Route == "route v1" })
	a.edit("src/server/routes/api.ts", `route: "route v1"`, `route: "route v2"`)
	after := a.waitHello("a new server with route v2", func(h hello) bool { return h.Route == "route v2" })
	if after.Pid == before.Pid {
		t.Errorf("route v2 served by the old pid %d without a restart", before.Pid)
	}
	a.waitLog("vite dev with the SvelteKit adapter does not reload it")
}

func TestNewHandlerKeyRunsTypegenOnceThenRestarts(t *testing.T) {
	a := startApp(t, appConfig{})
	before := a.waitHello("the first server", func(h hello) bool { return h.Pid > 0 })
	a.edit("src/server/plugins/greeter/index.ts",
		`echo: createHandler("echo"),`,
		`echo: createHandler("echo"),
    shout: createHandler("shout"),`)
	after := a.waitHello("a restarted server", func(h hello) bool { return h.Pid != before.Pid })
	a.settle()
	if n := a.typegenRuns(); n != 1 {
		t.Fatalf("typegen ran %d times, want exactly 1 (no loop on its own outputs)", n)
	}
	reg, err := os.ReadFile(a.path(".@donkeylabs/server/registry.d.ts"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(reg), `"shout"`) {
		t.Error("registry.d.ts was not regenerated with the new handler")
	}
	out := a.out.String()
	tg, rs := strings.Index(out, "typegen done"), strings.LastIndex(out, "[dev] started pid")
	if tg < 0 || rs < tg {
		t.Errorf("typegen did not finish before the restart (typegen done at %d, restart at %d)", tg, rs)
	}
	if n := a.starts(); n != 2 {
		t.Errorf("the server was started %d times, want 2", n)
	}
	if h, err := a.get(); err != nil || h.Pid != after.Pid {
		t.Errorf("the server changed again after settling: %+v, %v", h, err)
	}
}

func TestTenSavesWithin200msRestartOnce(t *testing.T) {
	a := startApp(t, appConfig{})
	a.waitHello("service v1", func(h hello) bool { return strings.Contains(h.Greeting, "service v1") })
	prev := "(service v1)"
	// When each save began and ended: on a loaded machine this test itself
	// can stall for longer than the debounce between two saves, and then
	// the supervisor is right to see two bursts.
	var began, ended []time.Time
	for i := 2; i <= 11; i++ {
		next := fmt.Sprintf("(service v%d)", i)
		began = append(began, time.Now())
		a.edit("src/server/plugins/greeter/index.ts", prev, next)
		ended = append(ended, time.Now())
		prev = next
		time.Sleep(18 * time.Millisecond)
	}
	a.waitHello("the last save to be served", func(h hello) bool { return strings.Contains(h.Greeting, "service v11") })
	a.settle()
	// A quiet time between two saves is at most from the start of one to
	// the end of the next.
	pauses := 0
	var timeline []string
	for i := range began {
		timeline = append(timeline, fmt.Sprintf("save %d: %s..%s", i+2, began[i].Sub(began[0]), ended[i].Sub(began[0])))
		if i > 0 && ended[i].Sub(began[i-1]) > watch.DefaultDebounce {
			pauses++
		}
	}
	if n := a.starts() - 1; n < 1 || n > 1+pauses {
		t.Errorf("ten saves caused %d restarts, want 1 (or one more per pause longer than the debounce: %d):\n%s",
			n, pauses, strings.Join(timeline, "\n"))
	}
}

// TestStalledSaveRestartsOnce: a save that truncates the plugin file and
// writes it a while later (an editor on a loaded machine) is one change to
// the new code, not a plugin removed (typegen, restart) and added again.
func TestStalledSaveRestartsOnce(t *testing.T) {
	a := startApp(t, appConfig{})
	a.waitHello("service v1", func(h hello) bool { return strings.Contains(h.Greeting, "service v1") })
	rel := "src/server/plugins/greeter/index.ts"
	b, err := os.ReadFile(a.path(rel))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(a.path(rel), 0); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * watch.DefaultDebounce) // the writer stalls between truncating and writing
	if err := os.WriteFile(a.path(rel), bytes.Replace(b, []byte("(service v1)"), []byte("(service v2)"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	a.waitHello("the saved code to be served", func(h hello) bool { return strings.Contains(h.Greeting, "service v2") })
	a.settle()
	if out := a.out.String(); strings.Contains(out, "removed") {
		t.Errorf("the half-done save was taken for a removed plugin")
	}
	if n := a.starts(); n != 2 {
		t.Errorf("one stalled save caused %d restarts, want 1", n-1)
	}
}

func TestCrashOnStartBacksOffAndRecovers(t *testing.T) {
	a := startApp(t, appConfig{options: func(o *Options) { o.BackoffMin = 500 * time.Millisecond }})
	first := a.waitHello("the first server", func(h hello) bool { return h.Pid > 0 })

	broken := `service: async (ctx) => {
    throw new Error("greeter cannot start: missing GREETING");
  },
  unused: async (ctx) => ({`
	a.edit("src/server/plugins/greeter/index.ts", "service: async (ctx) => ({", broken)
	a.waitLog("greeter cannot start: missing GREETING")
	a.waitLog("not before 500ms")
	if st := a.sup.Status(); st.State != control.StateCrashed {
		t.Errorf("state after a crash on start = %q, want crashed", st.State)
	}
	// Still broken: the next crash backs off longer.
	a.edit("src/server/plugins/greeter/index.ts", "missing GREETING", "missing GREETING again")
	a.waitLog("not before 1s")

	a.edit("src/server/plugins/greeter/index.ts", `throw new Error("greeter cannot start: missing GREETING again");`, `return { greet: (who: string) => "hello " + who + " (fixed)" };`)
	fixed := a.waitHello("the fixed server", func(h hello) bool { return strings.Contains(h.Greeting, "(fixed)") })
	if fixed.Pid == first.Pid {
		t.Errorf("the fixed server has the first server's pid %d", first.Pid)
	}
	// The supervisor marks the server running once it has seen it up, which
	// may come a moment after the first HTTP answer the test sees.
	deadline := time.Now().Add(waitLimit)
	st := a.sup.Status()
	for (st.State != control.StateRunning || st.Pid != fixed.Pid) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		st = a.sup.Status()
	}
	if st.State != control.StateRunning || st.Pid != fixed.Pid {
		t.Errorf("status after recovery = %+v, want running pid %d", st, fixed.Pid)
	}
	out := a.out.String()
	if !strings.Contains(out, "exit code 1") {
		t.Error("the crash report does not give the exit code")
	}
}

func TestFileOutsideTheImportGraphDoesNothing(t *testing.T) {
	a := startApp(t, appConfig{})
	before := a.waitHello("the first server", func(h hello) bool { return h.Pid > 0 })
	a.edit("src/server/scratch.ts", `"audit log"`, `"audit log", "metrics"`)
	a.waitLog("scratch.ts: not imported by the server → nothing")
	a.settle()
	if h, err := a.get(); err != nil || h.Pid != before.Pid {
		t.Errorf("editing a file the server does not import changed the server: %+v, %v", h, err)
	}
}

func TestHelperImportedByTheEntryRestarts(t *testing.T) {
	a := startApp(t, appConfig{})
	before := a.waitHello("the first server", func(h hello) bool { return h.Pid > 0 })
	a.edit("src/server/settings.ts", `appName: "greeter"`, `appName: "greeter-2"`)
	a.waitHello("a restarted server", func(h hello) bool { return h.Pid != before.Pid })
	a.waitLog("src/server/settings.ts: ")
	a.waitLog("→ restart")
}

func TestSaveWithoutChangeDoesNothing(t *testing.T) {
	a := startApp(t, appConfig{})
	before := a.waitHello("the first server", func(h hello) bool { return h.Pid > 0 })
	a.edit("src/server/plugins/greeter/index.ts", "(service v1)", "(service v1)")
	a.settle()
	if h, err := a.get(); err != nil || h.Pid != before.Pid {
		t.Errorf("a save that changed nothing restarted the server: %+v, %v", h, err)
	}
	if strings.Contains(a.out.String(), "greeter/index.ts") {
		t.Errorf("a save that changed nothing printed a decision:\n%s", a.out.String())
	}
}

func TestFailedTypegenWithholdsTheRestart(t *testing.T) {
	a := startApp(t, appConfig{env: []string{"TYPEGEN_FAIL_IF=BROKEN"}})
	before := a.waitHello("the first server", func(h hello) bool { return h.Pid > 0 })
	if err := os.WriteFile(a.path("BROKEN"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	a.edit("src/server/plugins/greeter/index.ts", `echo: createHandler("echo"),`, `echo: createHandler("echo"), shout: createHandler("shout"),`)
	a.waitLog("typegen failed")
	a.waitLog("not restarting with stale types")
	a.settle()
	if h, err := a.get(); err != nil || h.Pid != before.Pid {
		t.Errorf("the server restarted after typegen failed: %+v, %v", h, err)
	}
	// The user fixes what broke the generator and saves: typegen, then the owed restart.
	if err := os.Remove(a.path("BROKEN")); err != nil {
		t.Fatal(err)
	}
	a.edit("src/server/plugins/greeter/index.ts", "(service v1)", "(service v2)")
	after := a.waitHello("the restart after typegen succeeds", func(h hello) bool { return strings.Contains(h.Greeting, "service v2") })
	if after.Pid == before.Pid {
		t.Error("no restart after the fix")
	}
	reg, _ := os.ReadFile(a.path(".@donkeylabs/server/registry.d.ts"))
	if !strings.Contains(string(reg), `"shout"`) {
		t.Error("the restart happened without regenerating the types first")
	}
}

func TestControlSocket(t *testing.T) {
	a := startApp(t, appConfig{})
	first := a.waitHello("the first server", func(h hello) bool { return h.Pid > 0 })
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	c, err := control.Dial(ctx, a.root)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The supervisor marks the server running once it has seen it up, which
	// may come a moment after the first HTTP answer the test sees.
	var st control.Status
	for deadline := time.Now().Add(waitLimit); ; {
		st, err = c.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.State == control.StateRunning || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if st.Pid != first.Pid || st.State != control.StateRunning || st.StartedAt.IsZero() || st.LastRestartReason != "initial start" {
		t.Errorf("status = %+v, want running pid %d after the initial start", st, first.Pid)
	}
	plugin := a.path("src/server/plugins/greeter/index.ts")
	loadedHash, ok := st.LoadedHash(plugin)
	if !ok {
		t.Fatalf("status does not list the greeter plugin as loaded: %v", st.Loaded)
	}
	if _, ok := st.LoadedHash(a.path(".@donkeylabs/server/registry.d.ts")); ok {
		t.Error("status lists a generated file as loaded code")
	}

	if err := c.Restart(ctx, "restart from the editor"); err != nil {
		t.Fatal(err)
	}
	// Restart returns once the new server accepts connections.
	h, err := a.get()
	if err != nil || h.Pid == first.Pid {
		t.Fatalf("after Restart returned: %+v, %v; want a new pid answering", h, err)
	}
	st, err = c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Pid != h.Pid || st.LastRestartReason != "restart from the editor" {
		t.Errorf("status after restart = %+v", st)
	}

	// A comment-only edit changes nothing the server runs: the loaded hash still matches.
	a.edit("src/server/plugins/greeter/index.ts", "export const greeterPlugin", "// greets people\nexport const greeterPlugin")
	a.waitLog("greeter/index.ts")
	st, _ = c.Status(ctx)
	if got, _ := st.LoadedHash(plugin); got != loadedHash {
		t.Errorf("a comment-only edit changed the loaded code hash (%x -> %x)", loadedHash, got)
	}
	if st.Pid != h.Pid {
		t.Errorf("a comment-only edit restarted the server (pid %d -> %d)", h.Pid, st.Pid)
	}

	if err := c.Regenerate(ctx); err != nil {
		t.Fatal(err)
	}
	if n := a.typegenRuns(); n != 1 {
		t.Errorf("regenerate ran typegen %d times, want 1", n)
	}
}
