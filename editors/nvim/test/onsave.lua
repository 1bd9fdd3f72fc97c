-- Scenario: typegen.onSave reaches the server through the plugin. The
-- server starts with "off"; update_settings() switches it to "always" in
-- the running server (workspace/didChangeConfiguration and
-- workspace/configuration), so writing the stale plugin buffer runs the
-- typegen command by itself and the stale registry diagnostic clears without any command.
local here = vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":p:h")
package.path = here .. "/?.lua;" .. package.path
local H = require("helpers")

local root = H.env("DONKEYLS_TEST_ROOT")
local bin = H.env("DONKEYLS_TEST_BIN")
local regen = H.env("DONKEYLS_TEST_REGEN")
local log = H.env("DONKEYLS_TEST_LOG")

H.run(function()
  H.step("setup with typegen.onSave = off")
  H.record_messages()
  vim.cmd("filetype on")
  local donkeyls = require("donkeyls")
  H.check(
    donkeyls.setup({
      cmd = { bin, "serve" },
      log_file = log,
      settings = { trusted = true, typegen = { command = regen, onSave = "off", timeout = "30s" } },
    }),
    "setup() to accept the options",
    "it refused them"
  )

  H.step("open the stale books plugin")
  vim.cmd("edit " .. vim.fn.fnameescape(root .. "/src/server/plugins/books/index.ts"))
  local buf = vim.api.nvim_get_current_buf()
  H.wait(30000, "a stale registry diagnostic (data.fix = regenerate)", function()
    return H.find_fix(buf, "regenerate") ~= nil
  end, function()
    return H.describe_diagnostics(buf) .. "; " .. H.describe_messages()
  end)
  H.check(
    donkeyls.status(root).last.typegen == nil,
    "no typegen run before the first save",
    vim.inspect(donkeyls.status(root).last.typegen)
  )

  H.step("update_settings: typegen.onSave = always")
  H.check(
    donkeyls.update_settings({ trusted = true, typegen = { command = regen, onSave = "always", timeout = "30s" } }),
    "update_settings() to accept the settings",
    "it refused them"
  )
  local lines = table.concat(donkeyls.status_lines(root), "\n")
  H.check(lines:find("typegen.onSave=always", 1, true) ~= nil, ":DonkeyStatus to show onSave=always", lines)

  H.step(":write runs typegen")
  vim.cmd("write")
  H.wait(30000, "a typegen run to end after the save", function()
    return donkeyls.status(root).last.typegen ~= nil
  end, function()
    return vim.inspect(donkeyls.status(root)) .. "; " .. H.describe_messages()
  end)
  local run = donkeyls.status(root).last.typegen
  H.check(run.ok, "the on-save typegen run to succeed", vim.inspect(run) .. "; " .. H.describe_messages())

  H.step("the stale registry diagnostic clears")
  H.wait(20000, "the stale registry diagnostic to clear", function()
    return H.find_fix(buf, "regenerate") == nil
  end, function()
    return H.describe_diagnostics(buf)
  end)
  H.check(
    donkeyls.status(root).last["donkeyls.regenerate"] == nil,
    "no regenerate command was needed",
    vim.inspect(donkeyls.status(root).last)
  )
end, function()
  require("donkeyls").stop_all(5000)
end)
