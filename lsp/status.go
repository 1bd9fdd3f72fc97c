package lsp

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/reload/control"
)

// StatusMethod is the notification that tells an editor the state of one
// project (docs/protocol.md). Editors render it instead of matching
// progress titles or keeping lists of diagnostic codes.
const StatusMethod = "donkeyls/status"

// Progress titles are for people to read; editors take the state from
// donkeyls/status, never from these (editors/contract_test.go checks that
// no editor file names them).
const (
	ProgressRegenerating = "donkeyls: regenerating types"
	ProgressIndexing     = "donkeyls: indexing " // + the project's folder name
)

// Values of Status.Types.State.
const (
	TypesIndexing   = "indexing"   // the project was not analysed yet
	TypesUnknown    = "unknown"    // the project cannot be read (Types.Error says why)
	TypesFresh      = "fresh"      // no finding that regenerating clears
	TypesStale      = "stale"      // Types.Stale findings are cleared by regenerating
	TypesGenerating = "generating" // typegen runs, or its outputs are being read again
	TypesFailed     = "failed"     // the last typegen run failed (Types.Failure says how)
)

// Values of Status.Dev.State.
const (
	DevStopped       = "stopped"       // no `donkeyls dev` supervisor reports a running server
	DevRunning       = "running"       // the supervised dev server runs the current code
	DevRestartNeeded = "restartNeeded" // Dev.Restart plugins changed since it started
)

// Status is the params of donkeyls/status.
type Status struct {
	// Root is the project's directory, as donkeyls.regenerate takes it.
	Root string `json:"root"`
	// Removed: the project left the workspace; nothing more comes for it.
	Removed bool        `json:"removed,omitempty"`
	Types   TypesStatus `json:"types"`
	Dev     DevStatus   `json:"dev"`
	// Trusted: the server may run the project's commands (docs/trust.md).
	Trusted bool `json:"trusted"`
}

// TypesStatus is the state of the project's generated types.
type TypesStatus struct {
	State string `json:"state"`
	// Stale counts the findings whose fix is regenerate or migrate.
	Stale int `json:"stale"`
	// Findings counts those findings by diagnostic code.
	Findings map[string]int `json:"findings"`
	// Command is the typegen command a regenerate runs now.
	Command string `json:"command,omitempty"`
	// Failure is the message that reported the last failed run.
	Failure string `json:"failure,omitempty"`
	// Error says why the project cannot be read (state unknown).
	Error string `json:"error,omitempty"`
}

// DevStatus is the state of the dev server, as its `donkeyls dev`
// supervisor reports it over the control socket.
type DevStatus struct {
	State string `json:"state"`
	// Restart counts the findings whose fix is restart.
	Restart int `json:"restart"`
	// Supervisor is the supervisor's own state of its server (running,
	// starting, restarting, crashed, stopped, typegen); "" when none answers.
	Supervisor string `json:"supervisor,omitempty"`
	// Pid is the dev server's process id, 0 when none runs.
	Pid int `json:"pid,omitempty"`
}

// diagnosticData is the Diagnostic.data of every published diagnostic.
type diagnosticData struct {
	// Fix is what clears the finding besides editing the code:
	// "regenerate", "restart", "migrate", or omitted.
	Fix analysis.Remedy `json:"fix,omitempty"`
}

// statusTracker is what the status of a project is computed from besides
// its findings. Its fields are guarded by projectState.mu.
type statusTracker struct {
	typegenRuns int    // typegen runs in progress
	failure     string // the message of the last failed run, until the next run
	// A finished run's outputs are read again before the types count as
	// fresh or stale: runsEnded counts finished runs, recorded the runs
	// whose re-read was recorded as dirty paths, reread the runs whose
	// re-read an analysis has committed.
	runsEnded, recorded, reread uint64
}

// statusSender sends a project's status, coalesced: any number of kicks
// while one is computed or sent cost one more, and a status equal to the
// last one sent is not sent again, so a keystroke that changes nothing a
// user sees sends nothing.
type statusSender struct {
	kick chan struct{}
	// mu is held across computing and sending one status, so the removal
	// sent by retire is always the last.
	mu      sync.Mutex
	last    []byte
	removed bool
}

func newStatusSender() statusSender { return statusSender{kick: make(chan struct{}, 1)} }

// statusChanged asks for the status to be sent if it changed.
func (ps *projectState) statusChanged() {
	select {
	case ps.status.kick <- struct{}{}:
	default:
	}
}

