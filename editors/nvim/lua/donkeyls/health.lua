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
  local root = donkeyls.root_for(0)
  if not donkeyls.options() then
    r.warn('setup() was not called: nothing starts until require("donkeyls").setup({...}) runs')
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

  if root then
    r.ok("project of the current buffer: " .. root)
    local line = donkeyls.trust_line(root)
    if line:find("^trusted") then
      r.ok("trust: " .. line)
    else
      r.info("trust: " .. line)
    end
  else
    r.info("the current buffer is in no donkeylabs project (no donkeylabs.config.ts above it)")
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
