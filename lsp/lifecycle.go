package lsp

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.lsp.dev/protocol"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/internal/ossource"
	"github.com/donkeyls/donkeyls/lsp/rpc"
	"github.com/donkeyls/donkeyls/lsp/settings"
	"github.com/donkeyls/donkeyls/lsp/text"
)

// Command names the server executes.
const (
	CommandRegenerate = analysis.CommandRegenerate
	CommandRestart    = analysis.CommandRestart
)

// clientCallTimeout bounds how long the server waits for the client to
// answer one of its requests (configuration, registration, progress).
const clientCallTimeout = 10 * time.Second

func (s *Server) initialize(ctx context.Context, req *rpc.Request) (any, error) {
	var p initializeParams
	if len(req.Params) > 0 {
		if err := decodeLenient(req.Params, &p); err != nil {
			return nil, errInvalidParams(req.Method, err)
		}
	}
	c := p.Capabilities.conclude()
	set, probs := settings.Apply(settings.Default(), p.InitializationOptions)

	var folders []string
	for _, f := range p.WorkspaceFolders {
		if dir := folderPath(f.URI); dir != "" {
			folders = append(folders, dir)
		}
	}
	if len(folders) == 0 {
		if dir := folderPath(p.RootURI); dir != "" {
			folders = append(folders, dir)
		} else if p.RootPath != "" && filepath.IsAbs(p.RootPath) {
			folders = append(folders, filepath.Clean(p.RootPath))
		}
	}

	s.mu.Lock()
	s.caps = c
	s.settings = set
	s.initSet = set
	s.state = stateRunning
	s.mu.Unlock()
	s.folders = folders
	if p.ClientInfo != nil {
		s.log.Debug("client", "name", p.ClientInfo.Name, "version", p.ClientInfo.Version, "folders", folders)
	}
	s.reportProblems(probs)

	var codeActions any = true
	if c.codeActionLiteral {
		codeActions = map[string]any{"codeActionKinds": s.actionKinds()}
	}
	commands := make([]string, 0, len(s.commands))
	for name := range s.commands {
		commands = append(commands, name)
	}
	slices.Sort(commands)
	version := s.opts.Version
	if version == "" {
		version = "dev"
	}
	return map[string]any{
		"capabilities": map[string]any{
			// Every position sent or read from here on counts characters
			// in this encoding (positions.go).
			"positionEncoding": c.encoding.String(),
			"textDocumentSync": map[string]any{
				"openClose": true,
				"change":    2, // incremental
				"save":      map[string]any{"includeText": false},
			},
			"codeActionProvider":     codeActions,
			"executeCommandProvider": map[string]any{"commands": commands},
			// Navigation by framework names (navigation.go, completion.go).
			"definitionProvider":      true,
			"referencesProvider":      true,
			"hoverProvider":           true,
			"documentSymbolProvider":  true,
			"workspaceSymbolProvider": true,
			"renameProvider":          map[string]any{"prepareProvider": true},
			"completionProvider":      map[string]any{"triggerCharacters": []string{".", `"`, "'"}},
			"codeLensProvider":        map[string]any{"resolveProvider": true},
			"workspace": map[string]any{
				"workspaceFolders": map[string]any{"supported": true, "changeNotifications": true},
			},
		},
		"serverInfo": map[string]any{"name": "donkeyls", "version": version},
	}, nil
}

// folderPath turns a workspace folder URI into a directory, "" when it is
// not a local folder.
func folderPath(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := text.ParseURI(raw)
	if err != nil || !u.IsFile() {
		return ""
	}
	return u.Path
}

func (s *Server) initialized(ctx context.Context, req *rpc.Request) (any, error) {
	if s.initializedSeen {
		s.log.Warn("initialized received twice: ignored")
		return nil, nil
	}
	s.initializedSeen = true
	c := s.clientCaps()
	folders := append([]string(nil), s.folders...)
	// Nothing here waits for the client before the first analysis: a
	// client may answer our requests late or never. The settings answer
	// is applied whenever it comes.
	if c.configuration {
		s.goWork(s.pullConfiguration)
	}
	if c.dynamicConfig {
		s.goWork(func() {
			s.register("donkeyls-config", "workspace/didChangeConfiguration", map[string]any{"section": "donkeyls"})
		})
	}
	if c.dynamicWatch {
		// Our own watcher only if the client refuses (or never answers).
		s.goWork(func() {
			if !s.register("donkeyls-watch", "workspace/didChangeWatchedFiles", map[string]any{"watchers": clientWatchGlobs()}) {
				for _, dir := range folders {
					s.fallbackWatchFolder(dir)
				}
			}
		})
	}
	// The projects found at start-up load from the listings their
	// discovery made: a folder that is a project would otherwise be walked
	// twice at once, by the search for nested projects and by its load.
	startDirs := project.NewListings(ossource.Source{})
	s.goWork(func() {
		if !c.dynamicWatch {
			// Watching first: no change made during discovery is missed.
			for _, dir := range folders {
				s.fallbackWatchFolder(dir)
			}
		}
		for _, dir := range folders {
			s.discover(dir, startDirs)
		}
		// After the projects discover enqueued were added.
		s.disp.Enqueue(func(context.Context) { close(s.discovered) })
	})
	return nil, nil
}

