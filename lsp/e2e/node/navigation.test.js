// The navigation case (internal/navcase) driven by a client built on
// vscode-languageserver-protocol, the library VS Code's language client
// uses: go to definition from ctx.plugins.notes.list lands on the list
// method, hover on a route shows the middleware the runtime runs for it,
// code lenses resolve to a plugin's uses and a route's callers, and
// renaming plugin notes to memos gives one WorkspaceEdit, which is applied
// to the files on disk with the library's own TextDocument.applyEdits
// (UTF-16 offsets, as VS Code counts them). The Go side then compares the
// files and runs `donkeyls check`.
//
// Run by lsp/e2e/node_test.go with NODE_PATH pointing at testenv/node_modules:
//   DONKEYLS_BIN=... NAVCASE=navcase.json node navigation.test.js
"use strict";

const assert = require("node:assert/strict");
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const { pathToFileURL, fileURLToPath } = require("node:url");
const {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  InitializeRequest,
  InitializedNotification,
  DidOpenTextDocumentNotification,
  PublishDiagnosticsNotification,
  DefinitionRequest,
  HoverRequest,
  CodeLensRequest,
  CodeLensResolveRequest,
  PrepareRenameRequest,
  RenameRequest,
  ShutdownRequest,
  ExitNotification,
  ConfigurationRequest,
  WorkDoneProgressCreateRequest,
  RegistrationRequest,
  MarkupKind,
  // Deprecated in favour of vscode-languageserver-textdocument (not
  // installed), but it is the protocol library's own edit application.
  TextDocument,
} = require("vscode-languageserver-protocol/node");

const TIMEOUT_MS = 30000;
const bin = process.env.DONKEYLS_BIN;
const casePath = process.env.NAVCASE;
assert.ok(bin && casePath, "DONKEYLS_BIN and NAVCASE must be set");
const nc = JSON.parse(fs.readFileSync(casePath, "utf8"));

