-- A small harness for the headless end-to-end scenarios: named steps,
-- bounded waits that say what they waited for and what they saw, and an
-- exit code for the Go test (0 pass, 1 fail). Everything is written to
-- stderr at once, so a scenario killed by the Go side's timeout still shows
-- the step it hung in.
local H = {}

local current = "start"

function H.log(fmt, ...)
  io.stderr:write(string.format(fmt, ...) .. "\n")
  io.stderr:flush()
end

function H.env(name)
  local v = os.getenv(name)
  if v == nil or v == "" then
    error("environment variable " .. name .. " is not set (run this scenario through go test)")
  end
  return v
end

function H.step(name)
  current = name
  H.log("STEP %s", name)
end

-- Fails the current step: expected is what should have happened, got what
-- did.
function H.fail(expected, got)
  error({ donkeyls_failure = true, step = current, expected = expected, got = got }, 0)
end

-- Ends the scenario as skipped (exit code 77): what it tests is not there.
function H.skip(reason)
  error({ donkeyls_skip = true, reason = reason }, 0)
end

function H.check(cond, expected, got)
  if not cond then
    H.fail(expected, type(got) == "function" and got() or got)
  end
end

-- Waits up to ms for pred(); on timeout fails with what and describe().
function H.wait(ms, what, pred, describe)
  local uv = vim.uv or vim.loop
  local start = uv.hrtime()
  local ok = vim.wait(ms, function()
    local good, res = pcall(pred)
    return good and res
  end, 10)
  H.log("  %s: %d ms", what, math.floor((uv.hrtime() - start) / 1e6))
  if not ok then
    H.fail(string.format("%s within %d ms", what, ms), describe and describe() or "it did not happen")
  end
end

-- The diagnostics of a buffer as "line:col code: message" lines (1-based
-- line and column, as a user reads them).
function H.describe_diagnostics(bufnr)
  local lines = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(lines, string.format("%d:%d %s: %s", d.lnum + 1, d.col + 1, tostring(d.code), d.message))
  end
  if #lines == 0 then
    return "no diagnostics"
  end
  return table.concat(lines, "\n    ")
end

-- The 0-based line and byte column of text on the only line of the buffer
-- that holds it; with marked, the only such line that also holds a fixture
-- marker (//@diag(...), see internal/fixture). Tests find positions by the
-- markers and the text of the project, not by numbers, and name no
-- diagnostic code.
function H.locate(bufnr, text, marked)
  local what = (marked and "a marked line with " or "a line with ") .. text
  local at
  for i, line in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)) do
    local j = line:find(text, 1, true)
    if j and (not marked or line:find("@diag(", 1, true)) then
      H.check(at == nil, "only one " .. what, string.format("lines %d and %d", at and at[1] + 1 or 0, i))
      at = { i - 1, j - 1 }
    end
  end
  H.check(at ~= nil, what, "none in buffer " .. bufnr)
  return at[1], at[2]
end

-- The first diagnostic whose data says what fixes it ("regenerate",
-- "restart", "migrate"): the server's contract, so no test names a code.
function H.find_fix(bufnr, fix)
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    local lsp = d.user_data and d.user_data.lsp or {}
    if type(lsp.data) == "table" and lsp.data.fix == fix then
      return d
    end
  end
  return nil
end

-- The first diagnostic whose message holds text.
function H.find_message(bufnr, text)
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    if d.message:find(text, 1, true) then
      return d
    end
  end
  return nil
end

function H.find_diagnostic(bufnr, code)
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    if tostring(d.code) == code then
      return d
    end
  end
  return nil
end

