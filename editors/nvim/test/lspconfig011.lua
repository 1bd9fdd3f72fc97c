-- Scenario: Neovim 0.11's way, without setup(). lsp/donkeyls.lua is found on
-- the runtimepath and its configuration is started the way
-- vim.lsp.enable('donkeyls') does (root_dir(bufnr, on_dir), then a client
-- from the merged config). This Neovim is older, so the start itself is
-- vim.lsp.start_client with that config; what the file returns is what 0.11
-- would use. The plugin's commands then work through that client.
local here = vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":p:h")
package.path = here .. "/?.lua;" .. package.path
local H = require("helpers")

local root = H.env("DONKEYLS_TEST_ROOT")
local bin = H.env("DONKEYLS_TEST_BIN")
local log = H.env("DONKEYLS_TEST_LOG")

-- What vim.lsp.config('donkeyls', user) does: the user's table over the
-- runtimepath file's, key by key (deep for tables).
local function merged(user)
  local files = vim.api.nvim_get_runtime_file("lsp/donkeyls.lua", true)
  H.check(#files == 1, "lsp/donkeyls.lua on the runtimepath", vim.inspect(files))
  local base = dofile(files[1])
  return vim.tbl_deep_extend("force", base, user)
end

H.run(function()
  local donkeyls = require("donkeyls")
  local compat = require("donkeyls.compat")
  H.step("the runtimepath configuration")
  H.record_messages()
  H.record_notifications()
  vim.cmd("filetype on")
  local cfg = merged({ cmd = { bin, "serve", "--log", log } })
  H.check(vim.deep_equal(cfg.filetypes, { "typescript", "typescriptreact" }), "typescript filetypes", vim.inspect(cfg.filetypes))
  H.check(type(cfg.root_dir) == "function", "root_dir(bufnr, on_dir)", type(cfg.root_dir))
  H.check(donkeyls.options() == nil, "no setup()", "setup() ran")

  H.step("root_dir: nothing for a file outside a project")
  local outside = vim.fn.tempname() .. ".ts"
  vim.fn.writefile({ "export const x = 1;" }, outside)
  vim.cmd("edit " .. vim.fn.fnameescape(outside))
  local got
  cfg.root_dir(vim.api.nvim_get_current_buf(), function(dir)
    got = dir
  end)
  H.check(got == nil, "on_dir never called", tostring(got))

  H.step("root_dir: the project of a file in it, and a client from the config")
  vim.cmd("edit " .. vim.fn.fnameescape(root .. "/src/server/plugins/books/index.ts"))
  local buf = vim.api.nvim_get_current_buf()
  cfg.root_dir(buf, function(dir)
    got = dir
  end)
  H.check(got == root, "on_dir(" .. root .. ")", tostring(got))
  cfg.name = "donkeyls"
  cfg.root_dir = got
  cfg.root_dir_fn = nil
  local id = vim.lsp.start_client(cfg)
  H.check(id ~= nil, "a client", "nil")
  vim.lsp.buf_attach_client(buf, id)
  H.wait(30000, "a stale registry diagnostic (data.fix = regenerate)", function()
    return H.find_fix(buf, "regenerate") ~= nil
  end, function()
    return H.describe_diagnostics(buf) .. "; " .. H.describe_messages()
  end)
  H.check(donkeyls.client(root) and donkeyls.client(root).id == id, "the plugin to see that client", vim.inspect(donkeyls.roots()))
  H.check(#compat.get_clients({ name = "donkeyls" }) == 1, "one donkeyls client", #compat.get_clients({ name = "donkeyls" }))

  H.step(":DonkeyStatus without setup()")
  local status = table.concat(donkeyls.status_lines(root), "\n")
  H.check(status:find("server: running", 1, true) ~= nil, ":DonkeyStatus sees the server", status)
end, function()
  require("donkeyls").stop_all(5000)
end)