// register asks the client to register a capability dynamically.
func (s *Server) register(id, method string, options any) bool {
	params := protocol.RegistrationParams{Registrations: []protocol.Registration{{ID: id, Method: method, RegisterOptions: options}}}
	if err := s.call(s.work, "client/registerCapability", params, nil, clientCallTimeout); err != nil {
		s.log.Warn("could not register with the client", "method", method, "err", err)
		return false
	}
	return true
}

// pullConfiguration asks the client for the donkeyls section and applies it
// on the ordered goroutine, after the edits that came before the answer. It
// waits as long as the session's work lasts: an answer that comes late is
// still the user's setting, and nothing else waits for it.
func (s *Server) pullConfiguration() {
	var result []json.RawMessage
	params := protocol.ConfigurationParams{Items: []protocol.ConfigurationItem{{Section: "donkeyls"}}}
	if err := s.call(s.work, "workspace/configuration", params, &result, 0); err != nil {
		if s.work.Err() == nil {
			s.log.Warn("reading settings", "err", err)
		}
		return
	}
	if len(result) == 0 {
		return
	}
	s.disp.Enqueue(func(context.Context) { s.applySettings(result[0]) })
}

func (s *Server) didChangeConfiguration(ctx context.Context, req *rpc.Request) (any, error) {
	var p struct {
		Settings json.RawMessage `json:"settings"`
	}
	_ = json.Unmarshal(req.Params, &p)
	var section json.RawMessage
	if obj := map[string]json.RawMessage{}; json.Unmarshal(p.Settings, &obj) == nil {
		section = obj["donkeyls"]
	}
	if len(section) > 0 {
		s.applySettings(section)
		return nil, nil
	}
	// VS Code's pull model sends settings: null; ask for the section.
	if s.clientCaps().configuration {
		s.goWork(s.pullConfiguration)
	}
	return nil, nil
}

// applySettings layers raw over the initializationOptions settings. Trust is
// the client's statement at start-up: workspace settings may lower it but
// never raise it, or a repository could trust itself; and they choose no
// command unless the project is trusted.
func (s *Server) applySettings(raw json.RawMessage) {
	s.mu.Lock()
	base := s.initSet
	s.mu.Unlock()
	set, probs, ignored := settings.ApplyWorkspace(base, raw)
	s.mu.Lock()
	s.settings = set
	projects := append([]*projectState(nil), s.projects...)
	s.mu.Unlock()
	s.reportProblems(probs)
	for _, key := range ignored {
		s.warnOnce("ignored-workspace:"+key, "workspace setting donkeyls."+key+" ignored: the project is not trusted, so only the editor's user settings (initializationOptions) choose what runs")
	}
	for _, ps := range projects {
		ps.configureRunner(set)
		ps.statusChanged() // trust or the typegen command may differ
	}
	s.log.Debug("settings", "trusted", set.Trusted, "typegen.command", set.Typegen.Command, "typegen.onSave", string(set.Typegen.OnSave), "typegen.timeout", set.Typegen.Timeout)
}

// reportProblems shows each distinct settings problem once per session.
func (s *Server) reportProblems(probs []settings.Problem) {
	var fresh []string
	s.mu.Lock()
	for _, p := range probs {
		msg := p.String()
		if !s.reported[msg] {
			s.reported[msg] = true
			fresh = append(fresh, msg)
		}
	}
	s.mu.Unlock()
	if len(fresh) > 0 {
		s.showMessage(protocol.MessageTypeWarning, "donkeyls settings: %s", strings.Join(fresh, "; "))
	}
}

func (s *Server) didChangeWorkspaceFolders(ctx context.Context, req *rpc.Request) (any, error) {
	var p struct {
		Event struct {
			Added   []protocol.WorkspaceFolder `json:"added"`
			Removed []protocol.WorkspaceFolder `json:"removed"`
		} `json:"event"`
	}
	if err := json.Unmarshal(req.Params, &p); err != nil {
		return nil, errInvalidParams(req.Method, err)
	}
	for _, f := range p.Event.Removed {
		if dir := folderPath(f.URI); dir != "" {
			s.removeFolder(dir)
		}
	}
	for _, f := range p.Event.Added {
		dir := folderPath(f.URI)
		if dir == "" {
			continue
		}
		s.folders = append(s.folders, dir)
		watch := !s.clientCaps().dynamicWatch
		s.goWork(func() {
			if watch {
				s.fallbackWatchFolder(dir)
			}
			s.discover(dir, nil)
		})
	}
	return nil, nil
}