function withTimeout(promise, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${TIMEOUT_MS}ms waiting for ${what}`)), TIMEOUT_MS);
    }),
  ]);
}

const uri = (file) => pathToFileURL(file).href;
const where = (p) => `${path.relative(nc.root, p.file)}:${p.line + 1}:${p.character + 1}`;
const at = (p) => ({ textDocument: { uri: uri(p.file) }, position: { line: p.line, character: p.character } });

// applyToDisk writes a WorkspaceEdit's text edits into the files, as an
// editor does when it applies the edit and saves every buffer.
function applyToDisk(edit) {
  assert.ok(Array.isArray(edit.documentChanges), `the rename should answer documentChanges: ${JSON.stringify(edit)}`);
  for (const change of edit.documentChanges) {
    assert.ok(change.textDocument && change.edits, `a rename of a plugin changes text only, got ${JSON.stringify(change)}`);
    const file = fileURLToPath(change.textDocument.uri);
    const doc = TextDocument.create(change.textDocument.uri, "typescript", 0, fs.readFileSync(file, "utf8"));
    fs.writeFileSync(file, TextDocument.applyEdits(doc, change.edits));
  }
}

async function main() {
  const child = spawn(bin, ["serve"], { stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
  const conn = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  conn.onRequest(ConfigurationRequest.type, (params) => params.items.map(() => null));
  conn.onRequest(WorkDoneProgressCreateRequest.type, () => null);
  conn.onRequest(RegistrationRequest.type, () => null);
  conn.onNotification("window/showMessage", (m) => console.log(`server says: ${m.message}`));
  conn.onNotification("window/logMessage", () => {});
  conn.onNotification("$/progress", () => {});
  let analyzed;
  const firstAnalysis = new Promise((resolve) => (analyzed = resolve));
  conn.onNotification(PublishDiagnosticsNotification.type, (p) => {
    if (p.uri === uri(nc.use.file)) analyzed();
  });
  conn.listen();

  const init = await withTimeout(
    conn.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: uri(nc.root),
      workspaceFolders: [{ uri: uri(nc.root), name: path.basename(nc.root) }],
      capabilities: {
        workspace: { configuration: true, workspaceEdit: { documentChanges: true } },
        textDocument: {
          definition: { linkSupport: false },
          hover: { contentFormat: [MarkupKind.Markdown, MarkupKind.PlainText] },
          codeLens: {},
          rename: { prepareSupport: true },
          publishDiagnostics: { versionSupport: true },
        },
      },
    }),
    "initialize"
  );
  const caps = init.capabilities;
  assert.ok(caps.definitionProvider, "definitionProvider is not advertised");
  assert.ok(caps.hoverProvider, "hoverProvider is not advertised");
  assert.ok(caps.codeLensProvider && caps.codeLensProvider.resolveProvider, `codeLensProvider with resolveProvider is not advertised: ${JSON.stringify(caps.codeLensProvider)}`);
  assert.ok(caps.renameProvider && caps.renameProvider.prepareProvider, `renameProvider with prepareProvider is not advertised: ${JSON.stringify(caps.renameProvider)}`);
  conn.sendNotification(InitializedNotification.type, {});
  conn.sendNotification(DidOpenTextDocumentNotification.type, {
    textDocument: { uri: uri(nc.use.file), languageId: "typescript", version: 1, text: fs.readFileSync(nc.use.file, "utf8") },
  });
  await withTimeout(firstAnalysis, "the first diagnostics of the route file");

  // Go to definition.
  const defs = await withTimeout(conn.sendRequest(DefinitionRequest.type, at(nc.use)), "definition");
  assert.ok(Array.isArray(defs) && defs.length === 1, `definition from ${where(nc.use)}: want one location, got ${JSON.stringify(defs)}`);
  const landed = { file: fileURLToPath(defs[0].uri), line: defs[0].range.start.line, character: defs[0].range.start.character };
  assert.deepEqual(landed, nc.method, `definition from ${where(nc.use)} landed on ${where(landed)}, want the list method at ${where(nc.method)}`);
  console.log(`definition: ${where(nc.use)} -> ${where(landed)}`);

  // Hover on routes.
  for (const h of nc.hovers) {
    const hover = await withTimeout(conn.sendRequest(HoverRequest.type, at(h.at)), "hover");
    assert.ok(hover && hover.contents && hover.contents.kind === MarkupKind.Markdown, `hover at ${where(h.at)}: want Markdown, got ${JSON.stringify(hover)}`);
    for (const want of h.want) {
      assert.ok(hover.contents.value.includes(want), `hover at ${where(h.at)} lacks ${JSON.stringify(want)}:\n${hover.contents.value}`);
    }
    console.log(`hover at ${where(h.at)}: ok`);
  }

  // Code lenses, resolved as an editor does when it shows them.
  for (const l of nc.lenses) {
    const lenses = await withTimeout(conn.sendRequest(CodeLensRequest.type, { textDocument: { uri: uri(l.at.file) } }), "codeLens");
    const lens = (lenses || []).find((x) => x.range.start.line === l.at.line);
    assert.ok(lens, `no code lens on line ${l.at.line + 1} of ${where(l.at)}: ${JSON.stringify(lenses)}`);
    const resolved = await withTimeout(conn.sendRequest(CodeLensResolveRequest.type, lens), "codeLens/resolve");
    assert.equal(resolved.command && resolved.command.title, l.title, `the code lens at ${where(l.at)}`);
    console.log(`code lens at ${where(l.at)}: ${resolved.command.title}`);
  }

  // Rename the plugin and apply the edit to disk.
  const prep = await withTimeout(conn.sendRequest(PrepareRenameRequest.type, at(nc.rename)), "prepareRename");
  assert.ok(prep && prep.placeholder === nc.oldName, `prepareRename at ${where(nc.rename)}: want placeholder ${nc.oldName}, got ${JSON.stringify(prep)}`);
  const edit = await withTimeout(conn.sendRequest(RenameRequest.type, { ...at(nc.rename), newName: nc.newName }), "rename");
  applyToDisk(edit);
  console.log(`rename: ${edit.documentChanges.length} files edited`);

  await withTimeout(conn.sendRequest(ShutdownRequest.type), "shutdown");
  conn.sendNotification(ExitNotification.type);
  assert.equal(await withTimeout(exited, "the server to exit"), 0, "exit after shutdown should exit 0");
  conn.dispose();
  console.log("node client navigation: ok");
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});
