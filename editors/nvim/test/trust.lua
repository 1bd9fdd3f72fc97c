-- Scenario: a repository whose gen:types script is `touch "$PWNED"`, opened
-- with the default setup(). Saving an edit that makes the types stale asks
-- whether to trust the project (vim.ui.select, stubbed here to answer like
-- a user); "Not now" runs nothing, and is not asked again for every save;
-- "Trust" runs it, and on-save typegen works; a changed gen:types script is
-- asked about again; :DonkeyTrust / :DonkeyUntrust / "Never" do what they
-- say. The file the script creates is the proof of what ran.
local here = vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":p:h")
package.path = here .. "/?.lua;" .. package.path
local H = require("helpers")

local root = H.env("DONKEYLS_TEST_ROOT")
local bin = H.env("DONKEYLS_TEST_BIN")
local log = H.env("DONKEYLS_TEST_LOG")
local pwned = H.env("DONKEYLS_TEST_PWNED")
local pwned2 = H.env("DONKEYLS_TEST_PWNED2")

local function exists(path)
  return vim.loop.fs_stat(path) ~= nil
end

-- How many times the server log says it refused typegen on save.
local function refusals()
  local ok, lines = pcall(vim.fn.readfile, log)
  local n = 0
  for _, l in ipairs(ok and lines or {}) do
    if l:find("refused to run typegen on save", 1, true) then
      n = n + 1
    end
  end
  return n
end

-- How many times a server of this session loaded the project.
local function loads()
  local ok, lines = pcall(vim.fn.readfile, log)
  local n = 0
  for _, l in ipairs(ok and lines or {}) do
    if l:find("load=true", 1, true) then
      n = n + 1
    end
  end
  return n
end

-- The books plugin as opened: its types are up to date.
local original

-- Saves the books plugin as opened (up to date), then with a new handler
-- key (the registry is stale then): each call is one save that makes the
-- types stale, which is when on-save typegen runs.
local function stale_save(buf, key)
  original = original or vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, original)
  vim.cmd("write")
  for i, l in ipairs(original) do
    if l:find("ndjson: createHandler", 1, true) then
      vim.api.nvim_buf_set_lines(buf, i - 1, i - 1, false, {
        string.format('      %s: createHandler<ExportFn>(async () => new Response("<rows/>")),', key),
      })
      vim.cmd("write")
      return
    end
  end
  H.fail("the books plugin to have an ndjson handler", "fixture moved")
end

