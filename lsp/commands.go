package lsp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"

	"github.com/donkeyls/donkeyls/lsp/rpc"
	"github.com/donkeyls/donkeyls/lsp/text"
	"github.com/donkeyls/donkeyls/reload/control"
	"github.com/donkeyls/donkeyls/reload/typegen"
)

// commandFunc runs one workspace/executeCommand off the ordered goroutine.
type commandFunc func(ctx context.Context, args []json.RawMessage, token json.RawMessage) (any, error)

func (s *Server) executeCommand(ctx context.Context, req *rpc.Request) (any, error) {
	var p struct {
		Command       string            `json:"command"`
		Arguments     []json.RawMessage `json:"arguments"`
		WorkDoneToken json.RawMessage   `json:"workDoneToken"`
	}
	if err := rpc.DecodeParams(req, &p); err != nil {
		return nil, err
	}
	fn := s.commands[p.Command]
	if fn == nil {
		return nil, rpc.Errorf(jsonrpc2.InvalidParams, "unknown command %q", p.Command)
	}
	return rpc.Async(func(ctx context.Context) (any, error) {
		// Shutdown stops commands too, not only $/cancelRequest.
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		defer context.AfterFunc(s.work, cancel)()
		return fn(ctx, p.Arguments, p.WorkDoneToken)
	}), nil
}

