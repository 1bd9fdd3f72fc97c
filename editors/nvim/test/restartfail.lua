-- Scenario: the dev server's command is not installed. :DonkeyRestart says
-- why, once: "the dev server never started: ... not found on PATH", not the
-- server's message and then the failed request again.
local here = vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":p:h")
package.path = here .. "/?.lua;" .. package.path
local H = require("helpers")

local root = H.env("DONKEYLS_TEST_ROOT")
local bin = H.env("DONKEYLS_TEST_BIN")
local log = H.env("DONKEYLS_TEST_LOG")

H.run(function()
  local donkeyls = require("donkeyls")
  H.step("setup with a dev command that is not installed")
  H.record_messages()
  H.record_notifications()
  vim.cmd("filetype on")
  H.check(
    donkeyls.setup({
      cmd = { bin, "serve" },
      log_file = log,
      settings = { trusted = true, typegen = { onSave = "off" } },
      dev = { command = { "donkeyls-test-no-such-bun", "run", "src/server/index.ts" } },
    }),
    "setup() to accept the options",
    "it refused them"
  )
  vim.cmd("edit " .. vim.fn.fnameescape(root .. "/src/server/routes/admin.ts"))
  local route = vim.api.nvim_get_current_buf()
  H.wait(30000, "the server to analyze the project", function()
    return donkeyls.client(root) ~= nil and #vim.diagnostic.get(route) > 0
  end, function()
    return H.describe_diagnostics(route) .. "; " .. H.describe_messages()
  end)

  H.step(":DonkeyDev: the supervisor runs, its server cannot start")
  vim.cmd("DonkeyDev")
  local term = vim.api.nvim_get_current_buf()
  H.wait(20000, "the supervisor to say the command cannot start", function()
    return table.concat(vim.api.nvim_buf_get_lines(term, 0, -1, false), "\n"):find("could not start", 1, true) ~= nil
  end, function()
    return table.concat(vim.api.nvim_buf_get_lines(term, 0, -1, false), " | ")
  end)

  H.step(":DonkeyRestart says why, once")
  vim.o.columns = 160 -- a terminal, not the 80 columns of --headless
  vim.cmd("wincmd p")
  local before = #H.notifications
  vim.cmd("DonkeyRestart")
  H.wait(30000, "the server to answer donkeyls.restart", function()
    return donkeyls.status(root).last["donkeyls.restart"] ~= nil
  end, H.describe_messages)
  vim.wait(500, function()
    return false
  end)
  local said = {}
  for i = before + 1, #H.notifications do
    table.insert(said, H.notifications[i].message)
  end
  H.check(#said == 1, "one notification", #said .. ": " .. table.concat(said, " || "))
  H.check(
    said[1]:find("the dev server never started: donkeyls-test-no-such-bun not found on PATH", 1, true) ~= nil,
    "the cause in it",
    said[1]
  )
end, function()
  require("donkeyls").stop_all(5000)
end)
