-- Options of require("donkeyls").setup(): defaults, validation with messages
-- a user can act on, and what the language client is started with.
local M = {}

M.defaults = {
  -- The server command; nil: `donkeyls serve` from PATH.
  cmd = nil,
  -- Also write the server's log to this file (`donkeyls serve --log FILE`).
  log_file = nil,
  -- The `donkeyls` settings object the server reads (see :h donkeyls-settings).
  settings = {},
  -- Buffers of these filetypes inside a donkeylabs project start the server.
  filetypes = { "typescript", "typescriptreact" },
  autostart = true,
  -- Extra client capabilities, merged over Neovim's.
  capabilities = nil,
  -- Called as on_attach(client, bufnr) for every attached buffer.
  on_attach = nil,
  -- Extra LSP handlers for this client only.
  handlers = nil,
  dev = {
    -- Extra `donkeyls dev` flags, before the project folder.
    args = {},
    -- The dev server command (after `--`); nil: donkeyls dev's default.
    command = nil,
    -- Ex command that opens the window the terminal goes into; it must
    -- leave an empty buffer current.
    open = "botright 15new",
  },
}

local on_save_values = { off = true, whenStale = true, always = true }

local function is_list_of_strings(v)
  if type(v) ~= "table" then
    return false
  end
  for k, x in pairs(v) do
    if type(k) ~= "number" or type(x) ~= "string" then
      return false
    end
  end
  return true
end

local function check_type(errs, name, value, want, optional)
  if value == nil then
    if not optional then
      table.insert(errs, string.format("%s is required", name))
    end
    return false
  end
  local ok
  if want == "list" then
    ok = is_list_of_strings(value)
  elseif type(want) == "table" then
    ok = vim.tbl_contains(want, type(value))
    want = table.concat(want, " or ")
  else
    ok = type(value) == want
  end
  if not ok then
    local shown = want == "list" and "a list of strings" or ("a " .. want)
    table.insert(errs, string.format("%s must be %s, got %s", name, shown, vim.inspect(value)))
  end
  return ok
end

-- Validates the settings object as far as the plugin can; the server reports
-- anything else (unknown keys, bad durations) itself, once per session.
local function check_settings(errs, s)
  if not check_type(errs, "settings", s, "table", true) then
    return
  end
  check_type(errs, "settings.trusted", s.trusted, { "boolean", "function" }, true)
  if check_type(errs, "settings.typegen", s.typegen, "table", true) then
    local t = s.typegen
    check_type(errs, "settings.typegen.command", t.command, "string", true)
    check_type(errs, "settings.typegen.timeout", t.timeout, "string", true)
    if t.onSave ~= nil and not on_save_values[t.onSave] then
      table.insert(
        errs,
        string.format('settings.typegen.onSave must be "off", "whenStale" or "always", got %s', vim.inspect(t.onSave))
      )
    end
  end
end

