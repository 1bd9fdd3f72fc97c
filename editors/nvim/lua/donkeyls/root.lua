-- Finding the donkeylabs project a file belongs to, with the rules the
-- language server uses: the nearest folder holding donkeylabs.config.ts, or
-- else a folder in the older flat layout (plugins/ next to registry.d.ts,
-- context.d.ts or scripts/generate-registry.ts).
local compat = require("donkeyls.compat")

local M = {}

M.config_file = "donkeylabs.config.ts"

local flat_markers = { "registry.d.ts", "context.d.ts", "scripts/generate-registry.ts" }

local function stat(path)
  return compat.uv.fs_stat(path)
end

local function is_dir(path)
  local st = stat(path)
  return st ~= nil and st.type == "directory"
end

local function parent(dir)
  local up = vim.fn.fnamemodify(dir, ":h")
  if up == dir or up == "" then
    return nil
  end
  return up
end

local function join(dir, name)
  if dir:sub(-1) == "/" then
    return dir .. name
  end
  return dir .. "/" .. name
end

--- Whether dir uses the flat layout of older donkeylabs projects.
function M.is_flat(dir)
  if not is_dir(join(dir, "plugins")) then
    return false
  end
  for _, marker in ipairs(flat_markers) do
    if stat(join(dir, marker)) then
      return true
    end
  end
  return false
end

--- Normalises a buffer name or path: absolute, no trailing slash. Returns nil
--- for names that are not local files (URIs such as fugitive:// or term://).
function M.normalize(path)
  if type(path) ~= "string" or path == "" or path:find("^%a[%w+.-]*://") then
    return nil
  end
  local abs = vim.fn.fnamemodify(path, ":p")
  if #abs > 1 and abs:sub(-1) == "/" then
    abs = abs:sub(1, -2)
  end
  return abs
end

--- The project root for a file or folder, or nil when it is in none. Files
--- inside node_modules belong to a package, not to the project around it.
---@param path string
---@return string|nil
function M.find(path)
  local abs = M.normalize(path)
  if not abs or abs:find("/node_modules/", 1, true) then
    return nil
  end
  local dir = is_dir(abs) and abs or parent(abs)
  local flat
  while dir do
    if stat(join(dir, M.config_file)) then
      return dir
    end
    if not flat and M.is_flat(dir) then
      flat = dir
    end
    dir = parent(dir)
  end
  return flat
end

return M
