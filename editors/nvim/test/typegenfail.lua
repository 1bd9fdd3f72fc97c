-- Scenario: a typegen run on save fails with long, many-line output. The
-- user sees it once, on one line that fits the command line (no "Press
-- ENTER" in the middle of :write); the whole text is in :DonkeyStatus.
local here = vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":p:h")
package.path = here .. "/?.lua;" .. package.path
local H = require("helpers")

local root = H.env("DONKEYLS_TEST_ROOT")
local bin = H.env("DONKEYLS_TEST_BIN")
local log = H.env("DONKEYLS_TEST_LOG")
local failing = "sh -c 'echo first line of the failure; echo " .. string.rep("x", 150) .. "; echo error: the last line says why the generator gave up on this project; exit 3'"

H.run(function()
  H.step("setup with a failing typegen on save")
  H.record_messages()
  H.record_notifications()
  vim.cmd("filetype on")
  local donkeyls = require("donkeyls")
  H.check(
    donkeyls.setup({
      cmd = { bin, "serve" },
      log_file = log,
      settings = { trusted = true, typegen = { command = failing, onSave = "always", timeout = "30s" } },
    }),
    "setup() to accept the options",
    "it refused them"
  )
  vim.cmd("edit " .. vim.fn.fnameescape(root .. "/src/server/plugins/books/index.ts"))
  local buf = vim.api.nvim_get_current_buf()
  H.wait(30000, "the server to attach", function()
    return donkeyls.client(root) ~= nil and H.find_fix(buf, "regenerate") ~= nil
  end, function()
    return H.describe_diagnostics(buf) .. "; " .. H.describe_messages()
  end)

  H.step(":write runs the failing typegen")
  vim.cmd("write")
  H.wait(30000, "the failure to be told", function()
    return H.find_notification("type generation failed") ~= nil
  end, H.describe_notifications)
  -- Time for a second report of the same failure, if one were coming.
  vim.wait(1500, function()
    return false
  end)

  local shown = {}
  for _, n in ipairs(H.notifications) do
    if n.message:find("type generation failed", 1, true) then
      table.insert(shown, n.message)
    end
  end
  H.check(#shown == 1, "the failure shown once", #shown .. " times: " .. H.describe_notifications())
  local line = shown[1]
  H.check(not line:find("\n", 1, true), "a single line", line)
  H.check(
    vim.fn.strdisplaywidth(line) <= vim.v.echospace,
    "a line that fits the command line (" .. vim.v.echospace .. " columns)",
    vim.fn.strdisplaywidth(line) .. " columns: " .. line
  )
  local status = table.concat(donkeyls.status_lines(root), "\n")
  H.check(
    status:find("the last line says why the generator gave up", 1, true) ~= nil,
    ":DonkeyStatus to hold the whole message",
    status
  )
end, function()
  require("donkeyls").stop_all(5000)
end)
