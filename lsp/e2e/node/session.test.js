// The editor session of the end-to-end test, driven by a client built on
// vscode-languageserver-protocol (the library VS Code's language client
// uses): open a stale plugin, receive stale-registry, ask for code actions,
// run "Regenerate types", and see the diagnostics cleared.
//
// Run by lsp/e2e/node_test.go with NODE_PATH pointing at testenv/node_modules:
//   DONKEYLS_BIN=... PROJECT_ROOT=... REGEN_CMD=... node session.test.js
"use strict";

const assert = require("node:assert/strict");
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const { pathToFileURL } = require("node:url");
const {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  InitializeRequest,
  InitializedNotification,
  DidOpenTextDocumentNotification,
  PublishDiagnosticsNotification,
  CodeActionRequest,
  ExecuteCommandRequest,
  ShutdownRequest,
  ExitNotification,
  ConfigurationRequest,
  WorkDoneProgressCreateRequest,
  RegistrationRequest,
  ApplyWorkspaceEditRequest,
} = require("vscode-languageserver-protocol/node");

const TIMEOUT_MS = 20000;
const bin = process.env.DONKEYLS_BIN;
const root = process.env.PROJECT_ROOT;
const regen = process.env.REGEN_CMD;
assert.ok(bin && root && regen, "DONKEYLS_BIN, PROJECT_ROOT and REGEN_CMD must be set");

const plugin = path.join(root, "src/server/plugins/books/index.ts");
const pluginUri = pathToFileURL(plugin).href;

function withTimeout(promise, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${TIMEOUT_MS}ms waiting for ${what}`)), TIMEOUT_MS);
    }),
  ]);
}

async function main() {
  const child = spawn(bin, ["serve"], { stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
  const conn = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));

  // The requests a real client answers.
  const settings = { typegen: { command: regen, onSave: "off" } };
  conn.onRequest(ConfigurationRequest.type, (params) => params.items.map((i) => (i.section === "donkeyls" ? settings : null)));
  conn.onRequest(WorkDoneProgressCreateRequest.type, () => null);
  conn.onRequest(RegistrationRequest.type, () => null);
  conn.onRequest(ApplyWorkspaceEditRequest.type, () => ({ applied: true }));

  const progress = [];
  conn.onNotification("$/progress", (p) => progress.push(p));
  const messages = [];
  conn.onNotification("window/showMessage", (m) => messages.push(m));
  conn.onNotification("window/logMessage", () => {});

  // Latest diagnostics per URI, and waiters.
  const latest = new Map();
  let waiters = [];
  conn.onNotification(PublishDiagnosticsNotification.type, (p) => {
    latest.set(p.uri, p);
    waiters = waiters.filter((w) => !w());
  });
  function waitDiagnostics(uri, what, pred) {
    return withTimeout(
      new Promise((resolve) => {
        const check = () => {
          const d = latest.get(uri);
          if (d && pred(d)) {
            resolve(d);
            return true;
          }
          return false;
        };
        if (!check()) waiters.push(check);
      }),
      what
    );
  }
  conn.listen();

  const init = await withTimeout(
    conn.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: pathToFileURL(root).href,
      workspaceFolders: [{ uri: pathToFileURL(root).href, name: path.basename(root) }],
      // The user trusts this project (as the VS Code extension says under
      // Workspace Trust); then the workspace settings may pick the command.
      initializationOptions: { trusted: true },
      capabilities: {
        workspace: {
          configuration: true,
          applyEdit: true,
          workspaceEdit: { documentChanges: true, resourceOperations: ["create"] },
          didChangeWatchedFiles: { dynamicRegistration: true },
        },
        window: { workDoneProgress: true },
        textDocument: {
          codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ["quickfix", "refactor"] } } },
          publishDiagnostics: { versionSupport: true },
        },
      },
    }),
    "initialize"
  );
  assert.ok(init.capabilities.executeCommandProvider.commands.includes("donkeyls.regenerate"), "regenerate is not an advertised command");
  assert.equal(init.capabilities.textDocumentSync.change, 2, "the server should ask for incremental sync");
  conn.sendNotification(InitializedNotification.type, {});

  conn.sendNotification(DidOpenTextDocumentNotification.type, {
    textDocument: { uri: pluginUri, languageId: "typescript", version: 1, text: fs.readFileSync(plugin, "utf8") },
  });
  // The first load does not wait for the open (no debounce at start-up), so
  // the file may be published once as closed, without a version, before the
  // open buffer's analysis publishes it with its own: wait for that one.
  const stale = await waitDiagnostics(
    pluginUri,
    "stale-registry with the open document's version",
    (d) => d.version === 1 && d.diagnostics.some((x) => x.code === "stale-registry")
  );
  assert.equal(stale.version, 1, "diagnostics of an open document carry its version");
  const diag = stale.diagnostics.find((x) => x.code === "stale-registry");
  assert.deepEqual(diag.range.start, { line: 60, character: 6 }, "stale-registry should sit on the ndjson key");

  const actions = await withTimeout(
    conn.sendRequest(CodeActionRequest.type, {
      textDocument: { uri: pluginUri },
      range: diag.range,
      context: { diagnostics: [diag] },
    }),
    "code actions"
  );
  const action = actions.find((a) => a.command && a.command.command === "donkeyls.regenerate");
  assert.ok(action, `no regenerate action in ${JSON.stringify(actions)}`);
  assert.equal(action.kind, "quickfix");
  assert.equal(action.diagnostics[0].code, "stale-registry", "the action should be attached to its diagnostic");

  const result = await withTimeout(
    conn.sendRequest(ExecuteCommandRequest.type, { command: action.command.command, arguments: action.command.arguments }),
    "regenerate"
  );
  assert.equal(result.exitCode, 0, `regenerate failed: ${JSON.stringify(result)} ${JSON.stringify(messages)}`);
  await waitDiagnostics(pluginUri, "stale-registry cleared", (d) => !d.diagnostics.some((x) => x.code === "stale-registry"));
  const kinds = progress.map((p) => p.value.kind);
  assert.ok(kinds.includes("begin") && kinds[kinds.length - 1] === "end", `progress ${JSON.stringify(kinds)}`);

  await withTimeout(conn.sendRequest(ShutdownRequest.type), "shutdown");
  conn.sendNotification(ExitNotification.type);
  const code = await withTimeout(exited, "the server to exit");
  assert.equal(code, 0, "exit after shutdown should exit 0");
  conn.dispose();
  console.log("node client session: ok");
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});
