// Package nvim_test runs the Neovim plugin in a real headless Neovim against
// the real donkeyls binary and a fixture project: each test materializes a
// project, starts `nvim --headless -u NONE` with the plugin on the
// runtimepath and one Lua scenario from test/, and reports the step that
// failed, what it expected and what came.
package nvim_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/donkeyls/donkeyls/internal/fixture"
	"github.com/donkeyls/donkeyls/internal/navcase"
	"github.com/donkeyls/donkeyls/internal/testenv"
)

// scenarioTimeout bounds one Neovim run; every wait inside the scenario has
// its own, shorter, timeout, so this only fires when Neovim itself hangs.
const scenarioTimeout = 3 * time.Minute

// exitSkip is the exit code a scenario uses to say that what it tests is not
// available in this server (it prints why).
const exitSkip = 77

func pluginDir() string { return filepath.Join(testenv.RepoRoot(), "editors", "nvim") }

// run is one finished scenario.
type run struct {
	output  string
	logPath string
	result  string // the scenario's result file, "" if it wrote none
}

// scenario runs test/<name>.lua in headless Neovim with the given project
// and environment. It fails the test with the scenario's own report when
// Neovim exits non-zero, and kills Neovim (and everything it started) when
// it outlives scenarioTimeout.
func scenario(t *testing.T, name, root string, env map[string]string) run {
	t.Helper()
	nvim := testenv.Nvim(t)
	bin := testenv.Binary(t)

	tmp := t.TempDir()
	logPath := filepath.Join(tmp, "donkeyls.log")
	resultPath := filepath.Join(tmp, "result.json")
	script := filepath.Join(pluginDir(), "test", name+".lua")

	ctx, cancel := context.WithTimeout(context.Background(), scenarioTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, nvim, "--headless", "-u", "NONE", "-i", "NONE", "-n",
		"--cmd", "set rtp^="+pluginDir(),
		"-c", "luafile "+script)
	cmd.Dir = root
	// A home of its own: no user config, shada, swap or LSP log leaks in
	// or out.
	home := filepath.Join(tmp, "home")
	cmd.Env = append(os.Environ(),
		"HOME="+home,
		"XDG_CONFIG_HOME="+filepath.Join(home, "config"),
		"XDG_DATA_HOME="+filepath.Join(home, "data"),
		"XDG_STATE_HOME="+filepath.Join(home, "state"),
		"XDG_CACHE_HOME="+filepath.Join(home, "cache"),
		"DONKEYLS_TEST_ROOT="+root,
		"DONKEYLS_TEST_BIN="+bin,
		"DONKEYLS_TEST_LOG="+logPath,
		"DONKEYLS_TEST_RESULT="+resultPath,
	)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	// Its own process group, so a timeout kills the language server and
	// any dev supervisor with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	out := &testenv.Output{}
	cmd.Stdout = out
	cmd.Stderr = out

	err := cmd.Run()
	pgid := 0
	if cmd.Process != nil {
		pgid = cmd.Process.Pid
	}
	t.Cleanup(func() {
		if pgid > 0 {
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
		}
	})
	r := run{output: out.String(), logPath: logPath}
	if b, rerr := os.ReadFile(resultPath); rerr == nil {
		r.result = string(b)
	}

	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("scenario %s: Neovim did not finish within %s and was killed; its output (the last STEP is where it hung):\n%s%s",
			name, scenarioTimeout, indent(r.output), logTail(logPath))
	case errors.As(err, &ee) && ee.ExitCode() == exitSkip:
		t.Skipf("scenario %s skipped: %s", name, lastLine(r.output))
	case err != nil:
		t.Fatalf("scenario %s failed (%v):\n%s%s", name, err, indent(r.output), logTail(logPath))
	}
	if !strings.Contains(r.output, "PASS") {
		t.Fatalf("scenario %s exited 0 without reporting PASS:\n%s", name, indent(r.output))
	}
	t.Logf("scenario %s:\n%s", name, indent(r.output))
	waitGroupGone(t, pgid)
	return r
}

// waitGroupGone checks that quitting Neovim left no process of its group
// behind (the language server exits when the editor does).
func waitGroupGone(t *testing.T, pgid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Errorf("processes of Neovim's group %d still run 10s after it quit:\n%s", pgid, groupMembers(pgid))
}

