// Package lsp is the donkeyls language server: the only package that speaks
// the Language Server Protocol. It turns editor buffers and file changes into
// project snapshots, snapshots into published diagnostics, and findings into
// code actions and commands.
//
// # Ordering
//
// The jsonrpc2 connection reads messages on one goroutine and hands each to
// rpc.Dispatcher, which never blocks it: $/cancelRequest takes effect at
// once; everything else joins one FIFO queue that a single goroutine (the
// ordered goroutine) drains. Notifications (didOpen, didChange, didSave,
// didClose, watched-file events, configuration) and the first half of every
// request run there strictly in arrival order, so an edit is always applied
// before a request sent after it. Internal events that must take their place
// among edits (a batch from our own file watcher, a settings answer, the
// project list after discovery) are queued the same way with Enqueue. Work on
// the ordered goroutine is short: it updates the document overlay, records
// which paths changed, and wakes a worker.
//
// # Snapshots
//
// Each project has an immutable Snapshot (analysis/project), replaced, never
// mutated. A read-only request (codeAction) captures the current snapshot,
// its findings and the document versions on the ordered goroutine, returns
// rpc.Async, and computes its answer on a goroutine of its own while later
// messages proceed; it answers the state as of its arrival. Its edits carry
// the version of each buffer they were computed from, so the client refuses
// them if the buffer moved on; a buffer opened after the snapshot was taken
// is edited at its version only if it holds the bytes the snapshot read
// (editBasis), and otherwise not at all. Long commands
// (executeCommand: typegen) run the same way. Documents are immutable too
// (text.Document): a change produces a new value, so an analysis reading a
// buffer never sees it half-edited. Versions share the chunks of their text
// that an edit did not touch, so a keystroke costs the same in a 10 MB
// buffer as in a small one.
//
// # Debounce and analysis
//
// One worker goroutine per project owns its analysis. A change records the
// path in the project's dirty set and pokes the worker, which waits until the
// burst has been quiet for the debounce time (Options.Debounce, 100ms by
// default), then re-extracts only the dirty files (Snapshot.WithFile), runs
// the analyzers and publishes. A change arriving during an incremental run
// cancels it and restarts the wait, as gopls does: a burst of keystrokes
// costs one analysis. The project's first load starts at once, without the
// debounce: there is no burst to merge yet (a file opened while it runs is
// published by it as closed, then again with its version by the open's
// analysis). A full load (start-up, configuration change, a
// directory that appeared or vanished) is not cancelled that way, or typing
// during indexing of a large project would keep it from ever finishing;
// changes made meanwhile are applied right after. A run commits its snapshot
// only if it was not cancelled, and clears only the dirty entries it read,
// so no change is ever lost. Diagnostics are published per file with the
// version of the buffer they were computed from; a file whose diagnostics
// disappeared gets an empty list. Paths are canonical (text.Key); a
// diagnostic goes out under the URI the client opened the buffer with, or
// ours for a closed file, and when that spelling changes the old one is
// cleared, since clients key diagnostics by the URI string. A project
// removed with its workspace folder, or whose load fails (its config was
// deleted), clears everything it published; a removed one is first
// cancelled and waited for, so a pending analysis cannot publish after the
// clear. Buffers not on disk yet (a new migration) are part of every load.
// A load reads through a project.Source that lays the open buffers, as of
// the moment the analysis began, over the operating system's
// (internal/ossource): the analysis itself touches no file.
// A second goroutine per project polls the
// `donkeyls dev` supervisor, when one runs, for the code its server loaded;
// a change of that, or a save, wakes the worker, which then only recomputes
// restart-required without running the analyzers again. A third sends the
// project's donkeyls/status (docs/protocol.md) when kicked (after each
// analysis, at the start and end of a typegen run, on a settings change),
// coalesced, and only when it differs from the last one sent; a finished
// typegen run counts as generating until an analysis has read the outputs
// it recorded as changed.
//
// # Positions
//
// The analysis works in byte offsets; analysis.Pos also carries the UTF-16
// line and column its extractor computed with analysis/textpos, the one
// package that converts offsets and positions (LSP's line ends, UTF-16 and
// UTF-8). initialize negotiates the session's position encoding; every
// answer converts through a positions value (positions.go) that reads the
// text the answer is about: the overlay an analysis read for a publish, the
// buffers as of the request for code actions and navigation. Under UTF-16
// nothing is read to send a position.
//
// # Cancellation and shutdown
//
// Every request has a context cancelled by $/cancelRequest (numeric or
// string id), by the client's progress UI for typegen runs, or by the end of
// the session; a cancelled request answers RequestCancelled. Replies and
// notifications are written with the connection's lifetime context, never a
// request's. shutdown cancels background work (analysis, typegen, watchers);
// exit, the input closing, or a write to the client failing (it closed our
// stdout: EPIPE, since serve ignores SIGPIPE) ends the session, and Serve
// waits (bounded) until every typegen process group has been killed, so no
// child outlives the server. Nothing waits for the client's answer to a
// server request before the first analysis.
package lsp
