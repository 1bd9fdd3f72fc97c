-- Neovim 0.11+: the configuration vim.lsp.config('donkeyls', {...}) extends
-- and vim.lsp.enable('donkeyls') starts, found on the runtimepath once the
-- plugin is installed. Older Neovim never reads this file; there,
-- require("donkeyls").setup({...}) starts the server. See :h donkeyls-0.11.
return require("donkeyls").lsp_config()
