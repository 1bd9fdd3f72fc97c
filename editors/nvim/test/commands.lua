-- Scenario: the user commands. A buffer outside any project starts
-- nothing; :DonkeyDev opens `donkeyls dev` in a terminal split (and shows
-- the same one when run again); :DonkeyRestart restarts the dev server
-- through the supervisor; :DonkeyStatus reports it; an untrusted project
-- refuses :DonkeyRegenerate (the server's reason) and :DonkeyDev (the
-- plugin's); :DonkeyLspRestart gives a new server with the same buffers.
local here = vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":p:h")
package.path = here .. "/?.lua;" .. package.path
local H = require("helpers")

local root = H.env("DONKEYLS_TEST_ROOT")
local untrusted = H.env("DONKEYLS_TEST_UNTRUSTED")
local outside = H.env("DONKEYLS_TEST_OUTSIDE")
local marker = H.env("DONKEYLS_TEST_MARKER")
local bin = H.env("DONKEYLS_TEST_BIN")
local log = H.env("DONKEYLS_TEST_LOG")

-- The dev server stands in for `bun run`: it notes its pid in the marker
-- file each time it starts, then waits.
local dev_server = { "sh", "-c", 'echo $$ >> "$0"; echo "dev server $$ listening"; exec sleep 600', marker }

local function starts()
  if vim.fn.filereadable(marker) == 0 then
    return {}
  end
  return vim.fn.readfile(marker)
end

local function open(path)
  vim.cmd("edit " .. vim.fn.fnameescape(path))
  return vim.api.nvim_get_current_buf()
end