func groupMembers(pgid int) string {
	out, _ := exec.Command("ps", "-o", "pid,pgid,stat,args", "-g", fmt.Sprint(pgid)).CombinedOutput()
	return string(out)
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return "    (no output)\n"
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ") + "\n"
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func logTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 60 {
		lines = lines[len(lines)-60:]
	}
	return "donkeyls log (tail):\n" + indent(strings.Join(lines, "\n"))
}

// staleShop writes the shop-stale fixture (its registry and one plugin
// schema are stale) and a typegen script that rewrites those outputs with
// what `donkeylabs generate` writes.
func staleShop(t *testing.T) (root, regen string) {
	t.Helper()
	root = fixture.Project(t, "shop-stale")
	return root, fixture.RegenerateScript(t, "shop-stale", root)
}

// freshShop is the shop fixture, every output fresh.
func freshShop(t *testing.T) string {
	t.Helper()
	return fixture.Project(t, "shop")
}

// TestRegenerateClearsStaleRegistry: the first half. The plugin
// file shows the stale registry diagnostic at the ndjson handler key (on
// the line shop-stale marks); "Regenerate types" from
// Neovim's code action menu runs the typegen command through the server,
// and the diagnostic clears.
func TestRegenerateClearsStaleRegistry(t *testing.T) {
	root, regen := staleShop(t)
	scenario(t, "regenerate", root, map[string]string{"DONKEYLS_TEST_REGEN": regen})
	b, err := os.ReadFile(filepath.Join(root, "src/server/plugins/orders/schema.ts"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "notes: string | null;") {
		t.Errorf("after regenerating, orders/schema.ts lacks the notes column; the typegen command did not run")
	}
}

// TestStatuslineFromTheServer: the statusline and :DonkeyStatus render the
// server's donkeyls/status: its stale count, a status it sends whatever the
// diagnostics say, generating then up to date around Regenerate, failed.
func TestStatuslineFromTheServer(t *testing.T) {
	root, regen := staleShop(t)
	scenario(t, "status", root, map[string]string{"DONKEYLS_TEST_REGEN": regen})
}

// TestClientStartedElsewhere: with a server started as the README's
// nvim-lspconfig configuration does and setup({ autostart = false }), the
// commands use that server and no second one starts.
func TestClientStartedElsewhere(t *testing.T) {
	root, regen := staleShop(t)
	scenario(t, "foreign", root, map[string]string{"DONKEYLS_TEST_REGEN": regen})
}

// extractResult is what the extract scenario reports about the action it
// applied.
type extractResult struct {
	Title   string `json:"title"`
	Kind    string `json:"kind"`
	Via     string `json:"via"` // "edit" or "command"
	Created []string
	Applied []struct {
		Applied       bool   `json:"applied"`
		FailureReason string `json:"failureReason"`
	} `json:"applyEdits"`
	CommandOK *bool `json:"commandOk"`
}

// TestExtractToPlugin: the second half. On route admin.salesReport,
// which queries ctx.db directly, the refactor.extract action creates a
// plugin holding the query, makes the route call it and registers the
// plugin in the server entry; Neovim applies the edit (when the server
// sends it with workspace/applyEdit, Neovim's own reply must satisfy it).
func TestExtractToPlugin(t *testing.T) {
	root := freshShop(t)
	before := pluginDirs(t, root)
	r := scenario(t, "extract", root, nil)
	checkExtraction(t, root, before, r.result, "")
}

// TestExtractThroughApplyEdit: the command form of the refactoring. The
// server computes the edit and sends it with workspace/applyEdit; Neovim's
// own handler applies it and answers in its own way ({applied = true}), and
// the server must read that answer as success and report it.
func TestExtractThroughApplyEdit(t *testing.T) {
	root := freshShop(t)
	before := pluginDirs(t, root)
	r := scenario(t, "extract", root, map[string]string{"DONKEYLS_TEST_EXTRACT_VIA": "command"})
	checkExtraction(t, root, before, r.result, "reports")
}

// checkExtraction checks what the extract scenario reported and the files it
// left: one new plugin (named wantName when given) holding the moved query,
// the route calling it, the entry registering it.
func checkExtraction(t *testing.T, root string, before []string, result, wantName string) {
	t.Helper()
	var res extractResult
	if err := json.Unmarshal([]byte(result), &res); err != nil {
		t.Fatalf("the scenario's result %q: %v", result, err)
	}
	if wantName != "" && (res.Via != "command" || len(res.Applied) != 1) {
		t.Errorf("want the edit to arrive through one workspace/applyEdit, got via %q with %d applyEdit requests", res.Via, len(res.Applied))
	}
	t.Logf("applied %q (%s) via %s", res.Title, res.Kind, res.Via)
	if res.Via == "command" {
		if len(res.Applied) == 0 {
			t.Errorf("the action ran a command, but the server never sent workspace/applyEdit")
		}
		for _, a := range res.Applied {
			if !a.Applied {
				t.Errorf("Neovim did not apply the server's edit: %s", a.FailureReason)
			}
		}
		if res.CommandOK == nil || !*res.CommandOK {
			t.Errorf("the extract command failed after Neovim answered workspace/applyEdit (see the scenario output)")
		}
	}

	after := pluginDirs(t, root)
	var added []string
	for _, d := range after {
		if !contains(before, d) {
			added = append(added, d)
		}
	}
	if len(added) != 1 {
		t.Fatalf("plugin folders before %v, after %v: want exactly one new plugin", before, after)
	}
	name := added[0]
	if wantName != "" && name != wantName {
		t.Errorf("new plugin folder %q, want %q (the name passed to the command)", name, wantName)
	}
	plugin := read(t, filepath.Join(root, "src/server/plugins", name, "index.ts"))
	export := regexp.MustCompile(`export\s+const\s+(\w+Plugin)\s*=\s*createPlugin`).FindStringSubmatch(plugin)
	if export == nil {
		t.Fatalf("the new plugin %s/index.ts has no `export const xPlugin = createPlugin...` (the generator would not find it):\n%s", name, plugin)
	}
	if !strings.Contains(plugin, fmt.Sprintf("name: %q", name)) {
		t.Errorf("the new plugin does not declare name: %q:\n%s", name, plugin)
	}
	for _, moved := range []string{`selectFrom("orders")`, `"total_cents"`, `"cancelled"`} {
		if !strings.Contains(plugin, moved) {
			t.Errorf("the new plugin lacks the moved query part %s:\n%s", moved, plugin)
		}
	}

	route := read(t, filepath.Join(root, "src/server/routes/admin.ts"))
	report := routeText(route, "salesReport")
	if strings.Contains(report, "ctx.db") || strings.Contains(report, "selectFrom") {
		t.Errorf("route salesReport still queries the database itself:\n%s", report)
	}
	if !strings.Contains(report, "ctx.plugins."+name+".") {
		t.Errorf("route salesReport does not call ctx.plugins.%s:\n%s", name, report)
	}

	entry := read(t, filepath.Join(root, "src/server/index.ts"))
	if !regexp.MustCompile(`import\s*\{\s*` + export[1] + `\s*\}\s*from\s*"\./plugins/` + name + `(/index(\.ts)?)?"`).MatchString(entry) {
		t.Errorf("the server entry does not import %s from ./plugins/%s:\n%s", export[1], name, entry)
	}
	if !regexp.MustCompile(`\.registerPlugin\(\s*` + export[1] + `\s*\)`).MatchString(entry) {
		t.Errorf("the server entry does not register %s:\n%s", export[1], entry)
	}
}

// TestOnSaveTypegen: typegen.onSave, changed from "off" to "always" while
// the server runs, reaches it, so writing the stale plugin buffer runs the
// typegen command and the diagnostic clears without any command.
func TestOnSaveTypegen(t *testing.T) {
	root, regen := staleShop(t)
	scenario(t, "onsave", root, map[string]string{"DONKEYLS_TEST_REGEN": regen})
}

// TestTypegenFailureOnSaveShownOnce: a failing on-save typegen run is told
// once, on one line that fits the command line (a longer one stops Neovim at
// "Press ENTER"); the whole message is in :DonkeyStatus.
func TestTypegenFailureOnSaveShownOnce(t *testing.T) {
	root, _ := staleShop(t)
	scenario(t, "typegenfail", root, nil)
}

// TestRestartFailureSaysTheCauseOnce: :DonkeyRestart of a dev server whose
// command is not installed says so in one notification.
func TestRestartFailureSaysTheCauseOnce(t *testing.T) {
	scenario(t, "restartfail", freshShop(t), nil)
}

// TestLspConfigFor011: lsp/donkeyls.lua is on the runtimepath and gives
// what vim.lsp.config/vim.lsp.enable need (filetypes, root_dir(bufnr, on_dir),
// the project's settings at initialize); a client started from it, without
// setup(), serves the plugin's commands.
func TestLspConfigFor011(t *testing.T) {
	root, _ := staleShop(t)
	scenario(t, "lspconfig011", root, nil)
}

// TestNewMigrationInTheEditor: `:edit` of a migration that does not exist
// yet, typed and written, gets the stale schema diagnostic like one that was on disk.
func TestNewMigrationInTheEditor(t *testing.T) {
	scenario(t, "newfile", freshShop(t), nil)
}

// TestCommands: :DonkeyDev opens `donkeyls dev` in a terminal split,
// :DonkeyRestart restarts it through the supervisor, :DonkeyStatus reports
// it, :DonkeyRegenerate in an untrusted project is refused with the server's
// reason, and a buffer outside any project starts nothing.
func TestCommands(t *testing.T) {
	root := freshShop(t)
	untrusted := freshShop(t)
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "loose.ts"), []byte("export const x = 1;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	marker := filepath.Join(t.TempDir(), "dev-starts")
	scenario(t, "commands", root, map[string]string{
		"DONKEYLS_TEST_UNTRUSTED": untrusted,
		"DONKEYLS_TEST_OUTSIDE":   outside,
		"DONKEYLS_TEST_MARKER":    marker,
	})
	// Quitting Neovim ends the dev terminal, and the supervisor takes its
	// server group with it.
	pids := strings.Fields(read(t, marker))
	if len(pids) != 2 {
		t.Fatalf("dev server starts %v, want 2 (the first and the restart)", pids)
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, p := range pids {
		var pid int
		if _, err := fmt.Sscan(p, &pid); err != nil {
			t.Fatalf("marker line %q: %v", p, err)
		}
		for syscall.Kill(pid, 0) == nil && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if syscall.Kill(pid, 0) == nil {
			t.Errorf("dev server %d still runs after Neovim quit", pid)
		}
	}
}

// TestSetupAndRoots: option validation messages and project root finding
// (config file, flat layout, node_modules, nested projects).
func TestSetupAndRoots(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"app/donkeylabs.config.ts":                       "export default {}\n",
		"app/src/server/plugins/users/index.ts":          "export const usersPlugin = 1;\n",
		"app/node_modules/@donkeylabs/server/index.ts":   "export {};\n",
		"app/packages/admin/donkeylabs.config.ts":        "export default {}\n",
		"app/packages/admin/src/server/index.ts":         "export {};\n",
		"legacy/plugins/users/index.ts":                  "export const usersPlugin = 1;\n",
		"legacy/registry.d.ts":                           "// generated\n",
		"plain/src/index.ts":                             "export {};\n",
		"plain/plugins/x/index.ts":                       "export {};\n",
		"app/src/server/plugins/users/migrations/a.ts":   "export {};\n",
		"legacy/plugins/users/migrations/001_initial.ts": "export {};\n",
	}
	for p, content := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	scenario(t, "setup", dir, nil)
}

func pluginDirs(t *testing.T, root string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(root, "src/server/plugins"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	slices.Sort(out)
	return out
}

func contains(list []string, s string) bool {
	return slices.Contains(list, s)
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	return string(b)
}

// routeText is the text of route name's call, up to the next route.
func routeText(src, name string) string {
	start := strings.Index(src, `.route("`+name+`")`)
	if start < 0 {
		return ""
	}
	rest := src[start+1:]
	if end := strings.Index(rest, `.route("`); end >= 0 {
		return src[start : start+1+end]
	}
	return src[start:]
}

// TestHelpFile: :helptags accepts doc/donkeyls.txt (no duplicate or
// malformed tags) and :help finds every command and setup().
func TestHelpFile(t *testing.T) {
	nvim := testenv.Nvim(t)
	dir := t.TempDir()
	fixture.CopyTree(t, filepath.Join(pluginDir(), "doc"), filepath.Join(dir, "doc"))
	lua := `
local ok, err = pcall(vim.cmd, "helptags " .. vim.fn.fnameescape(DIR .. "/doc"))
if not ok or vim.v.errmsg ~= "" then
  io.stderr:write("helptags: " .. tostring(err) .. " " .. vim.v.errmsg .. "\n")
  vim.cmd("cquit 1")
end
for _, tag in ipairs({ ":DonkeyRegenerate", ":DonkeyRestart", ":DonkeyDev", ":DonkeyStatus",
    ":DonkeyLspRestart", ":DonkeyTrust", ":DonkeyUntrust", "donkeyls-trust", "donkeyls.setup()", "donkeyls-settings", "donkeyls-lspconfig", "donkeyls-navigation", "donkeyls-keys" }) do
  local found, herr = pcall(vim.cmd, "help " .. tag)
  if not found or vim.fn.expand("%:t") ~= "donkeyls.txt" then
    io.stderr:write(":help " .. tag .. " did not open donkeyls.txt: " .. tostring(herr) .. "\n")
    vim.cmd("cquit 1")
  end
  vim.cmd("helpclose")
end
vim.cmd("qall!")
`
	script := filepath.Join(dir, "help.lua")
	if err := os.WriteFile(script, []byte("local DIR = "+luaString(dir)+"\n"+lua), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, nvim, "--headless", "-u", "NONE", "-i", "NONE", "-n",
		"--cmd", "set rtp^="+dir, "-c", "luafile "+script)
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_CONFIG_HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_STATE_HOME="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("checking the help file: %v\n%s", err, indent(string(out)))
	}
}

// luaString quotes s as a Lua string literal.
func luaString(s string) string {
	return "[==[" + s + "]==]"
}

// TestHelpAfterInstall: with nothing but the README's install step (the
// plugin folder on the runtimepath), `:help donkeyls` opens the help: the
// plugin ships doc/tags (it used to fail with E149). The shipped tags must be
// what :helptags makes of the current doc/donkeyls.txt.
func TestHelpAfterInstall(t *testing.T) {
	nvim := testenv.Nvim(t)
	dir := t.TempDir()
	lua := `
for _, tag in ipairs({ "donkeyls", "donkeyls.setup()", ":DonkeyRegenerate" }) do
  local ok, err = pcall(vim.cmd, "help " .. tag)
  if not ok or vim.fn.expand("%:t") ~= "donkeyls.txt" then
    io.stderr:write(":help " .. tag .. ": " .. tostring(err) .. "\n")
    vim.cmd("cquit 1")
  end
  vim.cmd("helpclose")
end
vim.cmd("qall!")
`
	script := filepath.Join(dir, "help.lua")
	if err := os.WriteFile(script, []byte(lua), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, nvim, "--headless", "-u", "NONE", "-i", "NONE", "-n",
		"--cmd", "set rtp^="+pluginDir(), "-c", "luafile "+script)
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_CONFIG_HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_STATE_HOME="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf(":help after the README's install: %v\n%s", err, indent(string(out)))
	}

	fresh := filepath.Join(dir, "fresh")
	fixture.CopyTree(t, filepath.Join(pluginDir(), "doc"), filepath.Join(fresh, "doc"))
	os.Remove(filepath.Join(fresh, "doc", "tags"))
	gen := exec.CommandContext(ctx, nvim, "--headless", "-u", "NONE", "-i", "NONE", "-n",
		"-c", "helptags "+filepath.Join(fresh, "doc"), "-c", "qall!")
	gen.Env = cmd.Env
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("helptags: %v\n%s", err, out)
	}
	if got, want := read(t, filepath.Join(pluginDir(), "doc", "tags")), read(t, filepath.Join(fresh, "doc", "tags")); got != want {
		t.Errorf("editors/nvim/doc/tags is stale; regenerate it with\n  nvim --headless -u NONE -c 'helptags editors/nvim/doc' -c q\nshipped:\n%s\nfresh:\n%s", got, want)
	}
}