// sendStatuses sends the status of the project whenever it was kicked,
// until ctx ends. Only clients that announce
// capabilities.experimental.donkeylsStatus get it.
func (ps *projectState) sendStatuses(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-ps.status.kick:
		}
		if ps.srv.clientCaps().status {
			ps.sendStatus()
		}
	}
}

func (ps *projectState) sendStatus() {
	ps.status.mu.Lock()
	defer ps.status.mu.Unlock()
	if ps.status.removed {
		return
	}
	b, err := json.Marshal(ps.currentStatus())
	if err != nil || bytes.Equal(b, ps.status.last) {
		return
	}
	ps.status.last = b
	ps.srv.notify(StatusMethod, json.RawMessage(b))
}

// sendRemoved tells the client that the project left the workspace: the
// last status it gets for it.
func (ps *projectState) sendRemoved() {
	ps.status.mu.Lock()
	defer ps.status.mu.Unlock()
	ps.status.removed = true
	if ps.srv.clientCaps().status {
		ps.srv.notify(StatusMethod, Status{Root: ps.root, Removed: true, Types: TypesStatus{State: TypesUnknown, Findings: map[string]int{}}, Dev: DevStatus{State: DevStopped}})
	}
}

// currentStatus computes the project's status now.
func (ps *projectState) currentStatus() Status {
	trusted := ps.srv.trusted()
	command := ps.typegenCommand()
	ps.mu.Lock()
	defer ps.mu.Unlock()
	st := Status{Root: ps.root, Trusted: trusted, Types: TypesStatus{Command: command, Findings: map[string]int{}}}
	for _, f := range ps.findings {
		switch f.Remedy {
		case analysis.RemedyRegenerate, analysis.RemedyMigrate:
			st.Types.Stale++
			st.Types.Findings[f.Code]++
		case analysis.RemedyRestart:
			st.Dev.Restart++
		}
	}
	t := ps.tracker
	switch {
	case t.typegenRuns > 0 || t.reread < t.runsEnded:
		st.Types.State = TypesGenerating
	case ps.sup != nil && ps.sup.State == control.StateTypegen:
		// `donkeyls dev` runs the generator itself; our watcher brings
		// its outputs in when it is done.
		st.Types.State = TypesGenerating
	case t.failure != "":
		st.Types.State = TypesFailed
		st.Types.Failure = t.failure
	case ps.loadErr != "":
		st.Types.State = TypesUnknown
		st.Types.Error = ps.loadErr
	case ps.snap == nil:
		st.Types.State = TypesIndexing
	case st.Types.Stale > 0:
		st.Types.State = TypesStale
	default:
		st.Types.State = TypesFresh
	}
	st.Dev.State = devState(ps.sup, st.Dev.Restart)
	if ps.sup != nil {
		st.Dev.Supervisor = ps.sup.State
		st.Dev.Pid = ps.sup.Pid
	}
	return st
}

func devState(sup *control.Status, restart int) string {
	switch {
	case restart > 0:
		return DevRestartNeeded
	case sup != nil && sup.State == control.StateRunning:
		return DevRunning
	case sup != nil && sup.State == control.StateTypegen && sup.Pid != 0:
		// Generating before a restart: the old server still serves.
		return DevRunning
	}
	return DevStopped
}

// typegenStarted and typegenEnded bracket one typegen run.
func (ps *projectState) typegenStarted() {
	ps.mu.Lock()
	ps.tracker.typegenRuns++
	// A new run supersedes the last failure.
	ps.tracker.failure = ""
	ps.mu.Unlock()
	ps.statusChanged()
}

// typegenEnded records the end of a run (failure: the message the user was
// shown, "" when it did not fail) and returns the number the re-read of its
// outputs is recorded under.
func (ps *projectState) typegenEnded(failure string) uint64 {
	ps.mu.Lock()
	ps.tracker.typegenRuns--
	if failure != "" {
		ps.tracker.failure = failure
	}
	ps.tracker.runsEnded++
	n := ps.tracker.runsEnded
	ps.mu.Unlock()
	ps.statusChanged()
	return n
}

// rereadRecorded notes that the outputs of run n were recorded as changed
// (or that a full load will read them), and wakes the worker.
func (ps *projectState) rereadRecorded(n uint64) {
	ps.mu.Lock()
	if n > ps.tracker.recorded {
		ps.tracker.recorded = n
	}
	ps.mu.Unlock()
	ps.poke()
}
