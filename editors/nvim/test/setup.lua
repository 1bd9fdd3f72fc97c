-- Scenario: what setup() and the project search do without a server:
-- option mistakes are reported with what to change, projects are found by
-- the server's rules, and on Neovim before 0.9 a file created by an edit in
-- a folder that does not exist yet is still created.
local here = vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":p:h")
package.path = here .. "/?.lua;" .. package.path
local H = require("helpers")

local dir = H.env("DONKEYLS_TEST_ROOT")
local bin = H.env("DONKEYLS_TEST_BIN")

H.run(function()
  local donkeyls = require("donkeyls")
  local config = require("donkeyls.config")
  local root = require("donkeyls.root")
  local devmod = require("donkeyls.dev")
  local compat = require("donkeyls.compat")
  H.record_notifications()

  H.step("project roots")
  local cases = {
    { "app/src/server/plugins/users/index.ts", "app" },
    { "app/src/server/plugins/users/migrations/a.ts", "app" },
    { "app/donkeylabs.config.ts", "app" },
    { "app/packages/admin/src/server/index.ts", "app/packages/admin" },
    { "app/node_modules/@donkeylabs/server/index.ts", nil },
    { "legacy/plugins/users/index.ts", "legacy" },
    { "legacy/plugins/users/migrations/001_initial.ts", "legacy" },
    { "plain/src/index.ts", nil },
    { "plain/plugins/x/index.ts", nil },
  }
  for _, c in ipairs(cases) do
    local want = c[2] and (dir .. "/" .. c[2]) or nil
    local got = root.find(dir .. "/" .. c[1])
    H.check(got == want, c[1] .. " in project " .. tostring(want), tostring(got))
  end
  H.check(root.find("fugitive://" .. dir .. "/app/x.ts") == nil, "no project for a fugitive:// buffer", "one")

  H.step("option mistakes")
  local bad = {
    {
      { settings = { typegen = { onSave = "sometimes" } } },
      'settings.typegen.onSave must be "off", "whenStale" or "always", got "sometimes"',
    },
    { { settings = { typegen = { command = 42 } } }, "settings.typegen.command must be a string, got 42" },
    { { settings = { trusted = "yes" } }, 'settings.trusted must be a boolean or function, got "yes"' },
    { { cmd = {} }, "cmd must be a non-empty list of strings" },
    { { filetypes = "typescript" }, 'filetypes must be a list of strings, got "typescript"' },
    { { dev = { args = "--grace 2s" } }, "dev.args must be a list of strings" },
  }
  for _, b in ipairs(bad) do
    local opts, err = config.resolve(b[1])
    H.check(opts == nil and err and err:find(b[2], 1, true), "error " .. b[2], tostring(err))
  end
  H.check(donkeyls.setup({ settings = { typegen = { onSave = "sometimes" } } }) == false, "setup() to refuse", "it accepted")
  H.check(
    H.find_notification('onSave must be "off", "whenStale" or "always"') ~= nil,
    "a notification naming the bad setting",
    H.describe_notifications()
  )
  H.check(donkeyls.options() == nil, "no options kept from a refused setup()", vim.inspect(donkeyls.options()))

  H.step("the server command")
  local saved_path = vim.env.PATH
  vim.env.PATH = "/nonexistent"
  local cmd, err = config.server_cmd(config.resolve({}), dir)
  vim.env.PATH = saved_path
  H.check(cmd == nil and err:find("no donkeyls executable on PATH", 1, true), "a missing binary explained", tostring(err))
  -- The command it names must work: the module is not published, so no @latest.
  H.check(err:find("go install ./cmd/donkeyls", 1, true) and not err:find("@latest", 1, true), "an install command that works", tostring(err))
  cmd = config.server_cmd(config.resolve({ cmd = { bin, "serve" }, log_file = "/tmp/x.log" }), dir)
  H.check(
    vim.deep_equal(cmd, { bin, "serve", "--log", "/tmp/x.log" }),
    "cmd with --log",
    vim.inspect(cmd)
  )
  cmd, err = config.server_cmd(config.resolve({ cmd = { "/nonexistent/donkeyls" } }), dir)
  H.check(cmd == nil and err:find("not an executable", 1, true), "a bad cmd explained", tostring(err))

  H.step("settings sent to the server")
  local s = config.settings_for(config.resolve({}), dir)
  H.check(
    vim.json.encode(s) == '{"trusted":false}',
    "default settings sent as untrusted (no answer remembered for the project)",
    vim.json.encode(s)
  )
  local opts = config.resolve({
    settings = {
      typegen = { command = "bun run gen:types" },
      trusted = function(r)
        return r == dir .. "/app"
      end,
    },
  })
  H.check(config.settings_for(opts, dir .. "/app").trusted == true, "app trusted", "not")
  H.check(config.settings_for(opts, dir .. "/legacy").trusted == false, "legacy untrusted", "trusted")
  local s2, terr = config.settings_for(config.resolve({ settings = { trusted = function()
    error("boom")
  end } }), dir)
  H.check(s2.trusted == false and terr:find("boom", 1, true), "a failing trust function means untrusted, said", tostring(terr))

  H.step("capabilities")
  local caps = config.capabilities(config.resolve({}))
  H.check(caps.workspace.workspaceEdit.documentChanges == true, "documentChanges announced", vim.inspect(caps.workspace.workspaceEdit))
  H.check(
    vim.tbl_contains(caps.workspace.workspaceEdit.resourceOperations, "create"),
    "file creation announced",
    vim.inspect(caps.workspace.workspaceEdit)
  )
  H.check(caps.workspace.applyEdit == true, "applyEdit announced", vim.inspect(caps.workspace.applyEdit))

  H.step("the dev command line")
  local dopts = config.resolve({ dev = { args = { "--grace", "2s" }, command = { "bun", "run", "dev" } } })
  local line = devmod.command("/bin/donkeyls", dopts, { typegen = { command = "sh gen.sh" } }, "/p")
  H.check(
    vim.deep_equal(line, { "/bin/donkeyls", "dev", "--grace", "2s", "--typegen", "sh gen.sh", "/p", "--", "bun", "run", "dev" }),
    "dev flags, the typegen command, the root, -- and the dev command",
    vim.inspect(line)
  )
  line = devmod.command("/bin/donkeyls", config.resolve({ dev = { args = { "--typegen=make types" } } }), { typegen = { command = "x" } }, "/p")
  H.check(
    vim.deep_equal(line, { "/bin/donkeyls", "dev", "--typegen=make types", "/p" }),
    "an explicit --typegen wins",
    vim.inspect(line)
  )

  H.step("commands without a project")
  H.check(donkeyls.setup({ cmd = { bin, "serve" } }) == true, "setup() to accept the options", H.describe_notifications())
  for _, name in ipairs({ "DonkeyRegenerate", "DonkeyRestart", "DonkeyDev", "DonkeyStatus", "DonkeyLspRestart" }) do
    H.check(vim.fn.exists(":" .. name) == 2, ":" .. name .. " to exist", "it does not")
  end
  vim.cmd("enew")
  vim.cmd("DonkeyRegenerate")
  H.wait(2000, "a warning that there is no project", function()
    return H.find_notification("in no donkeylabs project") ~= nil
  end, H.describe_notifications)
  H.check(
    donkeyls.status_lines()[1]:find("no donkeylabs project", 1, true) ~= nil,
    ":DonkeyStatus to say there is no project",
    donkeyls.status_lines()[1]
  )
  vim.cmd("DonkeyStatus")

  H.step("a created file in a new folder")
  compat.patch_create_file_parents()
  local target = dir .. "/app/src/server/plugins/reports/index.ts"
  local uri = vim.uri_from_fname(target)
  vim.lsp.util.apply_workspace_edit({
    documentChanges = {
      { kind = "create", uri = uri, options = {} },
      {
        textDocument = { uri = uri },
        edits = {
          {
            range = { start = { line = 0, character = 0 }, ["end"] = { line = 0, character = 0 } },
            newText = 'export const reportsPlugin = createPlugin.define({ name: "reports" });\n',
          },
        },
      },
    },
  }, "utf-16")
  vim.cmd("silent wall")
  H.check(vim.fn.filereadable(target) == 1, target .. " to exist", "it does not")
  local text = table.concat(vim.fn.readfile(target), "\n")
  H.check(text:find("reportsPlugin", 1, true) ~= nil, "the new file to hold the edit", text)
end, function()
  require("donkeyls").stop_all(2000)
end)
