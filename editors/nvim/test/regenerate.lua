-- Scenario: a plugin whose registry is stale. Open it, see the stale registry diagnostic
-- at the ndjson handler key, apply "Regenerate types" from the code action
-- menu (the typegen command rewrites the outputs), see it clear.
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
  local compat = require("donkeyls.compat")
  H.check(
    donkeyls.setup({
      cmd = { bin, "serve" },
      log_file = log,
      settings = { trusted = true, typegen = { command = regen, onSave = "off" } },
    }),
    "setup() to accept the options",
    "it refused them (see the messages above)"
  )

  H.step("open src/server/plugins/books/index.ts")
  vim.cmd("edit " .. vim.fn.fnameescape(root .. "/src/server/plugins/books/index.ts"))
  local buf = vim.api.nvim_get_current_buf()
  H.wait(15000, "the donkeyls client to attach to the plugin buffer", function()
    return #compat.get_clients({ bufnr = buf, name = "donkeyls" }) > 0
  end, function()
    return "no donkeyls client on buffer " .. buf .. "; " .. H.describe_messages()
  end)

  local line, col = H.locate(buf, "ndjson", true)
  H.step(string.format("stale registry diagnostic at %d:%d (marked)", line + 1, col + 1))
  H.wait(30000, "a stale registry diagnostic in the plugin", function()
    return H.find_fix(buf, "regenerate") ~= nil
  end, function()
    return H.describe_diagnostics(buf) .. "; " .. H.describe_messages()
  end)
  local d = H.find_fix(buf, "regenerate")
  H.check(
    d.lnum == line and d.col == col,
    string.format("the stale registry diagnostic at %d:%d (the ndjson key of handlers)", line + 1, col + 1),
    string.format("at %d:%d: %s", d.lnum + 1, d.col + 1, d.message)
  )
  H.check(
    d.message:find("ndjson", 1, true) ~= nil,
    "the message to name the ndjson handler",
    d.message
  )
  -- The server's donkeyls/status follows its diagnostics.
  H.wait(10000, "status types = stale", function()
    local st = donkeyls.status(root)
    return st and st.types == "stale"
  end, function()
    return vim.inspect(donkeyls.status(root))
  end)

  H.step("apply the Regenerate types code action")
  local action, offered, asked = H.code_action(buf, line + 1, col, nil, function(a)
    return a.title:find("Regenerate types", 1, true) == 1
  end)
  H.check(asked, "a code action menu", "vim.lsp.buf.code_action() offered no menu; " .. H.describe_messages())
  H.check(action ~= nil, 'a "Regenerate types" action in the menu', table.concat(offered or {}, "; "))
  H.check(action.kind == "quickfix", "the action to be a quickfix", tostring(action.kind))
  H.wait(30000, "the regenerate command to answer", function()
    return donkeyls.status(root).last["donkeyls.regenerate"] ~= nil
  end, function()
    return "no answer yet; " .. H.describe_messages()
  end)
  local last = donkeyls.status(root).last["donkeyls.regenerate"]
  H.check(last.ok, "the regenerate command to succeed", vim.inspect(last) .. "; " .. H.describe_messages())

  H.step("the stale registry diagnostic clears")
  H.wait(20000, "the stale registry diagnostic to clear", function()
    return H.find_fix(buf, "regenerate") == nil
  end, function()
    return H.describe_diagnostics(buf)
  end)
  H.wait(20000, "status types = up to date (the stale schema cleared too)", function()
    return donkeyls.status(root).types == "up to date"
  end, function()
    return vim.inspect(donkeyls.status(root).diagnostics)
  end)
  local registry = table.concat(vim.fn.readfile(root .. "/.@donkeylabs/server/registry.d.ts"), "\n")
  H.check(
    registry:find('"csv" | "ndjson"', 1, true) ~= nil,
    "registry.d.ts on disk to list the ndjson handler",
    "it does not"
  )

  H.step(":DonkeyStatus")
  local lines = table.concat(donkeyls.status_lines(root), "\n")
  H.log("%s", lines)
  H.check(lines:find("types: up to date", 1, true), ":DonkeyStatus to say the types are up to date", lines)
  H.check(lines:find("last regenerate: ok", 1, true), ":DonkeyStatus to show the successful regenerate", lines)
  H.check(lines:find("last typegen run: ok", 1, true), ":DonkeyStatus to show the typegen run's progress end", lines)
  vim.cmd("DonkeyStatus")

  for _, m in ipairs(H.messages) do
    H.check(m.type ~= 1, "no error message from the server", m.message)
  end
end, function()
  require("donkeyls").stop_all(5000)
end)
