-- Version shims: the one place that knows which Neovim API exists in which
-- release, so the rest of the plugin reads the same from 0.7 (Debian's
-- 0.7.2) to current releases.
local M = {}

M.uv = vim.uv or vim.loop

---@param version string such as "0.8"
---@return boolean
function M.has(version)
  return vim.fn.has("nvim-" .. version) == 1
end

-- Client methods became colon methods in 0.11; the dot form is deprecated
-- there and warns.
local colon = M.has("0.11")

function M.request(client, method, params, handler, bufnr)
  if colon then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

function M.notify(client, method, params)
  if colon then
    return client:notify(method, params)
  end
  return client.notify(method, params)
end

function M.stop(client, force)
  if colon then
    return client:stop(force)
  end
  return client.stop(force)
end

function M.is_stopped(client)
  if colon then
    return client:is_stopped()
  end
  return client.is_stopped()
end

--- Clients, optionally filtered by name, id or attached buffer.
---@param filter table|nil {name=, id=, bufnr=}
---@return table[] list of clients
function M.get_clients(filter)
  filter = filter or {}
  if vim.lsp.get_clients then
    return vim.lsp.get_clients(filter)
  end
  -- 0.7 to 0.9: no filter argument in 0.7, and buf_get_clients is a map.
  local all = filter.bufnr and vim.lsp.buf_get_clients(filter.bufnr) or vim.lsp.get_active_clients()
  local out = {}
  for _, c in pairs(all) do
    if (filter.name == nil or c.name == filter.name) and (filter.id == nil or c.id == filter.id) then
      table.insert(out, c)
    end
  end
  table.sort(out, function(a, b)
    return a.id < b.id
  end)
  return out
end

--- Starts (or reuses) a client for config and attaches bufnr to it.
---@param config table client configuration
---@param bufnr integer
---@param reuse fun(client: table): boolean|nil which running client to reuse
---@return integer|nil client id
function M.start(config, bufnr, reuse)
  -- vim.lsp.start exists since 0.8, but 0.8 attaches the current buffer
  -- whatever opts.bufnr says; start_client is deprecated from 0.11 on.
  if M.has("0.10") then
    return vim.lsp.start(config, {
      bufnr = bufnr,
      reuse_client = function(client, _)
        return reuse ~= nil and reuse(client) or false
      end,
    })
  end
  local id = vim.lsp.start_client(config)
  if id then
    vim.lsp.buf_attach_client(bufnr, id)
  end
  return id
end

--- The diagnostic namespace a client publishes into.
function M.diagnostic_namespace(client_id)
  return vim.lsp.diagnostic.get_namespace(client_id)
end

--- Opens a terminal running cmd in the current (empty) buffer.
---@return integer job id (<= 0 on failure)
function M.open_terminal(cmd, opts)
  if M.has("0.11") then
    opts = vim.tbl_extend("force", opts, { term = true })
    return vim.fn.jobstart(cmd, opts)
  end
  return vim.fn.termopen(cmd, opts)
end

--- Runs User autocommands named pattern, without modelines.
function M.user_event(pattern)
  vim.api.nvim_exec_autocmds("User", { pattern = pattern, modeline = false })
end

-- Neovim before 0.9 applies a CreateFile operation with io.open, which fails
-- when the new file's folder does not exist yet, as for a new plugin folder
-- ("attempt to index a nil value"). Later releases create the folder first.
-- Wrapping apply_workspace_edit to create missing parents restores what the
-- protocol means; it changes nothing for edits without creations.
local patched = false

function M.patch_create_file_parents()
  if patched or M.has("0.9") then
    return
  end
  patched = true
  local util = vim.lsp.util
  local original = util.apply_workspace_edit
  util.apply_workspace_edit = function(edit, ...)
    if type(edit) == "table" and type(edit.documentChanges) == "table" then
      for _, change in ipairs(edit.documentChanges) do
        if type(change) == "table" and change.kind == "create" and type(change.uri) == "string" then
          local dir = vim.fn.fnamemodify(vim.uri_to_fname(change.uri), ":h")
          if vim.fn.isdirectory(dir) == 0 then
            vim.fn.mkdir(dir, "p")
          end
        end
      end
    end
    return original(edit, ...)
  end
end

return M