H.run(function()
  H.step("default setup(), a stubbed vim.ui.select")
  H.record_messages()
  H.record_notifications()
  vim.cmd("filetype on")
  local prompts, answers = {}, {}
  vim.ui.select = function(items, opts, on_choice)
    local answer = table.remove(answers, 1)
    table.insert(prompts, { prompt = opts.prompt, items = items })
    H.log("  asked: %s [%s] -> %s", opts.prompt, table.concat(items, "/"), tostring(answer))
    on_choice(answer)
  end
  local donkeyls = require("donkeyls")
  H.check(donkeyls.setup({ cmd = { bin, "serve" }, log_file = log }), "setup() to accept the options", "refused")

  H.step("open the books plugin")
  vim.cmd("edit " .. vim.fn.fnameescape(root .. "/src/server/plugins/books/index.ts"))
  local buf = vim.api.nvim_get_current_buf()
  H.wait(15000, "an initialized donkeyls client", function()
    local c = donkeyls.client(root)
    return c ~= nil and c.initialized
  end, H.describe_messages)
  local st = donkeyls.status(root)
  H.check(st.settings.trusted == false, "the server started untrusted", vim.inspect(st.settings))
  H.check(st.trust == "unknown", "no answer remembered yet", tostring(st.trust))
  H.wait(15000, "the project analyzed", function()
    return table.concat(vim.fn.readfile(log), "\n"):find("analyzed ", 1, true) ~= nil
  end)

  H.step("a stale save asks; Not now runs nothing")
  answers = { "Not now" }
  stale_save(buf, "xml")
  H.wait(15000, "the trust prompt", function()
    return #prompts == 1
  end, H.describe_notifications)
  local p = prompts[1]
  H.check(
    vim.deep_equal(p.items, { "Trust", "Not now", "Never" }),
    "the choices Trust / Not now / Never",
    vim.inspect(p.items)
  )
  H.check(p.prompt:find(pwned, 1, true) ~= nil, "the prompt to show the gen:types script it would run", p.prompt)
  H.check(refusals() == 1, "the server refused typegen on save once", refusals())
  H.wait(5000, "a note that nothing ran", function()
    return H.find_notification("is not trusted, so donkeyls did not run typegen on save") ~= nil
  end, H.describe_notifications)

  H.step("more stale saves: not asked again this session, still nothing runs")
  stale_save(buf, "csv")
  H.wait(15000, "a second refusal", function()
    return refusals() == 2
  end)
  H.check(#prompts == 1, "no second prompt for the same project", #prompts)
  H.check(not exists(pwned), "the gen:types script never ran", pwned .. " exists")
  for _, m in ipairs(H.messages) do
    H.check(not m.message:find("did not", 1, true), "no refusal message on top of the prompt", m.message)
  end

  H.step(":DonkeyRegenerate asks; Trust runs it")
  answers = { "Trust" }
  vim.cmd("DonkeyRegenerate")
  H.wait(15000, "the trust prompt for regenerate", function()
    return #prompts == 2
  end)
  H.wait(30000, "the gen:types script to run", function()
    return exists(pwned)
  end, function()
    return H.describe_notifications() .. "; " .. H.describe_messages()
  end)
  st = donkeyls.status(root)
  H.check(st.trust == "trusted", "trust remembered", tostring(st.trust))
  H.check(st.settings.trusted == true, "the server restarted trusted", vim.inspect(st.settings))
  local store = table.concat(vim.fn.readfile(require("donkeyls.trust").path()), "\n")
  H.check(store:find(root, 1, true) ~= nil, "the answer stored under the project root", store)
  local lines = table.concat(donkeyls.status_lines(root), "\n")
  H.check(lines:find("trust: trusted", 1, true) ~= nil, ":DonkeyStatus to show trust", lines)

  H.step("trusted: on-save typegen runs")
  os.remove(pwned)
  stale_save(buf, "tsv")
  H.wait(30000, "on-save typegen to run the gen:types script", function()
    return exists(pwned)
  end, function()
    return H.describe_notifications() .. "; " .. H.describe_messages()
  end)
  H.check(#prompts == 2, "no prompt once trusted", #prompts)

  H.step("the gen:types script changes: asked again")
  local pkg = table.concat(vim.fn.readfile(root .. "/package.json"), "\n")
  local changed = pkg:gsub(vim.pesc(pwned), pwned2)
  H.check(changed ~= pkg, "package.json to name the script's file", pkg)
  vim.fn.writefile(vim.split(changed, "\n"), root .. "/package.json")
  answers = { "Not now" }
  local before = refusals()
  local loads_before = loads()
  stale_save(buf, "yaml")
  H.wait(15000, "the trust prompt again", function()
    return #prompts == 3
  end, H.describe_notifications)
  H.check(prompts[3].prompt:find("changed", 1, true) ~= nil, "the prompt to say what runs changed", prompts[3].prompt)
  H.check(prompts[3].prompt:find(pwned2, 1, true) ~= nil, "the prompt to show the new script", prompts[3].prompt)
  H.wait(15000, "an initialized untrusted client", function()
    local c = donkeyls.client(root)
    return c ~= nil and c.initialized and donkeyls.status(root).settings.trusted == false
  end)
  H.wait(15000, "the project loaded by the new server", function()
    return loads() > loads_before
  end)
  stale_save(buf, "html")
  H.wait(15000, "the new server refusing typegen on save", function()
    return refusals() > before
  end)
  H.check(not exists(pwned2), "the changed script never ran", pwned2 .. " exists")
  H.check(donkeyls.status(root).trust == "changed", "trust state changed", tostring(donkeyls.status(root).trust))

  H.step(":DonkeyTrust and :DonkeyUntrust")
  vim.cmd("DonkeyTrust")
  H.check(donkeyls.status(root).trust == "trusted", ":DonkeyTrust trusts it", tostring(donkeyls.status(root).trust))
  H.wait(15000, "the server restarted trusted", function()
    local c = donkeyls.client(root)
    return c ~= nil and c.initialized and donkeyls.status(root).settings.trusted == true
  end)
  vim.cmd("DonkeyUntrust")
  H.check(donkeyls.status(root).trust == "unknown", ":DonkeyUntrust forgets it", tostring(donkeyls.status(root).trust))
  H.wait(15000, "the server restarted untrusted", function()
    local c = donkeyls.client(root)
    return c ~= nil and c.initialized and donkeyls.status(root).settings.trusted == false
  end)
  lines = table.concat(donkeyls.status_lines(root), "\n")
  H.check(lines:find("trust: not trusted", 1, true) ~= nil, ":DonkeyStatus to show it untrusted", lines)

  H.step("Never: not asked again, nothing runs")
  answers = { "Never" }
  vim.cmd("DonkeyRegenerate")
  H.wait(15000, "the trust prompt after :DonkeyUntrust", function()
    return #prompts == 4
  end)
  H.check(donkeyls.status(root).trust == "never", "Never remembered", tostring(donkeyls.status(root).trust))
  vim.cmd("DonkeyRegenerate")
  H.wait(5000, "a note that the project is never trusted", function()
    return H.find_notification("is never trusted") ~= nil
  end, H.describe_notifications)
  H.check(#prompts == 4, "no prompt after Never", #prompts)
  H.check(not exists(pwned2), "the changed script never ran", pwned2 .. " exists")
end, function()
  require("donkeyls").stop_all(5000)
  if os.getenv("DONKEYLS_TEST_KEEPLOG") then
    vim.fn.writefile(vim.fn.readfile(log), os.getenv("DONKEYLS_TEST_KEEPLOG"))
  end
end)
