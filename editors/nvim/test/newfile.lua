-- Scenario: a migration made in the editor. `:edit` a path that does not
-- exist yet, type an addColumn migration, `:write`: the server analyzes the
-- new file like one that was on disk when it started, so the stale schema diagnostic (the
-- plugin's schema.ts no longer matches its migrations) appears on the new
-- buffer as it is typed, as `donkeyls check` reports it once written, and
-- stays after the write.
local here = vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":p:h")
package.path = here .. "/?.lua;" .. package.path
local H = require("helpers")

local root = H.env("DONKEYLS_TEST_ROOT")
local bin = H.env("DONKEYLS_TEST_BIN")
local log = H.env("DONKEYLS_TEST_LOG")

H.run(function()
  H.step("setup")
  H.record_messages()
  vim.cmd("filetype on")
  local donkeyls = require("donkeyls")
  H.check(
    donkeyls.setup({ cmd = { bin, "serve" }, log_file = log, settings = { typegen = { onSave = "off" } } }),
    "setup() to accept the options",
    "it refused them"
  )

  H.step("open an existing plugin and wait for the first analysis")
  vim.cmd("edit " .. vim.fn.fnameescape(root .. "/src/server/plugins/users/index.ts"))
  H.wait(30000, "the donkeyls client to attach", function()
    return #vim.lsp.get_active_clients({ name = "donkeyls" }) > 0
  end, H.describe_messages)

  local path = root .. "/src/server/plugins/users/migrations/002_add_phone.ts"
  H.check(vim.fn.filereadable(path) == 0, "the migration not to exist yet", path)
  H.step(":edit the new migration and type it")
  vim.cmd("edit " .. vim.fn.fnameescape(path))
  local buf = vim.api.nvim_get_current_buf()
  H.wait(30000, "the client to attach to the new buffer", function()
    return #vim.lsp.get_active_clients({ bufnr = buf, name = "donkeyls" }) > 0
  end, H.describe_messages)
  local text = {
    'import type { Kysely } from "kysely";',
    "",
    "export async function up(db: Kysely<any>): Promise<void> {",
    '  await db.schema.alterTable("users").addColumn("phone", "text").execute();',
    "}",
    "",
    "export async function down(db: Kysely<any>): Promise<void> {",
    '  await db.schema.alterTable("users").dropColumn("phone").execute();',
    "}",
  }
  for i, line in ipairs(text) do
    -- One line at a time, each its own change, as typing sends them.
    vim.api.nvim_buf_set_lines(buf, i - 1, i - 1, false, { line })
  end

  -- Analysed as it changes, before any write: the file is not on disk yet.
  -- (Writing it would hide a server that only reads the disk: Neovim's
  -- write probe file makes the server reload the whole project.)
  H.wait(30000, "a stale schema diagnostic (data.fix = migrate) on the new, unwritten migration", function()
    return H.find_fix(buf, "migrate") ~= nil
  end, function()
    return H.describe_diagnostics(buf) .. "; " .. H.describe_messages()
  end)

  H.step(":write")
  vim.cmd("write")
  H.check(vim.fn.filereadable(path) == 1, "the migration to be on disk", path)
  vim.api.nvim_buf_set_lines(buf, -1, -1, false, { "// saved" })
  local version = vim.lsp.util.buf_versions[buf]
  H.wait(30000, "the stale schema diagnostic after the write and one more edit", function()
    return H.find_fix(buf, "migrate") ~= nil and vim.lsp.util.buf_versions[buf] == version
  end, function()
    return H.describe_diagnostics(buf) .. "; " .. H.describe_messages()
  end)
end, function()
  require("donkeyls").stop_all(5000)
end)
