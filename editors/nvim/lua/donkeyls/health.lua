-- :checkhealth donkeyls
local M = {}

local function reporter()
  local h = vim.health or require("health")
  return {
    start = h.start or h.report_start,
    ok = h.ok or h.report_ok,
    warn = h.warn or h.report_warn,
    error = h.error or h.report_error,
    info = h.info or h.report_info,
  }
end

-- The buffer the user ran :checkhealth from. While the check runs, the
-- current buffer is the health report itself (in a new tab); the buffer the
-- user came from is the alternate one, or the one shown in the tab before.
local function user_buffer()
  local function usable(buf)
    return buf > 0
      and vim.api.nvim_buf_is_valid(buf)
      and vim.bo[buf].buftype == ""
      and vim.bo[buf].filetype ~= "checkhealth"
      and vim.api.nvim_buf_get_name(buf) ~= ""
  end
  local candidates = { vim.api.nvim_get_current_buf(), vim.fn.bufnr("#") }
  local prev_tab = vim.fn.tabpagenr("#")
  if prev_tab > 0 then
    table.insert(candidates, vim.fn.tabpagebuflist(prev_tab)[vim.fn.tabpagewinnr(prev_tab)] or -1)
  end
  for _, buf in ipairs(candidates) do
    if usable(buf) then
      return buf
    end
  end
  return nil
end

function M.check()
  local r = reporter()
  r.start("donkeyls")
  if vim.fn.has("nvim-0.7") == 1 then
    r.ok("Neovim " .. tostring(vim.version().major) .. "." .. tostring(vim.version().minor))
  else
    r.error("Neovim 0.7 or newer is required")
    return
  end

  local donkeyls = require("donkeyls")
  local config = require("donkeyls.config")
  local buf = user_buffer()
  local root = buf and donkeyls.root_for(buf)
  if not donkeyls.options() then
    if vim.lsp.enable then
      r.info('setup() was not called: vim.lsp.enable("donkeyls") starts the server (lsp/donkeyls.lua), or call require("donkeyls").setup({...})')
    else
      r.warn('setup() was not called: nothing starts until require("donkeyls").setup({...}) runs')
    end
  end
  local cmd, err = config.server_cmd(donkeyls.options() or config.defaults, root or vim.fn.getcwd())
  if not cmd then
    r.error(err)
  else
    local out = vim.fn.system({ cmd[1], "version" })
    if vim.v.shell_error == 0 then
      r.ok(vim.trim(out) .. " (" .. cmd[1] .. ")")
    else
      r.error(cmd[1] .. " version failed: " .. vim.trim(out))
    end
  end

  local name = buf and vim.fn.fnamemodify(vim.api.nvim_buf_get_name(buf), ":~:.") or nil
  if root then
    r.ok("project of " .. name .. ": " .. root)
    local line = donkeyls.trust_line(root)
    if line:find("^trusted") then
      r.ok("trust: " .. line)
    else
      r.info("trust: " .. line)
    end
  elseif name then
    r.info(name .. " is in no donkeylabs project (no donkeylabs.config.ts above it)")
  else
    r.info("no file buffer to report on: run :checkhealth donkeyls from a file of the project")
  end
  r.info("trust answers (:DonkeyTrust, :DonkeyUntrust) are kept in " .. require("donkeyls.trust").path())
  local roots = donkeyls.roots()
  if #roots == 0 then
    r.info("no language server running (they start with the first TypeScript buffer of a project, after setup())")
  end
  for _, p in ipairs(roots) do
    for _, line in ipairs(donkeyls.status_lines(p)) do
      r.info(line)
    end
  end
end

return M
