-- donkeyls for Neovim: starts `donkeyls serve` for buffers inside a
-- donkeylabs project and adds the commands a donkeylabs developer needs
-- (regenerate types, restart or open the dev server, status). Works with
-- Neovim's built-in client from 0.7 on; see :h donkeyls.
local compat = require("donkeyls.compat")
local config = require("donkeyls.config")
local rootmod = require("donkeyls.root")
local dev = require("donkeyls.dev")
local trust = require("donkeyls.trust")

local M = {}

M.commands = {
  regenerate = "donkeyls.regenerate",
  restart = "donkeyls.restart",
}

local levels = vim.log.levels

-- Everything the plugin remembers about the projects of this editor.
local state = {
  opts = nil, -- resolved setup() options; nil until setup()
  clients = {}, -- root -> client id
  info = {}, -- root -> { cmd, settings, server, started }
  progress = {}, -- root -> token -> { title, message }
  status = {}, -- project root -> the server's last donkeyls/status for it
  last = {}, -- root -> name -> { ok, at, ... }
  stopping = {}, -- client id -> true while we stop it on purpose
  shown = {}, -- messages shown once
  shown_message = {}, -- root -> { key, at } of the server's last message
  asked = {}, -- root .. "\0" .. fingerprint -> true once the trust prompt was shown
}

local function notify(msg, level)
  vim.schedule(function()
    vim.notify("donkeyls: " .. msg, level or levels.INFO)
  end)
end

local function notify_once(key, msg, level)
  if state.shown[key] then
    return
  end
  state.shown[key] = true
  notify(msg, level)
end

local function project_name(root)
  return vim.fn.fnamemodify(root, ":t")
end

local function record(root, name, entry)
  state.last[root] = state.last[root] or {}
  entry.at = os.time()
  state.last[root][name] = entry
end

local function resolve_buf(bufnr)
  if bufnr == nil or bufnr == 0 then
    return vim.api.nvim_get_current_buf()
  end
  return bufnr
end

local function buf_path(bufnr)
  if not vim.api.nvim_buf_is_valid(bufnr) or vim.bo[bufnr].buftype ~= "" then
    return nil
  end
  return rootmod.normalize(vim.api.nvim_buf_get_name(bufnr))
end

--- The resolved setup() options, nil before setup().
function M.options()
  return state.opts
end

--- The project root of a buffer (0 or nil: the current one), or nil.
function M.root_for(bufnr)
  bufnr = resolve_buf(bufnr)
  -- The dev terminal belongs to the project it runs.
  local ok, dev_root = pcall(vim.api.nvim_buf_get_var, bufnr, "donkeyls_dev_root")
  if ok and type(dev_root) == "string" then
    return dev_root
  end
  local path = buf_path(bufnr)
  return path and rootmod.find(path) or nil
end

--- The running client of a project, or nil.
function M.client(root)
  local id = state.clients[root]
  local client = id and vim.lsp.get_client_by_id(id)
  if client and not compat.is_stopped(client) then
    return client
  end
  -- A server started some other way (nvim-lspconfig, vim.lsp.enable) for
  -- the same project serves the commands too, and is not started twice.
  for _, c in ipairs(compat.get_clients({ name = "donkeyls" })) do
    if c.config and c.config.root_dir == root and not compat.is_stopped(c) then
      return c
    end
  end
  return nil
end

--- Every project with a running client, sorted.
function M.roots()
  local out = {}
  for root in pairs(state.clients) do
    if M.client(root) then
      table.insert(out, root)
    end
  end
  for _, c in ipairs(compat.get_clients({ name = "donkeyls" })) do
    local r = c.config and c.config.root_dir
    if r and not vim.tbl_contains(out, r) and not compat.is_stopped(c) then
      table.insert(out, r)
    end
  end
  table.sort(out)
  return out
end