--- Merges user options over the defaults and validates them.
---@param user table|nil
---@return table|nil opts, string|nil error
function M.resolve(user)
  user = user or {}
  if type(user) ~= "table" then
    return nil, "setup() takes a table, got " .. vim.inspect(user)
  end
  local errs = {}
  check_type(errs, "cmd", user.cmd, { "table", "function" }, true)
  if type(user.cmd) == "table" and (#user.cmd == 0 or not is_list_of_strings(user.cmd)) then
    table.insert(errs, "cmd must be a non-empty list of strings such as { \"donkeyls\", \"serve\" }")
  end
  check_type(errs, "log_file", user.log_file, "string", true)
  check_settings(errs, user.settings)
  check_type(errs, "filetypes", user.filetypes, "list", true)
  check_type(errs, "autostart", user.autostart, "boolean", true)
  check_type(errs, "capabilities", user.capabilities, "table", true)
  check_type(errs, "on_attach", user.on_attach, "function", true)
  check_type(errs, "handlers", user.handlers, "table", true)
  if check_type(errs, "dev", user.dev, "table", true) then
    check_type(errs, "dev.args", user.dev.args, "list", true)
    check_type(errs, "dev.command", user.dev.command, "list", true)
    check_type(errs, "dev.open", user.dev.open, "string", true)
  end
  if #errs > 0 then
    return nil, "setup: " .. table.concat(errs, "; ")
  end
  -- Functions and user tables are kept as given (deepcopy would copy them
  -- too, and lists must replace the default lists, not merge into them).
  local opts = vim.tbl_extend("force", {}, M.defaults, user)
  opts.dev = vim.tbl_extend("force", {}, M.defaults.dev, user.dev or {})
  opts.settings = user.settings or {}
  return opts, nil
end

-- JSON needs empty tables marked as objects, or they are sent as [].
local function as_object(t)
  if type(t) ~= "table" then
    return t
  end
  local out = {}
  for k, v in pairs(t) do
    out[k] = as_object(v)
  end
  if next(out) == nil then
    return vim.empty_dict()
  end
  return out
end

--- The settings object sent for the project at root: trusted may be a
--- function of the root, decided when the server starts.
---@return table settings, string|nil error from the trusted function
function M.settings_for(opts, root)
  local s = vim.deepcopy(opts.settings or {})
  local err
  if opts.settings.trusted == nil then
    -- Nothing in the user's settings: what the user answered for this
    -- project (:DonkeyTrust, the prompt), else untrusted.
    s.trusted = require("donkeyls.trust").trusted(root, opts)
  elseif type(opts.settings.trusted) == "function" then
    local ok, v = pcall(opts.settings.trusted, root)
    if ok then
      s.trusted = v == true
    else
      s.trusted = false
      err = "settings.trusted(" .. root .. ") failed: " .. tostring(v) .. "; the project is treated as untrusted"
    end
  end
  return as_object(s), err
end

--- The user's own answer to "is root trusted?" (settings.trusted, a
--- boolean or a function of the root), nil when the settings leave it to
--- the trust store.
function M.explicit_trust(opts, root)
  local t = opts and opts.settings and opts.settings.trusted
  if t == nil then
    return nil
  end
  return M.settings_for(opts, root).trusted == true
end

--- The server command for the project at root, or nil and why not.
---@return table|nil, string|nil
function M.server_cmd(opts, root)
  local cmd = opts.cmd
  if type(cmd) == "function" then
    cmd = cmd(root)
    if not is_list_of_strings(cmd) or #cmd == 0 then
      return nil, "cmd(root) must return a non-empty list of strings, got " .. vim.inspect(cmd)
    end
  end
  if cmd == nil then
    local exe = vim.fn.exepath("donkeyls")
    if exe == "" then
      return nil,
        "no donkeyls executable on PATH; build it with `go install ./cmd/donkeyls` in a clone of the donkeyls "
          .. "repository (it goes to $(go env GOPATH)/bin, which must be on PATH), "
          .. 'or set cmd = { "/path/to/donkeyls", "serve" } in setup() or vim.lsp.config()'
    end
    cmd = { exe, "serve" }
  else
    cmd = vim.deepcopy(cmd)
    if vim.fn.executable(cmd[1]) ~= 1 then
      return nil, string.format("cmd[1] = %q is not an executable file", cmd[1])
    end
  end
  if opts.log_file then
    table.insert(cmd, "--log")
    table.insert(cmd, vim.fn.expand(opts.log_file))
  end
  return cmd, nil
end

--- Neovim's client capabilities plus what its edit application supports
--- but 0.7 does not announce: documentChanges with file creation, which the
--- server needs to offer refactorings that create a plugin.
function M.capabilities(opts)
  local caps = vim.lsp.protocol.make_client_capabilities()
  caps.workspace = caps.workspace or {}
  local we = caps.workspace.workspaceEdit or {}
  we.documentChanges = true
  we.resourceOperations = we.resourceOperations or {}
  if not vim.tbl_contains(we.resourceOperations, "create") then
    table.insert(we.resourceOperations, "create")
  end
  caps.workspace.workspaceEdit = we
  if opts.capabilities then
    caps = vim.tbl_deep_extend("force", caps, opts.capabilities)
  end
  return caps
end

return M
