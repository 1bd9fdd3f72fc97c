package lsp

import (
	"fmt"
	"path/filepath"

	"go.lsp.dev/protocol"

	"github.com/donkeyls/donkeyls/analysis"
)

// What an untrusted project refuses, one refusal message per kind and
// session: a save per keystroke burst must not repeat it.
const (
	runOnSave     = "run typegen on save"
	runRegenerate = "regenerate types"
	runRestart    = "restart the dev server"
)

// trustRequired is the donkeyls/trustRequired notification, sent instead
// of the refusal message to clients that ask the user themselves.
type trustRequired struct {
	Root    string `json:"root"`
	Action  string `json:"action"`
	Command string `json:"command"`
}

// trusted reports whether the user trusted the projects of this session;
// only initializationOptions can say so (see settings.ApplyWorkspace).
func (s *Server) trusted() bool { return s.currentSettings().Trusted }

// mayRun reports whether action may run command in ps; when the project is
// not trusted it says so (once per kind) and returns false. Every path to a
// project command goes through here.
func (s *Server) mayRun(ps *projectState, action, command string) bool {
	if s.trusted() {
		return true
	}
	s.log.Info("refused to "+action+": the project is not trusted", "root", ps.root, "command", command)
	if s.clientCaps().trustRequest {
		s.notify("donkeyls/trustRequired", trustRequired{Root: ps.root, Action: action, Command: command})
		return false
	}
	s.showOnce("untrusted:"+action, protocol.MessageTypeWarning, "%s", untrustedMessage(ps.root, action, command))
	return false
}

func untrustedMessage(root, action, command string) string {
	return fmt.Sprintf("donkeyls: did not %s in %s: the project is not trusted, and that runs its own code (`%s`). "+
		"To allow it, trust the project: in VS Code, Workspace Trust; in Neovim, :DonkeyTrust; "+
		`in other editors, send initializationOptions {"trusted": true} for it.`, action, filepath.Base(root), command)
}

// untrustedTitle ends the title of an action that would be refused.
const untrustedTitle = ": needs a trusted project"

// restartCommand is what a restart runs, as the refusal names it.
const restartCommand = "the dev server, through donkeyls dev"

// markUntrusted keeps the actions that would run a project command in an
// untrusted project, so the user still learns what the finding needs, but
// never lets them look as if they would just run: clients that can show a
// disabled action show it greyed out with the reason; others get a title
// that says it, and the command answers with the refusal.
func markUntrusted(actions []CodeAction, c caps) []CodeAction {
	for i, a := range actions {
		if a.Command == nil || (a.Command.Command != analysis.CommandRegenerate && a.Command.Command != analysis.CommandRestart) {
			continue
		}
		if c.disabledActions {
			actions[i].Disabled = "this project is not trusted: donkeyls runs none of its commands until you trust it"
			continue
		}
		cmd := *a.Command
		cmd.Title = a.Title + untrustedTitle
		if a.Command.Title != "" {
			cmd.Title = a.Command.Title + untrustedTitle
		}
		actions[i].Title = cmd.Title
		actions[i].Command = &cmd
	}
	return actions
}