// TestCheckhealthReportsTheUsersBuffer: :checkhealth donkeyls runs with its
// own report as the current buffer; it must report on the project of the
// file the user ran it from (it used to say "no donkeylabs project").
func TestCheckhealthReportsTheUsersBuffer(t *testing.T) {
	nvim := testenv.Nvim(t)
	root := freshShop(t)
	dir := t.TempDir()
	report := filepath.Join(dir, "report.txt")
	lua := `
vim.cmd("edit " .. vim.fn.fnameescape(ROOT .. "/src/server/index.ts"))
vim.cmd("checkhealth donkeyls")
vim.fn.writefile(vim.api.nvim_buf_get_lines(0, 0, -1, false), REPORT)
vim.cmd("qall!")
`
	script := filepath.Join(dir, "health.lua")
	if err := os.WriteFile(script, []byte("local ROOT = "+luaString(root)+"\nlocal REPORT = "+luaString(report)+"\n"+lua), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, nvim, "--headless", "-u", "NONE", "-i", "NONE", "-n",
		"--cmd", "set rtp^="+pluginDir(), "-c", "luafile "+script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_CONFIG_HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_STATE_HOME="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("checkhealth: %v\n%s", err, indent(string(out)))
	}
	got := read(t, report)
	real, _ := filepath.EvalSymlinks(root)
	if !strings.Contains(got, "OK: project of ") || !(strings.Contains(got, ": "+root+"\n") || strings.Contains(got, ": "+real+"\n")) {
		t.Errorf("the report does not name the project %s of the buffer it was run from:\n%s", root, got)
	}
	if strings.Contains(got, "in no donkeylabs project") {
		t.Errorf("the report looked at the health buffer:\n%s", got)
	}
}