-- Open buffers of the project that have no unsaved changes are re-read
-- after type generation, so generated files shown in a window (and the
-- server's view of them, which follows open buffers) are the new ones.
local function reload_unmodified(root)
  local prefix = root .. "/"
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(buf) and not vim.bo[buf].modified then
      local path = buf_path(buf)
      if path and path:sub(1, #prefix) == prefix then
        pcall(vim.cmd, "checktime " .. buf)
      end
    end
  end
end

local function progress_handler(root)
  return function(err, result, ctx, cfg)
    local default = vim.lsp.handlers["$/progress"]
    local ret
    if default then
      ret = default(err, result, ctx, cfg)
    end
    local value = type(result) == "table" and result.value or nil
    if type(value) ~= "table" then
      return ret
    end
    local all = state.progress[root] or {}
    state.progress[root] = all
    local key = tostring(result.token)
    if value.kind == "begin" then
      all[key] = { title = value.title or "", message = value.message }
    elseif value.kind == "report" and all[key] then
      all[key].message = value.message or all[key].message
    elseif value.kind == "end" then
      all[key] = nil
    end
    return ret
  end
end

--- donkeyls/status (docs/protocol.md): the server's state of one project.
--- Kept for M.status() and the statusline; a run of the generator that
--- ended is recorded, and the project's unmodified buffers are re-read.
function M.on_status(result)
  if type(result) ~= "table" or type(result.root) ~= "string" or type(result.types) ~= "table" or type(result.dev) ~= "table" then
    return
  end
  local root = result.root
  local prev = state.status[root]
  state.status[root] = (not result.removed) and result or nil
  if prev and prev.types.state == "generating" and result.types.state ~= "generating" and not result.removed then
    local failed = result.types.state == "failed"
    record(root, "typegen", { ok = not failed, message = failed and (result.types.failure or "failed") or "done" })
    vim.schedule(function()
      reload_unmodified(root)
      compat.user_event("DonkeylsTypegenDone")
    end)
  end
  vim.schedule(function()
    compat.user_event("DonkeylsStatus")
  end)
end

-- sent: vim.loop.now() when the request went out, nil when unknown.
local function execute_command_handler(root, sent)
  return function(err, result, ctx)
    local params = type(ctx) == "table" and ctx.params or {}
    local command = type(params) == "table" and params.command or "command"
    local entry = { ok = err == nil, result = result }
    if err then
      entry.error = err.message or vim.inspect(err)
      -- -32800: cancelled by the user (from the progress), nothing to say.
      -- A server that showed why it failed (its messages come before its
      -- answer) has said it already: once is enough.
      local said = sent and state.shown_message[root] and state.shown_message[root].at >= sent
      if err.code ~= -32800 and not said then
        notify(string.format("%s failed: %s", command, entry.error), levels.ERROR)
      end
    elseif command == M.commands.regenerate and type(result) == "table" then
      -- A failed run was already reported by the server (showMessage).
      entry.ok = result.exitCode == 0
      if entry.ok then
        notify(string.format("types regenerated in %s (%d ms)", project_name(root), result.durationMs or 0))
      end
    end
    record(root, command, entry)
    vim.schedule(function()
      compat.user_event("DonkeylsCommandDone")
    end)
  end
end

-- One line that fits the command line: a longer or multi-line message
-- makes Neovim stop at a "Press ENTER" prompt, in the middle of a :write.
-- The middle goes: a message starts with what failed and ends with why.
local function one_line(msg)
  msg = vim.trim((msg:gsub("%s*\n%s*", " ")))
  local room = math.max(20, (vim.v.echospace or (vim.o.columns - 12)) - 1)
  -- What can go first: the command quoted in `...` (it is in the log and in
  -- :DonkeyStatus), then the pointer to the log.
  for _, shorten in ipairs({
    function(m)
      return (m:gsub(" ?`[^`]*`", ""))
    end,
    function(m)
      return (m:gsub("%.? The full output is in the donkeyls log%.$", ""))
    end,
  }) do
    if vim.fn.strdisplaywidth(msg) <= room then
      return msg
    end
    msg = shorten(msg)
  end
  local width = vim.fn.strchars(msg)
  if vim.fn.strdisplaywidth(msg) <= room then
    return msg
  end
  -- Keep the first clause ("donkeyls: type generation failed in app:")
  -- whole when it leaves some room for the end.
  local head = math.floor((room - 1) * 0.4)
  local clause = msg:find(": ", #"donkeyls: " + 1, true)
  if clause and clause + 1 <= (room - 1) * 0.75 then
    head = vim.fn.strchars(msg:sub(1, clause + 1))
  end
  local tail = room - 1 - head
  return vim.fn.strcharpart(msg, 0, head) .. "…" .. vim.fn.strcharpart(msg, width - tail, tail)
end

local message_levels = { levels.ERROR, levels.WARN, levels.INFO, levels.DEBUG }

--- window/showMessage from a server this plugin started: shown once, on one
--- line; the whole text goes to the LSP log and :DonkeyStatus.
function M.show_message(root, result)
  if type(result) ~= "table" or type(result.message) ~= "string" then
    return
  end
  local level = message_levels[result.type] or levels.INFO
  local key = tostring(result.type) .. "\0" .. result.message
  local now = vim.loop.now()
  local seen = state.shown_message[root]
  if seen and seen.key == key and now - seen.at < 10000 then
    seen.at = now
    return -- the same words again (a failure reported by two paths)
  end
  state.shown_message[root] = { key = key, at = now }
  record(root, "message", { ok = level > levels.WARN, message = result.message })
  pcall(function()
    require("vim.lsp.log").warn("donkeyls " .. root .. ": " .. result.message)
  end)
  local line = one_line(result.message)
  vim.schedule(function()
    vim.notify(line, level)
  end)
end

local on_trust_required, run_command, check_before_save

-- What the plugin handles of the server's own protocol: we ask the user
-- about trust ourselves (donkeyls/trustRequired), so the server sends that
-- instead of its refusal message; and we render donkeyls/status.
local function experimental(capabilities)
  capabilities.experimental = vim.tbl_extend(
    "force",
    capabilities.experimental or {},
    { donkeylsTrustRequest = true, donkeylsStatus = true }
  )
  return capabilities
end

local function client_config(root, cmd, settings)
  local handlers = {
    ["$/progress"] = progress_handler(root),
    ["workspace/executeCommand"] = execute_command_handler(root),
    ["window/showMessage"] = function(_, result)
      -- Looked up at each call, so tests and users can wrap it.
      return M.show_message(root, result)
    end,
    ["donkeyls/trustRequired"] = function(_, result)
      vim.schedule(function()
        on_trust_required(root, type(result) == "table" and result or {})
      end)
    end,
    ["donkeyls/status"] = function(_, result)
      return M.on_status(result)
    end,
  }
  local capabilities = experimental(config.capabilities(state.opts))
  return {
    name = "donkeyls",
    cmd = cmd,
    cmd_cwd = root,
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = project_name(root) } },
    init_options = settings,
    settings = { donkeyls = settings },
    capabilities = capabilities,
    handlers = vim.tbl_extend("force", handlers, state.opts.handlers or {}),
    -- Code actions that run a project command go through the trust check
    -- like :DonkeyRegenerate does.
    commands = {
      [M.commands.regenerate] = function(command)
        run_command(root, M.commands.regenerate, command.arguments)
      end,
      [M.commands.restart] = function(command)
        run_command(root, M.commands.restart, command.arguments)
      end,
    },
    on_attach = state.opts.on_attach,
    on_init = function(_, result)
      if state.info[root] and type(result) == "table" then
        state.info[root].server = result.serverInfo
      end
    end,
    on_exit = function(code, signal, client_id)
      local on_purpose = state.stopping[client_id]
      state.stopping[client_id] = nil
      if state.clients[root] == client_id then
        state.clients[root] = nil
        state.progress[root] = nil
        -- What the server reported went with it (nested projects too).
        for r in pairs(state.status) do
          if r == root or r:sub(1, #root + 1) == root .. "/" then
            state.status[r] = nil
          end
        end
      end
      if not on_purpose and (code ~= 0 or (signal or 0) ~= 0) then
        notify(
          string.format(
            "the language server for %s exited (code %d, signal %d); :DonkeyLspRestart starts it again",
            project_name(root),
            code or -1,
            signal or 0
          ),
          levels.WARN
        )
      end
    end,
  }
end

local function start(root, bufnr)
  local client = M.client(root)
  if client then
    if not vim.lsp.buf_is_attached(bufnr, client.id) then
      vim.lsp.buf_attach_client(bufnr, client.id)
    end
    return client.id
  end
  local cmd, err = config.server_cmd(state.opts, root)
  if not cmd then
    notify_once("cmd:" .. err, err, levels.ERROR)
    return nil
  end
  local settings, serr = config.settings_for(state.opts, root)
  if serr then
    notify_once("trusted:" .. root, serr, levels.WARN)
  end
  compat.patch_create_file_parents()
  state.info[root] = { cmd = cmd, settings = settings, started = os.time() }
  local id = compat.start(client_config(root, cmd, settings), bufnr, function(c)
    return c.name == "donkeyls" and c.config.root_dir == root
  end)
  if not id then
    notify_once("start:" .. root, "could not start " .. table.concat(cmd, " "), levels.ERROR)
    return nil
  end
  state.clients[root] = id
  return id
end

--- Attaches a buffer to its project's server, starting the server first if
--- needed. Returns the client id, or nil when the buffer is in no project.
function M.attach(bufnr)
  if not state.opts then
    return nil
  end
  bufnr = resolve_buf(bufnr)
  local path = buf_path(bufnr)
  local root = path and rootmod.find(path)
  if not root then
    return nil
  end
  return start(root, bufnr)
end

local function wants_filetype(ft)
  return vim.tbl_contains(state.opts.filetypes, ft)
end

--- Sends new settings to every running server (and keeps them for servers
--- started later). Trust is taken from start-up only, so a change of trust
--- restarts the servers.
function M.update_settings(settings)
  local opts, err = config.resolve(vim.tbl_extend("force", {}, state.opts or {}, { settings = settings }))
  if not opts then
    notify(err, levels.ERROR)
    return false
  end
  state.opts = opts
  for _, root in ipairs(M.roots()) do
    local client = M.client(root)
    local new = config.settings_for(opts, root)
    local old = state.info[root] and state.info[root].settings or {}
    if (new.trusted ~= false) ~= (old.trusted ~= false) then
      M.restart_server(root)
    else
      local section = { donkeyls = new }
      state.info[root] = state.info[root] or {}
      state.info[root].settings = new
      -- workspace/configuration answers from config.settings up to 0.10 and
      -- from client.settings later.
      client.config.settings = section
      if client.settings ~= nil then
        client.settings = section
      end
      compat.notify(client, "workspace/didChangeConfiguration", { settings = section })
    end
  end
  return true
end

-- The root of the client a message came from (a config shared by every
-- project, as vim.lsp.config's is, knows it only then).
local function client_root(ctx)
  local client = type(ctx) == "table" and ctx.client_id and vim.lsp.get_client_by_id(ctx.client_id)
  return client and client.config and client.config.root_dir or nil
end

--- The client configuration for Neovim 0.11's vim.lsp.config() (what
--- lsp/donkeyls.lua returns): one for every project, the root found per
--- buffer, the project's settings sent when its server starts, and the
--- plugin's handlers. Needs no setup(); setup()'s options are used when given.
function M.lsp_config()
  local opts = state.opts or config.defaults
  return {
    cmd = { "donkeyls", "serve" },
    filetypes = vim.deepcopy(opts.filetypes),
    -- 0.11 calls root_dir(bufnr, on_dir) and starts nothing for a buffer
    -- whose on_dir is never called: a file in no donkeylabs project.
    root_dir = function(bufnr, on_dir)
      local root = M.root_for(bufnr)
      if root then
        on_dir(root)
      end
    end,
    capabilities = experimental(config.capabilities(opts)),
    before_init = function(params, cfg)
      local settings = config.settings_for(state.opts or config.defaults, cfg.root_dir)
      params.initializationOptions = settings
      cfg.settings = { donkeyls = settings }
      cfg.cmd_cwd = cfg.cmd_cwd or cfg.root_dir
      if cfg.root_dir then
        state.info[cfg.root_dir] = { cmd = cfg.cmd, settings = settings, started = os.time() }
      end
    end,
    handlers = {
      ["$/progress"] = function(err, result, ctx, cfg)
        local root = client_root(ctx)
        if not root then
          return vim.lsp.handlers["$/progress"](err, result, ctx, cfg)
        end
        return progress_handler(root)(err, result, ctx, cfg)
      end,
      ["workspace/executeCommand"] = function(err, result, ctx, cfg)
        local root = client_root(ctx)
        if not root then
          return vim.lsp.handlers["workspace/executeCommand"](err, result, ctx, cfg)
        end
        return execute_command_handler(root)(err, result, ctx, cfg)
      end,
      ["window/showMessage"] = function(err, result, ctx, cfg)
        local root = client_root(ctx)
        if not root then
          return vim.lsp.handlers["window/showMessage"](err, result, ctx, cfg)
        end
        return M.show_message(root, result)
      end,
      ["donkeyls/trustRequired"] = function(_, result, ctx)
        local root = client_root(ctx)
        if root then
          vim.schedule(function()
            on_trust_required(root, type(result) == "table" and result or {})
          end)
        end
      end,
      ["donkeyls/status"] = function(_, result)
        return M.on_status(result)
      end,
    },
  }
end

--- Configures the plugin; see :h donkeyls-setup.
function M.setup(user)
  local opts, err = config.resolve(user)
  if not opts then
    vim.notify("donkeyls: " .. err, levels.ERROR)
    return false
  end
  local again = state.opts ~= nil
  state.opts = opts
  require("donkeyls.commands").define()
  local group = vim.api.nvim_create_augroup("donkeyls", { clear = true })
  if opts.autostart then
    vim.api.nvim_create_autocmd("FileType", {
      group = group,
      pattern = opts.filetypes,
      desc = "donkeyls: start the language server for donkeylabs projects",
      callback = function(args)
        M.attach(args.buf)
      end,
    })
    for _, buf in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(buf) and wants_filetype(vim.bo[buf].filetype) then
        M.attach(buf)
      end
    end
  end
  vim.api.nvim_create_autocmd("BufWritePre", {
    group = group,
    desc = "donkeyls: ask again before a save when what a trusted project runs changed",
    callback = function(args)
      check_before_save(args.buf)
    end,
  })
  if again then
    M.update_settings(opts.settings)
  end
  return true
end

-- Runs fn(root) for the project of the current buffer, else the only
-- running one, else the one the user picks.
local function with_project(what, fn)
  local root = M.root_for(0)
  if root then
    return fn(root)
  end
  local roots = M.roots()
  for _, r in ipairs(dev.roots()) do
    if not vim.tbl_contains(roots, r) then
      table.insert(roots, r)
    end
  end
  if #roots == 1 then
    return fn(roots[1])
  end
  if #roots == 0 then
    notify(what .. ": the current buffer is in no donkeylabs project (no donkeylabs.config.ts above it)", levels.WARN)
    return
  end
  vim.ui.select(roots, { prompt = "donkeyls: " .. what .. " for which project?" }, function(choice)
    if choice then
      fn(choice)
    end
  end)
end

local function running_client(root, what)
  local client = M.client(root)
  if not client then
    notify(
      string.format("%s: the language server is not running for %s (open one of its TypeScript files)", what, root),
      levels.WARN
    )
  end
  return client
end

local function execute(root, command, arguments)
  local client = running_client(root, command)
  if not client then
    return false
  end
  local bufnr = vim.api.nvim_get_current_buf()
  -- Our handler even for a client started elsewhere (nvim-lspconfig),
  -- whose default one would swallow errors.
  local handler = execute_command_handler(root, vim.loop.now())
  compat.request(client, "workspace/executeCommand", { command = command, arguments = arguments or { root } }, handler, bufnr)
  return true
end

--- Regenerates the generated types of a project (the server runs its
--- typegen command). root: nil for the current project.
function M.regenerate(root)
  if root then
    return run_command(root, M.commands.regenerate)
  end
  with_project("regenerate types", function(r)
    run_command(r, M.commands.regenerate)
  end)
end

-- The user's own settings.trusted = false (or a function saying so): the
-- project runs none of its own code from the editor, and nothing asks.
local function trusted(root, what)
  if config.explicit_trust(state.opts or config.defaults, root) == false then
    notify(
      string.format(
        "%s runs this project's own code, and %s is not trusted (settings.trusted); nothing was run",
        what,
        root
      ),
      levels.WARN
    )
    return false
  end
  return true
end

local function dev_command(root)
  local opts = state.opts or config.defaults
  -- The dev supervisor is the same binary as the server.
  local cmd, err = config.server_cmd(opts, root)
  if not cmd then
    notify(err, levels.ERROR)
    return nil
  end
  return dev.command(cmd[1], opts, config.settings_for(opts, root), root)
end

--- Opens `donkeyls dev` for a project in a terminal split, or shows the
--- one already running.
function M.dev(root)
  local function open(r)
    if not trusted(r, ":DonkeyDev") then
      return
    end
    local cmd = dev_command(r)
    if not cmd then
      return
    end
    local _, err = dev.open(r, cmd, (state.opts or config.defaults).dev.open)
    if err then
      notify(err, levels.ERROR)
    end
  end
  if root then
    return open(root)
  end
  with_project("start the dev server", open)
end

--- Restarts a project's dev server through the `donkeyls dev` supervisor
--- (wherever it was started). Without a language server, a dev terminal
--- opened here is restarted instead.
function M.restart(root)
  local function run(r)
    if not trusted(r, ":DonkeyRestart") then
      return false
    end
    if M.client(r) then
      return run_command(r, M.commands.restart)
    end
    if dev.get(r) then
      dev.stop(r)
      M.dev(r)
      return true
    end
    running_client(r, "restart the dev server")
    return false
  end
  if root then
    return run(root)
  end
  with_project("restart the dev server", run)
end

-- Stops the language server of project r and returns the buffers it served.
local function stop_server(r)
  local client = M.client(r)
  local bufs = {}
  if client then
    for _, buf in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(buf) and vim.lsp.buf_is_attached(buf, client.id) then
        table.insert(bufs, buf)
      end
    end
    state.stopping[client.id] = true
    compat.stop(client)
    vim.wait(5000, function()
      return compat.is_stopped(client)
    end, 20)
    if not compat.is_stopped(client) then
      compat.stop(client, true)
    end
    state.clients[r] = nil
  end
  return bufs
end

--- Stops and starts the language server of a project, re-reading settings.
function M.restart_server(root)
  local function run(r)
    local bufs = stop_server(r)
    if #bufs == 0 then
      local cur = vim.api.nvim_get_current_buf()
      if M.root_for(cur) == r then
        bufs = { cur }
      end
    end
    for _, buf in ipairs(bufs) do
      start(r, buf)
    end
    if #bufs == 0 then
      notify("the language server of " .. r .. " starts with the next TypeScript file you open there")
    end
  end
  if root then
    return run(root)
  end
  with_project("restart the language server", run)
end

-- Trust: the first time a project would run one of its commands (typegen
-- on save, regenerate, restart), the user is asked once; the answer is
-- remembered by donkeyls.trust, bound to what would run. The server takes
-- trust only from initializationOptions, so a change of trust restarts it.

local function server_trusted(root)
  local info = state.info[root]
  return info ~= nil and type(info.settings) == "table" and info.settings.trusted == true
end

-- Restarts the server of root (with the trust now remembered) and runs
-- fn once the new one is initialized.
local function restart_then(root, fn)
  M.restart_server(root)
  local uv = compat.uv
  local deadline = uv.now() + 15000
  local function poll()
    local client = M.client(root)
    if client and client.initialized then
      return fn and fn()
    end
    if uv.now() < deadline then
      vim.defer_fn(poll, 50)
    else
      notify("the language server of " .. root .. " did not start; :DonkeyStatus shows why", levels.ERROR)
    end
  end
  vim.defer_fn(poll, 50)
end

-- Runs fn when root is trusted: at once when it is, after asking the user
-- when it is not. automatic: the server wanted it on its own (a save), so
-- the user is asked at most once per session for what would run now.
local function with_trust(root, action, fn, automatic)
  local opts = state.opts or config.defaults
  local client = M.client(root)
  if config.explicit_trust(opts, root) ~= nil or (client and state.clients[root] ~= client.id) then
    -- The user's own settings.trusted decides, or the initializationOptions
    -- of a server started elsewhere (nvim-lspconfig): the server refuses
    -- when the answer is no.
    return fn()
  end
  local st = trust.state(root, opts)
  if st == "trusted" then
    if server_trusted(root) or not M.client(root) then
      return fn()
    end
    -- Trusted since this server started (another Neovim answered).
    return restart_then(root, fn)
  end
  if st == "never" then
    notify_once(
      "never:" .. root,
      string.format("%s is never trusted (your answer), so donkeyls did not %s; :DonkeyTrust trusts it", root, action),
      levels.WARN
    )
    return
  end
  if server_trusted(root) then
    -- What runs changed since the server was started trusted: it must not
    -- run the new commands while the user is asked.
    M.restart_server(root)
  end
  local key = root .. "\0" .. trust.fingerprint(root, opts).hash
  if automatic and state.asked[key] then
    return
  end
  state.asked[key] = true
  trust.ask(root, opts, action, st == "changed", function(choice)
    if choice == "trust" then
      local ok, err = trust.set(root, "trust", opts)
      if not ok then
        notify("could not remember the answer: " .. err, levels.ERROR)
      end
      restart_then(root, fn)
    elseif choice == "never" then
      trust.set(root, "never", opts)
      notify(string.format("%s will not be trusted; nothing ran. :DonkeyTrust trusts it", root), levels.WARN)
    else
      notify(string.format("%s is not trusted, so donkeyls did not %s; :DonkeyTrust trusts it", root, action), levels.WARN)
    end
  end)
end

run_command = function(root, command, arguments)
  local action = command == M.commands.restart and "restart the dev server" or "regenerate types"
  return with_trust(root, action, function()
    execute(root, command, arguments)
  end, false)
end

on_trust_required = function(root, info)
  local action = type(info.action) == "string" and info.action or "run a project command"
  if config.explicit_trust(state.opts or config.defaults, root) ~= nil then
    notify_once(
      "refused:" .. root .. action,
      string.format("did not %s: %s is not trusted (settings.trusted)", action, root),
      levels.WARN
    )
    return
  end
  local opts = state.opts or config.defaults
  if trust.trusted(root, opts) then
    -- A refusal by a server started before the user trusted the project;
    -- the one running now was started trusted.
    return
  end
  local command = action == "restart the dev server" and M.commands.restart or M.commands.regenerate
  with_trust(root, action, function()
    execute(root, command)
  end, true)
end

-- Before a buffer of a trusted project is written: when what the project
-- runs changed since the user trusted it (a new gen:types script, entry or
-- dev command, edited here or pulled), the server is replaced by an
-- untrusted one before it hears of the save, and the user asked again.
check_before_save = function(bufnr)
  local root = M.root_for(bufnr)
  if not root or not server_trusted(root) or not M.client(root) then
    return
  end
  local opts = state.opts or config.defaults
  if config.explicit_trust(opts, root) ~= nil or trust.trusted(root, opts) then
    return
  end
  -- Started again at once: on 0.7 an edit made while a buffer has no
  -- client detaches it from every later client. The new one is not
  -- initialized yet, so it is not told of this save.
  M.restart_server(root)
  vim.schedule(function()
    with_trust(root, "run typegen on save", function()
      execute(root, M.commands.regenerate)
    end, true)
  end)
end

--- Trusts a project (:DonkeyTrust): remembers it, bound to what it runs
--- now, and restarts its server so that the server may run its commands.
function M.trust(root)
  local function run(r)
    local opts = state.opts or config.defaults
    local ok, err = trust.set(r, "trust", opts)
    if not ok then
      notify(err, levels.ERROR)
      return false
    end
    local fp = trust.fingerprint(r, opts)
    notify(string.format("trusted %s: donkeyls may run its typegen (%s) and restart its dev server", r, fp.typegen))
    if config.explicit_trust(opts, r) == false then
      notify("your settings.trusted still says no for " .. r, levels.WARN)
    elseif M.client(r) and not server_trusted(r) then
      M.restart_server(r)
    end
    return true
  end
  if root then
    return run(root)
  end
  with_project("trust the project", run)
end

--- Revokes trust in a project (:DonkeyUntrust): nothing of it runs until
--- it is trusted again, and the next command asks.
function M.untrust(root)
  local function run(r)
    local ok, err = trust.forget(r)
    if not ok then
      notify(err, levels.ERROR)
      return false
    end
    for key in pairs(state.asked) do
      if key:sub(1, #r + 1) == r .. "\0" then
        state.asked[key] = nil
      end
    end
    notify("no longer trusted: " .. r)
    if M.client(r) and server_trusted(r) then
      M.restart_server(r)
    end
    return true
  end
  if root then
    return run(root)
  end
  with_project("stop trusting the project", run)
end

--- How root is trusted, in words (:DonkeyStatus, :checkhealth).
function M.trust_line(root)
  local opts = state.opts or config.defaults
  local explicit = config.explicit_trust(opts, root)
  if explicit ~= nil then
    return explicit and "trusted (your settings.trusted)" or "not trusted (your settings.trusted)"
  end
  local st = trust.state(root, opts)
  if st == "trusted" then
    return "trusted (you trusted it; :DonkeyUntrust revokes)"
  elseif st == "changed" then
    return "not trusted: what it runs changed since you trusted it (:DonkeyTrust)"
  elseif st == "never" then
    return "not trusted: you chose Never (:DonkeyTrust trusts it)"
  end
  return "not trusted: no project command runs until you trust it (:DonkeyTrust)"
end

-- The words of each donkeyls/status types.state.
local type_words = {
  indexing = "reading",
  unknown = "unknown",
  fresh = "up to date",
  stale = "stale",
  generating = "generating",
  failed = "failed",
}

--- What the plugin knows about a project, as a table (for statuslines and
--- scripts). root: nil for the current project.
function M.status(root)
  root = root or M.root_for(0) or M.roots()[1]
  if not root then
    return nil
  end
  local client = M.client(root)
  local info = state.info[root] or {}
  local busy = {}
  for _, p in pairs(state.progress[root] or {}) do
    table.insert(busy, p.message and (p.title .. ": " .. p.message) or p.title)
  end
  table.sort(busy)
  -- The server's word, not a reading of its diagnostics.
  local st = client and state.status[root] or nil
  local types = "unknown"
  if st then
    types = type_words[st.types.state] or tostring(st.types.state)
  end
  local t = dev.get(root)
  return {
    root = root,
    running = client ~= nil,
    client_id = client and client.id or nil,
    server = info.server,
    cmd = info.cmd,
    settings = info.settings,
    types = types,
    -- stale: findings regenerating clears, by_code: them by code, restart:
    -- findings a restart of the dev server clears; failure: why the last
    -- typegen run failed; dev_state: stopped, running or restartNeeded.
    diagnostics = {
      stale = st and tonumber(st.types.stale) or 0,
      by_code = st and type(st.types.findings) == "table" and st.types.findings or {},
      restart = st and tonumber(st.dev.restart) or 0,
    },
    failure = st and st.types.failure or nil,
    dev_state = st and st.dev.state or nil,
    busy = busy,
    last = state.last[root] or {},
    dev = t and { buf = t.buf, job = t.job } or nil,
    trust = trust.state(root, state.opts or config.defaults),
  }
end

--- A short text for a statusline: "types: stale (2)", "types: generating".
function M.statusline(bufnr)
  local root = M.root_for(bufnr)
  local s = root and M.status(root)
  if not s or not s.running then
    return ""
  end
  local text = "types: " .. s.types
  if s.types == "stale" then
    text = string.format("types: stale (%d)", s.diagnostics.stale)
  end
  if s.dev_state == "restartNeeded" then
    text = text .. " | dev: restart needed"
  end
  return text
end

local function describe_last(entry)
  if not entry then
    return nil
  end
  local when = os.date("%H:%M:%S", entry.at)
  if entry.error then
    return string.format("failed at %s: %s", when, entry.error)
  end
  local r = entry.result
  if type(r) == "table" and r.exitCode ~= nil then
    return string.format("%s at %s (exit %d, %d ms)", entry.ok and "ok" or "failed", when, r.exitCode, r.durationMs or 0)
  end
  if entry.message then
    return string.format("%s at %s (%s)", entry.ok and "ok" or "failed", when, entry.message)
  end
  return string.format("%s at %s", entry.ok and "ok" or "failed", when)
end

--- The lines :DonkeyStatus shows.
function M.status_lines(root)
  local s = M.status(root)
  if not s then
    return { "donkeyls: the current buffer is in no donkeylabs project, and no project is open" }
  end
  local lines = { string.format("donkeyls: %s (%s)", project_name(s.root), s.root) }
  if s.running then
    local version = s.server and s.server.version and (" " .. s.server.version) or ""
    table.insert(lines, string.format("  server: running (client %d, donkeyls%s)", s.client_id, version))
  else
    table.insert(lines, "  server: not running")
  end
  if s.cmd then
    table.insert(lines, "  command: " .. table.concat(s.cmd, " "))
  end
  local set = s.settings or {}
  local tg = type(set.typegen) == "table" and set.typegen or {}
  table.insert(
    lines,
    string.format(
      "  settings: typegen.command=%s typegen.onSave=%s typegen.timeout=%s trusted=%s",
      tg.command or "(the project's gen:types)",
      tg.onSave or "whenStale",
      tg.timeout or "120s",
      tostring(set.trusted == true)
    )
  )
  table.insert(lines, "  trust: " .. M.trust_line(s.root))
  local types = "  types: " .. s.types
  if s.types == "stale" then
    local codes = {}
    for code, n in pairs(s.diagnostics.by_code) do
      table.insert(codes, string.format("%s %d", code, n))
    end
    table.sort(codes)
    types = types .. " (" .. table.concat(codes, ", ") .. ")"
  elseif s.types == "failed" and s.failure then
    types = types .. ": " .. s.failure
  end
  table.insert(lines, types)
  for _, b in ipairs(s.busy) do
    table.insert(lines, "  working: " .. b)
  end
  local last = describe_last(s.last[M.commands.regenerate])
  if last then
    table.insert(lines, "  last regenerate: " .. last)
  end
  last = describe_last(s.last.typegen)
  if last then
    table.insert(lines, "  last typegen run: " .. last)
  end
  if s.last.message then
    table.insert(lines, "  last server message: " .. s.last.message.message)
  end
  if s.dev then
    table.insert(lines, string.format("  dev: running in terminal buffer %d", s.dev.buf))
  elseif s.dev_state == "running" or s.dev_state == "restartNeeded" then
    table.insert(lines, "  dev: running under `donkeyls dev`, started outside this Neovim")
  else
    table.insert(lines, "  dev: no `donkeyls dev` terminal opened here (:DonkeyDev)")
  end
  if s.dev_state == "restartNeeded" then
    table.insert(lines, "  dev server has old code loaded: :DonkeyRestart")
  end
  if state.opts and state.opts.log_file then
    table.insert(lines, "  log: " .. vim.fn.expand(state.opts.log_file))
  end
  return lines
end

--- Shows the status of the current project (:DonkeyStatus).
function M.show_status(root)
  local chunks = {}
  for i, line in ipairs(M.status_lines(root)) do
    table.insert(chunks, { (i > 1 and "\n" or "") .. line })
  end
  vim.api.nvim_echo(chunks, true, {})
end

--- Stops every server and dev terminal this plugin started (used on exit
--- and by tests); waits up to timeout_ms for them to end.
function M.stop_all(timeout_ms)
  timeout_ms = timeout_ms or 5000
  for _, r in ipairs(dev.roots()) do
    dev.stop(r, timeout_ms)
  end
  local clients = {}
  for _, r in ipairs(M.roots()) do
    local c = M.client(r)
    state.stopping[c.id] = true
    compat.stop(c)
    table.insert(clients, c)
  end
  local stopped = vim.wait(timeout_ms, function()
    for _, c in ipairs(clients) do
      if not compat.is_stopped(c) then
        return false
      end
    end
    return true
  end, 20)
  if not stopped then
    for _, c in ipairs(clients) do
      compat.stop(c, true)
    end
  end
  return stopped
end

return M
