-- The :Donkey* user commands. Defined by plugin/donkeyls.lua at start-up and
-- again by setup(), so they exist whether or not the plugin folder was
-- sourced (nvim -u NONE, lazy loaders); defining them twice is harmless.
local M = {}

local function donkeyls()
  return require("donkeyls")
end

local definitions = {
  {
    "DonkeyRegenerate",
    function()
      donkeyls().regenerate()
    end,
    "donkeyls: regenerate the project's generated types (its typegen command)",
  },
  {
    "DonkeyRestart",
    function()
      donkeyls().restart()
    end,
    "donkeyls: restart the project's dev server (through `donkeyls dev`)",
  },
  {
    "DonkeyDev",
    function()
      donkeyls().dev()
    end,
    "donkeyls: open `donkeyls dev` for the project in a terminal split",
  },
  {
    "DonkeyStatus",
    function()
      donkeyls().show_status()
    end,
    "donkeyls: show the language server, generated types and dev server state",
  },
  {
    "DonkeyTrust",
    function()
      donkeyls().trust()
    end,
    "donkeyls: trust the project: let donkeyls run its typegen command and restart its dev server",
  },
  {
    "DonkeyUntrust",
    function()
      donkeyls().untrust()
    end,
    "donkeyls: stop trusting the project: none of its commands runs until it is trusted again",
  },
  {
    "DonkeyLspRestart",
    function()
      donkeyls().restart_server()
    end,
    "donkeyls: restart the language server of the project",
  },
}

function M.define()
  for _, d in ipairs(definitions) do
    vim.api.nvim_create_user_command(d[1], d[2], { nargs = 0, desc = d[3], force = true })
  end
end

return M
