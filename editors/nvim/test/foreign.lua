-- Scenario: the server is started the way the README's nvim-lspconfig
-- configuration does (a plain client named "donkeyls" with the project as
-- root_dir), and the plugin is set up with autostart = false. The plugin's
-- commands use that client, and attaching a buffer starts no second server.
local here = vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":p:h")
package.path = here .. "/?.lua;" .. package.path
local H = require("helpers")

local root = H.env("DONKEYLS_TEST_ROOT")
local bin = H.env("DONKEYLS_TEST_BIN")
local regen = H.env("DONKEYLS_TEST_REGEN")
local log = H.env("DONKEYLS_TEST_LOG")

H.run(function()
  local donkeyls = require("donkeyls")
  local compat = require("donkeyls.compat")

  H.step("a client started without the plugin")
  H.record_messages()
  vim.cmd("filetype on")
  local settings = { trusted = true, typegen = { command = regen, onSave = "off" } }
  vim.cmd("edit " .. vim.fn.fnameescape(root .. "/src/server/plugins/books/index.ts"))
  local buf = vim.api.nvim_get_current_buf()
  local id = vim.lsp.start_client({
    name = "donkeyls",
    cmd = { bin, "serve", "--log", log },
    root_dir = root,
    init_options = settings,
    settings = { donkeyls = settings },
  })
  H.check(id ~= nil, "a client id", "nil")
  vim.lsp.buf_attach_client(buf, id)
  H.wait(30000, "a stale registry diagnostic (data.fix = regenerate)", function()
    return H.find_fix(buf, "regenerate") ~= nil
  end, function()
    return H.describe_diagnostics(buf) .. "; " .. H.describe_messages()
  end)

  H.step("setup({ autostart = false }) starts nothing and uses that client")
  H.check(donkeyls.setup({ autostart = false, cmd = { bin, "serve" } }), "setup() to accept the options", "refused")
  H.check(donkeyls.client(root) and donkeyls.client(root).id == id, "the plugin to see client " .. id, vim.inspect(donkeyls.roots()))
  H.check(donkeyls.attach(buf) == id, "attach() to reuse client " .. id, "another")
  H.check(#compat.get_clients({ name = "donkeyls" }) == 1, "one donkeyls client", #compat.get_clients({ name = "donkeyls" }))

  H.step(":DonkeyRegenerate through that client")
  vim.cmd("DonkeyRegenerate")
  H.wait(30000, "the regenerate command to answer", function()
    return donkeyls.status(root).last["donkeyls.regenerate"] ~= nil
  end, H.describe_messages)
  local last = donkeyls.status(root).last["donkeyls.regenerate"]
  H.check(last.ok, "regenerate to succeed", vim.inspect(last))
  H.wait(20000, "the stale registry diagnostic to clear", function()
    return H.find_fix(buf, "regenerate") == nil
  end, function()
    return H.describe_diagnostics(buf)
  end)
end, function()
  require("donkeyls").stop_all(5000)
end)
