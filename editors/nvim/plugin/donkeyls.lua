-- Makes the :Donkey* commands exist as soon as the plugin is on the
-- runtimepath. Nothing starts until require("donkeyls").setup() is called.
if vim.g.loaded_donkeyls then
  return
end
vim.g.loaded_donkeyls = true

if vim.fn.has("nvim-0.7") == 0 then
  vim.api.nvim_err_writeln("donkeyls needs Neovim 0.7 or newer")
  return
end

require("donkeyls.commands").define()