// projectArg finds the project a command names by its root (a path or a
// file URI); with no argument and a single project, that project.
func (s *Server) projectArg(ctx context.Context, args []json.RawMessage) (*projectState, error) {
	// A command may come right after initialize, before the folders were
	// searched or the project read: wait for both.
	select {
	case <-s.discovered:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	ps, err := s.findProject(args)
	if err != nil {
		return nil, err
	}
	select {
	case <-ps.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return ps, nil
}

func (s *Server) findProject(args []json.RawMessage) (*projectState, error) {
	if len(args) == 0 {
		s.mu.Lock()
		defer s.mu.Unlock()
		if len(s.projects) == 1 {
			return s.projects[0], nil
		}
		return nil, rpc.Errorf(jsonrpc2.InvalidParams, "which project? pass its root directory as the argument (%d projects open)", len(s.projects))
	}
	var root string
	if err := json.Unmarshal(args[0], &root); err != nil || root == "" {
		return nil, rpc.Errorf(jsonrpc2.InvalidParams, "the argument must be a project root directory, got %s", args[0])
	}
	if strings.Contains(root, "://") || strings.HasPrefix(root, "file:") {
		u, err := text.ParseURI(root)
		if err != nil || !u.IsFile() {
			return nil, rpc.Errorf(jsonrpc2.InvalidParams, "not a local project: %s", root)
		}
		root = u.Path
	}
	if ps := s.projectByRoot(root); ps != nil {
		return ps, nil
	}
	if ps := s.projectFor(filepath.Clean(root)); ps != nil {
		return ps, nil
	}
	return nil, rpc.Errorf(jsonrpc2.InvalidParams, "no donkeylabs project at %s", root)
}

func (s *Server) cmdRegenerate(ctx context.Context, args []json.RawMessage, token json.RawMessage) (any, error) {
	ps, err := s.projectArg(ctx, args)
	if err != nil {
		return nil, err
	}
	// The generator executes project code (the server entry runs).
	if cmd := ps.typegenCommand(); !s.mayRun(ps, runRegenerate, cmd) {
		return nil, rpc.Errorf(rpc.CodeRequestFailed, "%s", untrustedMessage(ps.root, runRegenerate, cmd))
	}
	res := s.runTypegen(ctx, ps, "requested from the editor", token)
	if res.Err != nil && (ctx.Err() != nil || errors.Is(res.Err, context.Canceled)) {
		// Cancelled by $/cancelRequest or from the progress UI.
		return nil, rpc.Errorf(rpc.CodeRequestCancelled, "type generation cancelled")
	}
	return map[string]any{"exitCode": res.ExitCode, "durationMs": res.Duration.Milliseconds()}, nil
}

// typegenOnSave runs typegen for a save. Saves during a run share one
// follow-up run (the runner coalesces them).
func (s *Server) typegenOnSave(ps *projectState, reason string) {
	if !s.mayRun(ps, runOnSave, ps.typegenCommand()) {
		return
	}
	s.runTypegen(s.work, ps, reason, nil)
}

// runTypegen runs the project's typegen command once, with progress, and
// reports a failure to the user. Afterwards the generated outputs are read
// again, so stale diagnostics clear even when no watcher reports the writes.
func (s *Server) runTypegen(ctx context.Context, ps *projectState, reason string, token json.RawMessage) typegen.Result {
	if !s.trusted() {
		// Callers ask mayRun first; this holds even if one forgets.
		return typegen.Result{Err: errors.New("the project is not trusted"), ExitCode: -1}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ps.mu.Lock()
	runner := ps.runner
	quiet := len(token) == 0 && len(ps.lines) > 0 // a run with visible progress is on already
	ps.mu.Unlock()

	var prog *progress
	if !quiet {
		prog = s.beginProgress(token, ProgressRegenerating, cancel)
		ps.watchLines(prog, true)
		defer ps.watchLines(prog, false)
	}
	s.log.Info("typegen started", "root", ps.root, "reason", reason)
	ps.typegenStarted()
	res := runner.Run(ctx)

	failure := ""
	switch {
	case res.Err == nil:
		s.log.Info("typegen done", "root", ps.root, "command", res.Command, "took", res.Duration.Round(time.Millisecond))
		prog.end(fmt.Sprintf("done in %s", res.Duration.Round(10*time.Millisecond)))
	case ctx.Err() != nil || errors.Is(res.Err, context.Canceled):
		s.log.Info("typegen cancelled", "root", ps.root)
		prog.end("cancelled")
	default:
		prog.end("failed")
		failure = failureMessage(ps, res)
		s.typegenFailed(ps, res, failure)
	}
	ps.generatedChanged(ps.typegenEnded(failure))
	return res
}

// failureMessage is what the user is told about a failed run.
func failureMessage(ps *projectState, res typegen.Result) string {
	what := fmt.Sprintf("exited with status %d", res.ExitCode)
	if errors.Is(res.Err, context.DeadlineExceeded) {
		what = "timed out (setting donkeyls.typegen.timeout)"
	} else if res.ExitCode < 0 {
		what = res.Err.Error()
	}
	msg := fmt.Sprintf("donkeyls: type generation failed in %s: `%s` %s", filepath.Base(ps.root), res.Command, what)
	if last := lastLine(res.Output); last != "" {
		msg += ": " + last
	}
	return msg + ". The full output is in the donkeyls log."
}

// typegenFailed logs the whole output and shows one message per failed run
// (callers that shared a run share its result).
func (s *Server) typegenFailed(ps *projectState, res typegen.Result, msg string) {
	key := fmt.Sprintf("%s|%d|%d|%d", res.Command, res.ExitCode, res.Duration, len(res.Output))
	ps.mu.Lock()
	repeat := ps.lastFailure == key
	ps.lastFailure = key
	ps.mu.Unlock()
	if repeat {
		return
	}
	s.log.Error("typegen failed", "root", ps.root, "command", res.Command, "err", res.Err, "output", res.Output)
	s.showMessage(protocol.MessageTypeError, "%s", msg)
}

// lastLine is the last non-empty line of output.
func lastLine(out string) string {
	lines := strings.Split(strings.TrimRight(out, "\r\n\t "), "\n")
	for _, line := range slices.Backward(lines) {
		if l := strings.TrimSpace(line); l != "" {
			if len(l) > 200 {
				l = l[:200] + "…"
			}
			return l
		}
	}
	return ""
}

// watchLines adds or removes a progress report fed by the runner's output.
func (ps *projectState) watchLines(p *progress, on bool) {
	if p == nil {
		return
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if on {
		ps.lines[p] = struct{}{}
	} else {
		delete(ps.lines, p)
	}
}

// generatedChanged re-reads every generated output after typegen run n;
// the types count as generating until an analysis has read them.
func (ps *projectState) generatedChanged(n uint64) {
	snap, _, _ := ps.current()
	if snap == nil {
		ps.rereadRecorded(n) // the load to come reads them
		return
	}
	paths := snap.GeneratedPaths()
	ps.srv.disp.Enqueue(func(context.Context) {
		ps.srv.filesChanged(paths)
		// After the paths were recorded, so the analysis that commits
		// run n has read them (open buffers among them are read as
		// they are, as always).
		ps.rereadRecorded(n)
	})
}

func (s *Server) cmdRestart(ctx context.Context, args []json.RawMessage, token json.RawMessage) (any, error) {
	ps, err := s.projectArg(ctx, args)
	if err != nil {
		return nil, err
	}
	// A restart starts the project's server again: its code runs.
	if !s.mayRun(ps, runRestart, restartCommand) {
		return nil, rpc.Errorf(rpc.CodeRequestFailed, "%s", untrustedMessage(ps.root, runRestart, restartCommand))
	}
	c, err := control.Dial(ctx, ps.root)
	if errors.Is(err, control.ErrNoSupervisor) {
		s.showMessage(protocol.MessageTypeWarning, "donkeyls: no `donkeyls dev` supervisor is running for %s, so nothing can be restarted; %s.", ps.root, control.HowToStart(ps.root))
		return map[string]any{"restarted": false}, nil
	}
	if err != nil {
		s.showMessage(protocol.MessageTypeError, "donkeyls: cannot reach the dev supervisor of %s: %v", ps.root, err)
		return nil, fmt.Errorf("restart: %w", err)
	}
	defer c.Close()
	if err := c.Restart(ctx, "requested from the editor"); err != nil {
		why := err.Error()
		if refused, ok := errors.AsType[*control.RefusedError](err); ok {
			why = refused.Reason
		}
		s.showMessage(protocol.MessageTypeError, "donkeyls: restart failed in %s: %s", filepath.Base(ps.root), why)
		return nil, fmt.Errorf("restart: %w", err)
	}
	s.showMessage(protocol.MessageTypeInfo, "donkeyls: restarted the dev server of %s", filepath.Base(ps.root))
	return map[string]any{"restarted": true}, nil
}
