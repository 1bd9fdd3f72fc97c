-- `donkeyls dev` in a terminal split, one per project: opening it again
-- shows the running one instead of starting a second supervisor (the
-- supervisor would refuse anyway: one per project).
local compat = require("donkeyls.compat")

local M = {}

-- root -> { buf = terminal buffer, job = job id }
local terminals = {}

local function alive(t)
  return t ~= nil
    and vim.api.nvim_buf_is_valid(t.buf)
    and vim.fn.jobwait({ t.job }, 0)[1] == -1
end

--- The running terminal of a project, or nil.
function M.get(root)
  local t = terminals[root]
  if alive(t) then
    return t
  end
  terminals[root] = nil
  return nil
end

--- The command line: donkeyls dev [args] [--typegen CMD] ROOT [-- COMMAND].
function M.command(bin, opts, settings, root)
  local cmd = { bin, "dev" }
  local has_typegen = false
  for _, a in ipairs(opts.dev.args or {}) do
    if a == "--typegen" or a:find("^%-%-?typegen=") then
      has_typegen = true
    end
    table.insert(cmd, a)
  end
  -- The supervisor regenerates with the same command the editor does.
  local typegen = type(settings.typegen) == "table" and settings.typegen.command or nil
  if not has_typegen and type(typegen) == "string" and typegen ~= "" then
    table.insert(cmd, "--typegen")
    table.insert(cmd, typegen)
  end
  table.insert(cmd, root)
  if opts.dev.command and #opts.dev.command > 0 then
    table.insert(cmd, "--")
    vim.list_extend(cmd, opts.dev.command)
  end
  return cmd
end

local function show(t, open_cmd)
  local win = vim.fn.bufwinid(t.buf)
  if win ~= -1 then
    vim.api.nvim_set_current_win(win)
    return
  end
  vim.cmd(open_cmd)
  vim.api.nvim_win_set_buf(0, t.buf)
end

--- Opens (or shows) the dev terminal of root.
---@param cmd string[] the whole command line
---@return table|nil terminal, string|nil error
function M.open(root, cmd, open_cmd)
  local t = M.get(root)
  if t then
    show(t, open_cmd)
    return t, nil
  end
  local ok, err = pcall(vim.cmd, open_cmd)
  if not ok then
    return nil, "dev.open = " .. vim.inspect(open_cmd) .. " failed: " .. tostring(err)
  end
  local buf = vim.api.nvim_get_current_buf()
  if vim.api.nvim_buf_line_count(buf) > 1 or vim.api.nvim_buf_get_lines(buf, 0, 1, false)[1] ~= "" then
    return nil, "dev.open = " .. vim.inspect(open_cmd) .. " must leave an empty buffer current (e.g. \"botright 15new\")"
  end
  local job
  t = { buf = buf }
  job = compat.open_terminal(cmd, {
    cwd = root,
    on_exit = function(_, code)
      if terminals[root] == t then
        terminals[root] = nil
      end
      -- 129 and 143: the terminal or the editor was closed (SIGHUP/SIGTERM).
      if code ~= 0 and code ~= 129 and code ~= 143 and not t.stopping then
        vim.schedule(function()
          vim.notify(
            string.format("donkeyls dev for %s exited with status %d (see its terminal)", root, code),
            vim.log.levels.WARN
          )
        end)
      end
    end,
  })
  if job <= 0 then
    return nil, "could not start " .. table.concat(cmd, " ")
  end
  t.job = job
  vim.api.nvim_buf_set_var(buf, "donkeyls_dev_root", root)
  terminals[root] = t
  return t, nil
end

--- Stops the dev terminal of root; the supervisor ends its server group on
--- SIGHUP. Waits up to timeout_ms for it to exit.
function M.stop(root, timeout_ms)
  local t = M.get(root)
  if not t then
    return false
  end
  t.stopping = true
  vim.fn.jobstop(t.job)
  vim.fn.jobwait({ t.job }, timeout_ms or 5000)
  terminals[root] = nil
  return true
end

--- Every project with a running dev terminal.
function M.roots()
  local out = {}
  for root in pairs(terminals) do
    if M.get(root) then
      table.insert(out, root)
    end
  end
  table.sort(out)
  return out
end

return M
