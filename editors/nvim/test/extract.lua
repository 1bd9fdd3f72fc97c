-- Scenario: route admin.salesReport queries ctx.db directly. Apply the
-- refactor.extract action "Extract into new plugin ..." from the code
-- action menu, save everything, and report what was applied; the Go test
-- checks the files written. When the server sends the edit with
-- workspace/applyEdit, Neovim's own handler answers it, and the command
-- must succeed with that answer.
local here = vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":p:h")
package.path = here .. "/?.lua;" .. package.path
local H = require("helpers")

local root = H.env("DONKEYLS_TEST_ROOT")
local bin = H.env("DONKEYLS_TEST_BIN")
local log = H.env("DONKEYLS_TEST_LOG")
local result_path = H.env("DONKEYLS_TEST_RESULT")

-- Every workspace/applyEdit the server sends, with Neovim's reply.
local apply_edits = {}
local default_apply = vim.lsp.handlers["workspace/applyEdit"]
vim.lsp.handlers["workspace/applyEdit"] = function(err, params, ctx, cfg)
  local reply = default_apply(err, params, ctx, cfg)
  table.insert(apply_edits, { params = params, reply = reply })
  H.log("  workspace/applyEdit answered %s", vim.inspect(reply))
  return reply
end

local function buffer_text(buf)
  return table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n")
end

