-- Scenario: the statusline and :DonkeyStatus show what the server reports
-- in donkeyls/status, not a reading of its diagnostics: stale with the
-- server's count, a status the server sends (injected here) whatever the
-- diagnostics say, generating then up to date around a real Regenerate,
-- failed when the command fails.
local here = vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":p:h")
package.path = here .. "/?.lua;" .. package.path
local H = require("helpers")

local root = H.env("DONKEYLS_TEST_ROOT")
local bin = H.env("DONKEYLS_TEST_BIN")
local regen = H.env("DONKEYLS_TEST_REGEN")
local log = H.env("DONKEYLS_TEST_LOG")

H.run(function()
  H.step("setup")
  H.record_messages()
  vim.cmd("filetype on")
  local donkeyls = require("donkeyls")
  local settings = { trusted = true, typegen = { command = regen, onSave = "off" } }
  H.check(
    donkeyls.setup({ cmd = { bin, "serve" }, log_file = log, settings = settings }),
    "setup() to accept the options",
    "it refused them"
  )
  -- Every statusline text a new status made, as a user's redrawstatus would see it.
  local seen = {}
  vim.api.nvim_create_autocmd("User", {
    pattern = "DonkeylsStatus",
    callback = function()
      table.insert(seen, donkeyls.statusline(0))
    end,
  })

  H.step("open the stale books plugin: the statusline says what the server counts")
  vim.cmd("edit " .. vim.fn.fnameescape(root .. "/src/server/plugins/books/index.ts"))
  local buf = vim.api.nvim_get_current_buf()
  H.wait(30000, "statusline = types: stale (2)", function()
    return donkeyls.statusline(buf) == "types: stale (2)"
  end, function()
    return vim.inspect(seen) .. "; " .. H.describe_diagnostics(buf) .. "; " .. H.describe_messages()
  end)
  local lines = table.concat(donkeyls.status_lines(root), "\n")
  H.check(lines:find("types: stale %([%w-]+ 1, [%w-]+ 1%)") ~= nil, ":DonkeyStatus to list the server's two stale findings by code", lines)
  H.check(lines:find("no `donkeyls dev` terminal", 1, true) ~= nil, ":DonkeyStatus to say no dev terminal runs", lines)

  H.step("a status the server sends wins over what the diagnostics would say")
  local diagnostics_before = H.describe_diagnostics(buf)
  donkeyls.on_status({
    root = root,
    types = { state = "stale", stale = 5, findings = { a = 2, b = 3 } },
    dev = { state = "restartNeeded", restart = 1, supervisor = "running", pid = 1 },
    trusted = true,
  })
  H.check(
    donkeyls.statusline(buf) == "types: stale (5) | dev: restart needed",
    "statusline = types: stale (5) | dev: restart needed",
    donkeyls.statusline(buf)
  )
  lines = table.concat(donkeyls.status_lines(root), "\n")
  H.check(lines:find("types: stale (a 2, b 3)", 1, true) ~= nil, ":DonkeyStatus to list the reported findings", lines)
  H.check(lines:find("dev server has old code loaded", 1, true) ~= nil, ":DonkeyStatus to say a restart is needed", lines)
  H.check(H.describe_diagnostics(buf) == diagnostics_before, "the diagnostics to be unchanged", H.describe_diagnostics(buf))
  donkeyls.on_status({ root = root, types = { state = "stale", stale = 2, findings = {} }, dev = { state = "stopped", restart = 0 }, trusted = true })
  H.check(donkeyls.statusline(buf) == "types: stale (2)", "statusline back to types: stale (2)", donkeyls.statusline(buf))

  H.step(":DonkeyRegenerate: generating, then up to date")
  seen = {}
  vim.cmd("DonkeyRegenerate")
  H.wait(30000, "statusline = types: up to date", function()
    return donkeyls.statusline(buf) == "types: up to date"
  end, function()
    return vim.inspect(seen) .. "; " .. H.describe_messages()
  end)
  H.check(vim.tbl_contains(seen, "types: generating"), "the statusline to have said types: generating", vim.inspect(seen))
  local run = donkeyls.status(root).last.typegen
  H.check(run ~= nil and run.ok, "the typegen run to be recorded as ok", vim.inspect(run))

  H.step("a failing command: types: failed, with the reason in :DonkeyStatus")
  H.check(
    donkeyls.update_settings({ trusted = true, typegen = { command = "echo 'error: the generator gave up' >&2; exit 3", onSave = "off" } }),
    "update_settings() to accept the failing command",
    "it refused it"
  )
  vim.cmd("DonkeyRegenerate")
  H.wait(30000, "statusline = types: failed", function()
    return donkeyls.statusline(buf) == "types: failed"
  end, function()
    return vim.inspect(seen) .. "; " .. H.describe_messages()
  end)
  lines = table.concat(donkeyls.status_lines(root), "\n")
  H.check(lines:find("types: failed: .*the generator gave up") ~= nil, ":DonkeyStatus to say why it failed", lines)
  run = donkeyls.status(root).last.typegen
  H.check(run ~= nil and not run.ok, "the typegen run to be recorded as failed", vim.inspect(run))
end, function()
  require("donkeyls").stop_all(5000)
end)