-- Notifications shown with vim.notify (the plugin's own messages).
H.notifications = {}

function H.record_notifications()
  local original = vim.notify
  vim.notify = function(msg, level, opts)
    table.insert(H.notifications, { message = tostring(msg), level = level })
    H.log("  notify (%s): %s", tostring(level), tostring(msg))
    return original(msg, level, opts)
  end
end

function H.find_notification(pattern)
  for _, n in ipairs(H.notifications) do
    if n.message:find(pattern, 1, true) then
      return n
    end
  end
  return nil
end

function H.describe_notifications()
  local out = {}
  for _, n in ipairs(H.notifications) do
    table.insert(out, n.message)
  end
  if #out == 0 then
    return "no notifications"
  end
  return table.concat(out, "\n    ")
end

-- Messages the server showed (window/showMessage), recorded in order.
H.messages = {}

function H.record_messages()
  local function keep(result)
    if type(result) == "table" then
      table.insert(H.messages, { type = result.type, message = result.message })
      H.log("  server says (%d): %s", result.type or 0, result.message or "")
    end
  end
  -- Servers started elsewhere use the global handler; the plugin's own
  -- use its show_message.
  local original = vim.lsp.handlers["window/showMessage"]
  vim.lsp.handlers["window/showMessage"] = function(err, result, ctx, cfg)
    keep(result)
    if original then
      return original(err, result, ctx, cfg)
    end
  end
  local donkeyls = require("donkeyls")
  local show = donkeyls.show_message
  donkeyls.show_message = function(root, result)
    keep(result)
    return show(root, result)
  end
end

function H.describe_messages()
  if #H.messages == 0 then
    return "no messages from the server"
  end
  local out = {}
  for _, m in ipairs(H.messages) do
    table.insert(out, string.format("[%d] %s", m.type or 0, m.message or ""))
  end
  return table.concat(out, "\n    ")
end

-- Applies a code action the way a user does: vim.lsp.buf.code_action()
-- with the cursor at (line, col) (1-based line, 0-based byte column), the
-- menu answered by picking the first action choose(action) accepts. Returns
-- the chosen action and the titles offered.
function H.code_action(bufnr, line, col, context, choose, timeout)
  local win = vim.fn.bufwinid(bufnr)
  if win == -1 then
    vim.api.nvim_set_current_buf(bufnr)
    win = vim.api.nvim_get_current_win()
  end
  vim.api.nvim_set_current_win(win)
  vim.api.nvim_win_set_cursor(win, { line, col })
  local offered, chosen
  local asked = false
  local original = vim.ui.select
  vim.ui.select = function(items, _, on_choice)
    asked = true
    offered = {}
    local pick
    for _, item in ipairs(items) do
      -- 0.7 passes { client_id, action }; later releases { ctx = ..., action = ... }.
      local action = item.action or item[2]
      table.insert(offered, string.format("%s [%s]", action.title, tostring(action.kind)))
      if not pick and choose(action) then
        pick = item
        chosen = action
      end
    end
    on_choice(pick)
  end
  -- 0.7 takes the context itself, later releases an options table.
  local arg = context
  if vim.fn.has("nvim-0.8") == 1 then
    arg = { context = context }
  end
  local ok, err = pcall(vim.lsp.buf.code_action, arg)
  if not ok then
    vim.ui.select = original
    H.fail("vim.lsp.buf.code_action() to run", tostring(err))
  end
  vim.wait(timeout or 10000, function()
    return asked
  end, 25)
  vim.ui.select = original
  return chosen, offered, asked
end

-- Runs a scenario: on success quits with 0, on failure prints the step,
-- what was expected and what came, and quits with 1. cleanup runs either
-- way (stops servers, so no process outlives the editor).
function H.run(scenario, cleanup)
  local ok, err = xpcall(scenario, function(e)
    if type(e) == "table" and (e.donkeyls_failure or e.donkeyls_skip) then
      return e
    end
    return { step = current, expected = "no Lua error", got = debug.traceback(tostring(e), 2) }
  end)
  if cleanup then
    local cok, cerr = pcall(cleanup)
    if not cok then
      H.log("cleanup failed: %s", tostring(cerr))
    end
  end
  if not ok and err.donkeyls_skip then
    H.log("SKIP: %s", err.reason)
    vim.cmd("cquit 77")
  elseif ok then
    H.log("PASS")
    vim.cmd("qall!")
  else
    H.log("FAIL in step %q\n  expected: %s\n  got:      %s", err.step, tostring(err.expected), tostring(err.got))
    vim.cmd("cquit 1")
  end
end

return H