H.run(function()
  H.step("setup")
  H.record_messages()
  vim.cmd("filetype on")
  local donkeyls = require("donkeyls")
  local compat = require("donkeyls.compat")
  H.check(
    donkeyls.setup({ cmd = { bin, "serve" }, log_file = log, settings = { typegen = { onSave = "off" } } }),
    "setup() to accept the options",
    "it refused them"
  )

  H.step("open src/server/routes/admin.ts")
  vim.cmd("edit " .. vim.fn.fnameescape(root .. "/src/server/routes/admin.ts"))
  local buf = vim.api.nvim_get_current_buf()
  local client
  H.wait(15000, "an initialized donkeyls client on the route buffer", function()
    client = compat.get_clients({ bufnr = buf, name = "donkeyls" })[1]
    return client ~= nil and client.server_capabilities ~= nil
  end, function()
    return H.describe_messages()
  end)

  H.step("the server offers refactor.extract")
  local provider = client.server_capabilities.codeActionProvider
  local kinds = type(provider) == "table" and provider.codeActionKinds or {}
  if not vim.tbl_contains(kinds, "refactor.extract") then
    H.skip(
      "this donkeyls does not advertise the refactor.extract code action kind (codeActionKinds = "
        .. vim.inspect(kinds)
        .. "); the extract-to-plugin half of the issue is not tested"
    )
  end

  -- The hint sits on the query's ctx.db, the only one in the file.
  local line, col = H.locate(buf, "ctx.db")
  H.step(string.format("direct database query hint at %d:%d", line + 1, col + 1))
  H.wait(30000, "the direct database query diagnostic on ctx.db in admin.salesReport", function()
    return H.find_message(buf, "queries ctx.db directly") ~= nil
  end, function()
    return H.describe_diagnostics(buf)
  end)
  local d = H.find_message(buf, "queries ctx.db directly")
  H.check(
    d.lnum == line and d.col == col,
    string.format("the hint at %d:%d", line + 1, col + 1),
    string.format("at %d:%d", d.lnum + 1, d.col + 1)
  )

  local action, via, command_ok
  if os.getenv("DONKEYLS_TEST_EXTRACT_VIA") == "command" then
    -- The command form: the server computes the edit and sends it with
    -- workspace/applyEdit; Neovim's own handler applies it and answers, and
    -- the server must read that answer as success.
    H.step("run donkeyls.extractToPlugin through workspace/executeCommand")
    local done, answer, answer_err
    client.request("workspace/executeCommand", {
      command = "donkeyls.extractToPlugin",
      arguments = { { uri = vim.uri_from_bufnr(buf), position = { line = line, character = col }, plugin = "reports" } },
    }, function(err, result)
      done, answer, answer_err = true, result, err
    end, buf)
    H.wait(30000, "donkeyls.extractToPlugin to answer", function()
      return done
    end, function()
      return "no answer; applyEdits: " .. vim.inspect(apply_edits) .. "; " .. H.describe_messages()
    end)
    H.check(
      answer_err == nil and type(answer) == "table" and answer.applied == true,
      "the command to report applied = true once Neovim answered workspace/applyEdit",
      vim.inspect(answer_err or answer) .. "; applyEdit replies: " .. vim.inspect(vim.tbl_map(function(a)
        return a.reply
      end, apply_edits))
    )
    H.check(#apply_edits == 1, "exactly one workspace/applyEdit from the server", tostring(#apply_edits))
    action = { title = "donkeyls.extractToPlugin", kind = "command" }
    via, command_ok = "command", true
  else
    H.step("apply Extract into new plugin")
    local offered, asked
    action, offered, asked = H.code_action(buf, line + 1, col, { only = { "refactor.extract" } }, function(a)
      return a.kind == "refactor.extract" and a.title:find("new plugin", 1, true) ~= nil
    end)
    H.check(asked, "a code action menu for refactor.extract", "none; " .. H.describe_messages())
    H.check(
      action ~= nil,
      'an "Extract into new plugin ..." refactor.extract action',
      table.concat(offered or {}, "; ")
    )
    via = action.edit and "edit" or "command"
    local command = type(action.command) == "table" and action.command.command or action.command
    H.log("  chose %q (%s) via %s", action.title, action.kind, via)

    if action.command then
      H.wait(30000, "the command " .. tostring(command) .. " to answer", function()
        return donkeyls.status(root).last[command] ~= nil
      end, function()
        return "no answer; applyEdits: " .. vim.inspect(apply_edits) .. "; " .. H.describe_messages()
      end)
      local last = donkeyls.status(root).last[command]
      command_ok = last.ok
      H.check(
        last.ok,
        "the extract command to succeed after Neovim answered workspace/applyEdit",
        vim.inspect(last) .. "; applyEdit replies: " .. vim.inspect(vim.tbl_map(function(a)
          return a.reply
        end, apply_edits)) .. "; " .. H.describe_messages()
      )
    end
  end

  H.step("the route calls the plugin")
  H.wait(15000, "admin.ts to call ctx.plugins.* instead of querying ctx.db", function()
    local text = buffer_text(buf)
    return text:find("ctx.plugins.", 1, true) ~= nil and text:find("selectFrom(\"orders\")", 1, true) == nil
  end, function()
    return buffer_text(buf)
  end)

  H.step("save all buffers")
  vim.cmd("silent wall")
  local modified = {}
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(b) and vim.bo[b].modified then
      table.insert(modified, vim.api.nvim_buf_get_name(b))
    end
  end
  H.check(#modified == 0, "every buffer written", table.concat(modified, ", "))

  H.step("the direct database query hint clears")
  H.wait(20000, "the direct database query hint to clear from admin.ts", function()
    return H.find_message(buf, "queries ctx.db directly") == nil
  end, function()
    return H.describe_diagnostics(buf)
  end)

  for _, m in ipairs(H.messages) do
    H.check(m.type ~= 1, "no error message from the server", m.message)
  end

  local res = { title = action.title, kind = action.kind, via = via, commandOk = command_ok }
  if #apply_edits > 0 then
    res.applyEdits = {}
    for _, a in ipairs(apply_edits) do
      table.insert(res.applyEdits, {
        applied = type(a.reply) == "table" and a.reply.applied == true,
        failureReason = type(a.reply) == "table" and a.reply.failureReason or nil,
      })
    end
  end
  vim.fn.writefile({ vim.json.encode(res) }, result_path)
end, function()
  require("donkeyls").stop_all(5000)
end)
