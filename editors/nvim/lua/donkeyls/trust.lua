-- Which projects the user trusts to run their own commands (type
-- generation, restarting the dev server), remembered per project root the
-- way vim.secure.trust() and `direnv allow` do: bound to a hash of what
-- would run, so a changed gen:types script, config entry or dev command is
-- asked about again. Only the user's answers are stored; nothing in a
-- project can mark itself trusted.
local compat = require("donkeyls.compat")

local M = {}

M.choices = { "Trust", "Not now", "Never" }

local function read_file(path)
  local ok, lines = pcall(vim.fn.readfile, path)
  if not ok then
    return nil
  end
  return table.concat(lines, "\n")
end

--- Where the answers live: stdpath("state") (stdpath("data") on Neovim
--- 0.7, which has no state directory).
function M.path()
  local ok, dir = pcall(vim.fn.stdpath, "state")
  if not ok or type(dir) ~= "string" or dir == "" then
    dir = vim.fn.stdpath("data")
  end
  return dir .. "/donkeyls/trust.json"
end

local function load()
  local text = read_file(M.path())
  if not text or text == "" then
    return { version = 1, projects = {} }
  end
  local ok, data = pcall(vim.fn.json_decode, text)
  if not ok or type(data) ~= "table" or type(data.projects) ~= "table" then
    -- A damaged store trusts nothing; the next answer rewrites it.
    return { version = 1, projects = {} }
  end
  return data
end

-- Written to a temporary file and renamed over the store, so a crash
-- mid-write never leaves half a file (which would trust nothing, safely,
-- but forget every answer).
local function save(data)
  local path = M.path()
  local dir = vim.fn.fnamemodify(path, ":h")
  vim.fn.mkdir(dir, "p", tonumber("700", 8))
  if next(data.projects) == nil then
    data.projects = vim.empty_dict()
  end
  local tmp = string.format("%s.%d.tmp", path, vim.fn.getpid())
  if vim.fn.writefile({ vim.fn.json_encode(data) }, tmp) ~= 0 then
    return false, "cannot write " .. tmp
  end
  local ok, err = compat.uv.fs_rename(tmp, path)
  if not ok then
    os.remove(tmp)
    return false, "cannot replace " .. path .. ": " .. tostring(err)
  end
  return true
end

local lockfiles = { "bun.lock", "bun.lockb", "pnpm-lock.yaml", "yarn.lock", "package-lock.json" }

--- What running the project's commands would execute, as the server and
--- `donkeyls dev` resolve it: the typegen command (the user's
--- typegen.command, else the gen:types script text and the lockfile that
--- picks the package manager), the config's entry (what the generator and
--- the dev server run) and the dev command.
---@return table { typegen = string, entry = string, dev = string, hash = string }
function M.fingerprint(root, opts)
  local settings = opts and opts.settings or {}
  local tg = type(settings.typegen) == "table" and settings.typegen or {}
  local typegen
  if type(tg.command) == "string" and tg.command ~= "" then
    typegen = "command: " .. tg.command
  else
    local pkg = read_file(root .. "/package.json")
    local ok, decoded = pcall(vim.fn.json_decode, pkg or "")
    local scripts = ok and type(decoded) == "table" and type(decoded.scripts) == "table" and decoded.scripts or {}
    local script = scripts["gen:types"]
    if type(script) == "string" then
      local lock = "no lockfile"
      for _, name in ipairs(lockfiles) do
        if compat.uv.fs_stat(root .. "/" .. name) then
          lock = name
          break
        end
      end
      typegen = string.format("gen:types script (%s): %s", lock, script)
    else
      typegen = "bunx donkeylabs generate"
    end
  end
  local entry = "(the default entry)"
  local cfg = read_file(root .. "/donkeylabs.config.ts")
  if cfg then
    local _, value = cfg:match("entry%s*:%s*([\"'`])(.-)%1")
    if value then
      entry = value
    elseif cfg:find("entry%s*:") then
      -- An entry that is not a plain string: any change to the config counts.
      entry = "config " .. vim.fn.sha256(cfg)
    end
  end
  local dev_opts = opts and opts.dev or {}
  local dev = table.concat(dev_opts.args or {}, " ") .. " -- " .. table.concat(dev_opts.command or {}, " ")
  local fp = { typegen = typegen, entry = entry, dev = dev }
  fp.hash = vim.fn.sha256(table.concat({ "typegen=" .. typegen, "entry=" .. entry, "dev=" .. dev }, "\n"))
  return fp
end

--- The remembered answer for root: "trusted", "changed" (trusted, but what
--- would run changed since), "never" or "unknown".
function M.state(root, opts)
  local entry = load().projects[root]
  if type(entry) ~= "table" then
    return "unknown"
  end
  if entry.decision == "never" then
    return "never"
  end
  if entry.decision == "trust" then
    if entry.hash == M.fingerprint(root, opts).hash then
      return "trusted"
    end
    return "changed"
  end
  return "unknown"
end

--- Whether the user trusts root as it is now.
function M.trusted(root, opts)
  return M.state(root, opts) == "trusted"
end

--- Remembers "trust" (bound to what would run now) or "never" for root.
function M.set(root, decision, opts)
  local data = load()
  local fp = M.fingerprint(root, opts)
  data.projects[root] = { decision = decision, hash = fp.hash, typegen = fp.typegen, at = os.time() }
  return save(data)
end

--- Forgets root's answer: it is untrusted and asked about again.
function M.forget(root)
  local data = load()
  data.projects[root] = nil
  return save(data)
end

--- Asks the user once; on_choice gets "trust", "not now" or "never" (nil
--- when the prompt was dismissed, which is "not now").
function M.ask(root, opts, action, changed, on_choice)
  local fp = M.fingerprint(root, opts)
  local why = changed and "what it runs changed since you trusted it" or "it is not trusted yet"
  local prompt = string.format(
    "donkeyls: %s wants to %s, which runs its own code, and %s. Typegen: %s; entry: %s. Trust %s?",
    vim.fn.fnamemodify(root, ":t"),
    action,
    why,
    fp.typegen,
    fp.entry,
    root
  )
  vim.ui.select(M.choices, { prompt = prompt, kind = "donkeyls.trust" }, function(choice)
    if choice == "Trust" then
      on_choice("trust")
    elseif choice == "Never" then
      on_choice("never")
    else
      on_choice("not now")
    end
  end)
end

return M