// TestTrustPrompt: with the default setup(), a repository whose gen:types
// script creates a file never creates it until the user trusts the project
// (asked once, with vim.ui.select); trusted, on-save typegen runs it; a
// changed script is asked about again and does not run when the answer is
// "Not now".
func TestTrustPrompt(t *testing.T) {
	bun := testenv.Bun(t)
	root := freshShop(t)
	pwned := filepath.Join(t.TempDir(), "pwned")
	pwned2 := filepath.Join(t.TempDir(), "pwned-after-the-script-changed")
	pkgPath := filepath.Join(root, "package.json")
	pkg := read(t, pkgPath)
	script, _ := json.Marshal(fmt.Sprintf("touch %q", pwned))
	edited := strings.Replace(pkg, `"gen:types": "donkeylabs generate"`, `"gen:types": `+string(script), 1)
	if edited == pkg {
		t.Fatal("fixture moved: no gen:types script")
	}
	if err := os.WriteFile(pkgPath, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	scenario(t, "trust", root, map[string]string{
		"DONKEYLS_TEST_PWNED":  pwned,
		"DONKEYLS_TEST_PWNED2": pwned2,
		"PATH":                 filepath.Dir(bun) + ":" + os.Getenv("PATH"),
	})
	if _, err := os.Stat(pwned2); !os.IsNotExist(err) {
		t.Errorf("the changed gen:types script ran without being trusted: %s exists (%v)", pwned2, err)
	}
}

// TestNavigation runs the navigation case (internal/navcase) in Neovim with
// the keys the README's "Keys" section maps, its snippet run as written:
// `gd` from ctx.plugins.notes.list puts the cursor on the list method, `grr`
// lists the references, `K` shows the route's middleware, and `grn` then
// `:wall` leave exactly the expected files, after which `donkeyls check`
// reports only staleness.
func TestNavigation(t *testing.T) {
	nc := navcase.New(t)
	keys := filepath.Join(t.TempDir(), "keys.lua")
	if err := os.WriteFile(keys, []byte(readmeLua(t, "### Keys")), 0o644); err != nil {
		t.Fatal(err)
	}
	scenario(t, "navigation", nc.Root, map[string]string{
		"DONKEYLS_TEST_NAVCASE": nc.WriteJSON(t),
		"DONKEYLS_TEST_KEYS":    keys,
	})
	nc.CheckRenamed(t)
	nc.CheckOnlyStaleness(t)
}

// readmeLua is the first Lua code block of the README after the line
// heading: what a user copies from that section.
func readmeLua(t *testing.T, heading string) string {
	t.Helper()
	readme := read(t, filepath.Join(pluginDir(), "README.md"))
	i := strings.Index(readme, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("the README has no %q section", heading)
	}
	rest := readme[i:]
	start := strings.Index(rest, "\n```lua\n")
	if start < 0 {
		t.Fatalf("the README's %q section has no lua block", heading)
	}
	rest = rest[start+len("\n```lua\n"):]
	end := strings.Index(rest, "\n```\n")
	if end < 0 {
		t.Fatalf("the README's %q lua block is not closed", heading)
	}
	return rest[:end+1]
}

// TestHelpKeysAsReadme: the keys snippet of :help donkeyls-keys is the
// README's, which TestNavigation runs, so the help never shows an untested
// variant.
func TestHelpKeysAsReadme(t *testing.T) {
	help := read(t, filepath.Join(pluginDir(), "doc", "donkeyls.txt"))
	i := strings.Index(help, "*donkeyls-keys*")
	if i < 0 {
		t.Fatal("the help has no *donkeyls-keys* tag")
	}
	rest := help[i:]
	start := strings.Index(rest, ">lua\n")
	end := strings.Index(rest, "\n<\n")
	if start < 0 || end < start {
		t.Fatal("the help's keys section has no >lua ... < block")
	}
	var b strings.Builder
	for line := range strings.SplitSeq(strings.Trim(rest[start+len(">lua\n"):end], "\n"), "\n") {
		b.WriteString(strings.TrimPrefix(line, "    ") + "\n")
	}
	if want := readmeLua(t, "### Keys"); b.String() != want {
		t.Errorf("the help's keys snippet differs from the README's:\n%s\nREADME:\n%s", b.String(), want)
	}
}