H.run(function()
  local donkeyls = require("donkeyls")
  local compat = require("donkeyls.compat")

  H.step("setup")
  H.record_messages()
  H.record_notifications()
  vim.cmd("filetype on")
  H.check(
    donkeyls.setup({
      cmd = { bin, "serve" },
      log_file = log,
      settings = {
        typegen = { onSave = "off" },
        trusted = function(r)
          return r ~= untrusted
        end,
      },
      dev = { args = { "--grace", "2s" }, command = dev_server },
    }),
    "setup() to accept the options",
    "it refused them"
  )
  for _, name in ipairs({ "DonkeyRegenerate", "DonkeyRestart", "DonkeyDev", "DonkeyStatus", "DonkeyLspRestart" }) do
    H.check(vim.fn.exists(":" .. name) == 2, ":" .. name .. " to exist", "it does not")
  end

  H.step("a file outside any project starts nothing")
  open(outside .. "/loose.ts")
  H.check(vim.bo.filetype == "typescript", "filetype typescript", vim.bo.filetype)
  H.check(
    #compat.get_clients({ name = "donkeyls" }) == 0,
    "no donkeyls client",
    vim.inspect(vim.tbl_map(function(c)
      return c.config.root_dir
    end, compat.get_clients({ name = "donkeyls" })))
  )

  H.step("open the route file")
  local route = open(root .. "/src/server/routes/admin.ts")
  H.wait(30000, "the direct database query diagnostic (the project is analyzed)", function()
    return H.find_message(route, "queries ctx.db directly") ~= nil
  end, function()
    return H.describe_diagnostics(route) .. "; " .. H.describe_messages()
  end)
  local first_client = donkeyls.client(root)
  H.check(first_client ~= nil, "a running client for " .. root, vim.inspect(donkeyls.roots()))

  H.step(":DonkeyDev opens the dev server in a terminal split")
  vim.cmd("DonkeyDev")
  local term = vim.api.nvim_get_current_buf()
  H.check(
    vim.bo[term].buftype == "terminal",
    "the current buffer to be the dev terminal",
    "buftype " .. vim.bo[term].buftype .. "; " .. H.describe_notifications()
  )
  H.check(#vim.api.nvim_list_wins() == 2, "a split (two windows)", #vim.api.nvim_list_wins() .. " windows")
  H.wait(20000, "the dev server to start once", function()
    return #starts() == 1
  end, function()
    return "starts: " .. vim.inspect(starts()) .. "; terminal: "
      .. table.concat(vim.api.nvim_buf_get_lines(term, 0, -1, false), " | ")
  end)
  local dev_job = donkeyls.status(root).dev.job

  H.step(":DonkeyDev again shows the same terminal")
  vim.cmd("wincmd p")
  vim.cmd("DonkeyDev")
  H.check(vim.api.nvim_get_current_buf() == term, "the same terminal buffer", vim.api.nvim_get_current_buf())
  H.check(#vim.api.nvim_list_wins() == 2, "still two windows", #vim.api.nvim_list_wins())
  H.check(donkeyls.status(root).dev.job == dev_job, "the same job", donkeyls.status(root).dev.job)

  H.step(":DonkeyRestart restarts it through the supervisor")
  vim.cmd("wincmd p")
  H.check(vim.api.nvim_get_current_buf() == route, "back in the route buffer", vim.api.nvim_get_current_buf())
  vim.cmd("DonkeyRestart")
  H.wait(30000, "the server to answer donkeyls.restart", function()
    return donkeyls.status(root).last["donkeyls.restart"] ~= nil
  end, function()
    return H.describe_messages()
  end)
  local last = donkeyls.status(root).last["donkeyls.restart"]
  H.check(
    last.ok and type(last.result) == "table" and last.result.restarted == true,
    "restarted = true",
    vim.inspect(last) .. "; " .. H.describe_messages()
  )
  H.wait(20000, "a second dev server start", function()
    return #starts() == 2
  end, function()
    return "starts: " .. vim.inspect(starts())
  end)

  H.step(":DonkeyStatus")
  local lines = table.concat(donkeyls.status_lines(root), "\n")
  H.log("%s", lines)
  H.check(
    lines:find("dev: running in terminal buffer " .. term, 1, true) ~= nil,
    "the status to show the dev terminal",
    lines
  )
  H.check(lines:find("server: running", 1, true) ~= nil, "the status to show the server running", lines)

  H.step("an untrusted project refuses to run its code")
  local ubuf = open(untrusted .. "/src/server/plugins/books/index.ts")
  H.wait(15000, "a client for the untrusted project", function()
    local c = donkeyls.client(untrusted)
    return c ~= nil and c.server_capabilities ~= nil
  end)
  H.check(donkeyls.client(untrusted).id ~= first_client.id, "a server of its own", "the same client")
  vim.cmd("DonkeyRegenerate")
  H.wait(15000, "the answer to donkeyls.regenerate", function()
    return donkeyls.status(untrusted).last["donkeyls.regenerate"] ~= nil
  end, function()
    return H.describe_messages()
  end)
  local refused = donkeyls.status(untrusted).last["donkeyls.regenerate"]
  H.check(
    not refused.ok and tostring(refused.error):find("not trusted", 1, true),
    "regenerate refused because the workspace is not trusted",
    vim.inspect(refused)
  )
  local wins = #vim.api.nvim_list_wins()
  vim.cmd("DonkeyDev")
  H.check(vim.api.nvim_get_current_buf() == ubuf, "no terminal opened", vim.api.nvim_buf_get_name(0))
  H.check(#vim.api.nvim_list_wins() == wins, "no new window", #vim.api.nvim_list_wins())
  H.wait(2000, "a warning that the project is not trusted", function()
    return H.find_notification("is not trusted") ~= nil
  end, H.describe_notifications)

  H.step(":DonkeyLspRestart starts a new server for the same buffers")
  open(root .. "/src/server/routes/admin.ts")
  vim.cmd("DonkeyLspRestart")
  H.wait(15000, "a new client attached to the route buffer", function()
    local c = donkeyls.client(root)
    return c ~= nil and c.id ~= first_client.id and vim.lsp.buf_is_attached(route, c.id)
  end, function()
    return vim.inspect(donkeyls.roots())
  end)
  H.check(compat.is_stopped(first_client), "the old server stopped", "it still runs")
  H.wait(30000, "diagnostics from the new server", function()
    return H.find_message(route, "queries ctx.db directly") ~= nil
  end, function()
    return H.describe_diagnostics(route)
  end)
end, function()
  require("donkeyls").stop_all(5000)
end)
