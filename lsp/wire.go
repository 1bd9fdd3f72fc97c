package lsp

import (
	"encoding/json"
	"errors"

	"go.lsp.dev/protocol"

	"github.com/donkeyls/donkeyls/analysis/textpos"
)

// The protocol library's types are used where they match the specification
// and real clients. The types here replace the ones that do not: the
// library's InitializeParams fails to decode on a single unexpected
// capability, its WorkspaceEdit cannot hold file creations, and its
// workspace/applyEdit result is decoded as a bool.

// initializeParams is the part of InitializeParams the server reads.
type initializeParams struct {
	ProcessID             *int                       `json:"processId"`
	RootURI               string                     `json:"rootUri"`
	RootPath              string                     `json:"rootPath"`
	InitializationOptions json.RawMessage            `json:"initializationOptions"`
	Capabilities          clientCapabilities         `json:"capabilities"`
	WorkspaceFolders      []protocol.WorkspaceFolder `json:"workspaceFolders"`
	ClientInfo            *struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"clientInfo"`
}

type clientCapabilities struct {
	General struct {
		// PositionEncodings (LSP 3.17) lists the encodings the client
		// counts characters in, its preference first.
		PositionEncodings []string `json:"positionEncodings"`
	} `json:"general"`
	Workspace struct {
		ApplyEdit     bool `json:"applyEdit"`
		WorkspaceEdit *struct {
			DocumentChanges    bool     `json:"documentChanges"`
			ResourceOperations []string `json:"resourceOperations"`
		} `json:"workspaceEdit"`
		DidChangeConfiguration *dynamicReg `json:"didChangeConfiguration"`
		DidChangeWatchedFiles  *dynamicReg `json:"didChangeWatchedFiles"`
		Configuration          bool        `json:"configuration"`
		WorkspaceFolders       bool        `json:"workspaceFolders"`
	} `json:"workspace"`
	Window struct {
		WorkDoneProgress bool `json:"workDoneProgress"`
	} `json:"window"`
	// Experimental carries what our own editor integrations support.
	Experimental struct {
		// DonkeylsTrustRequest: the client asks the user to trust a
		// project itself when told donkeyls/trustRequired, so the server
		// need not show its own refusal message.
		DonkeylsTrustRequest bool `json:"donkeylsTrustRequest"`
		// DonkeylsStatus: the client renders donkeyls/status
		// notifications (docs/protocol.md).
		DonkeylsStatus bool `json:"donkeylsStatus"`
	} `json:"experimental"`
	TextDocument struct {
		CodeAction *struct {
			CodeActionLiteralSupport json.RawMessage `json:"codeActionLiteralSupport"`
			DisabledSupport          bool            `json:"disabledSupport"`
		} `json:"codeAction"`
	} `json:"textDocument"`
}

type dynamicReg struct {
	DynamicRegistration bool `json:"dynamicRegistration"`
}

// decodeLenient decodes what fits and ignores values of an unexpected type:
// a client with one odd capability must still get a working server.
func decodeLenient(raw json.RawMessage, into any) error {
	err := json.Unmarshal(raw, into)
	if _, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		return nil
	}
	return err
}

// caps is what the server concluded from the client's capabilities.
type caps struct {
	documentChanges   bool
	createFiles       bool
	renameFiles       bool
	workDoneProgress  bool
	configuration     bool
	dynamicConfig     bool
	dynamicWatch      bool
	codeActionLiteral bool
	disabledActions   bool
	applyEdit         bool
	trustRequest      bool
	status            bool
	// encoding is the session's position encoding, announced in the
	// initialize result.
	encoding textpos.Encoding
}

func (c clientCapabilities) conclude() caps {
	out := caps{
		workDoneProgress:  c.Window.WorkDoneProgress,
		configuration:     c.Workspace.Configuration,
		applyEdit:         c.Workspace.ApplyEdit,
		trustRequest:      c.Experimental.DonkeylsTrustRequest,
		status:            c.Experimental.DonkeylsStatus,
		encoding:          negotiateEncoding(c.General.PositionEncodings),
		codeActionLiteral: c.TextDocument.CodeAction != nil && len(c.TextDocument.CodeAction.CodeActionLiteralSupport) > 0 && string(c.TextDocument.CodeAction.CodeActionLiteralSupport) != "null",
	}
	out.disabledActions = out.codeActionLiteral && c.TextDocument.CodeAction.DisabledSupport
	if we := c.Workspace.WorkspaceEdit; we != nil {
		out.documentChanges = we.DocumentChanges
		for _, op := range we.ResourceOperations {
			switch op {
			case "create":
				out.createFiles = true
			case "rename":
				out.renameFiles = true
			}
		}
	}
	if d := c.Workspace.DidChangeConfiguration; d != nil {
		out.dynamicConfig = d.DynamicRegistration
	}
	if d := c.Workspace.DidChangeWatchedFiles; d != nil {
		out.dynamicWatch = d.DynamicRegistration
	}
	return out
}

// workspaceEdit can carry file creations in documentChanges.
type workspaceEdit struct {
	Changes         map[string][]protocol.TextEdit `json:"changes,omitempty"`
	DocumentChanges []any                          `json:"documentChanges,omitempty"`
}

type textDocumentEdit struct {
	TextDocument versionedID         `json:"textDocument"`
	Edits        []protocol.TextEdit `json:"edits"`
}

// versionedID is an OptionalVersionedTextDocumentIdentifier: a nil Version
// is sent as null, meaning "whatever is on disk".
type versionedID struct {
	URI     string `json:"uri"`
	Version *int32 `json:"version"`
}

// renameFile moves a file or a folder; an existing target is never
// overwritten (the options' defaults).
type renameFile struct {
	Kind   string `json:"kind"` // "rename"
	OldURI string `json:"oldUri"`
	NewURI string `json:"newUri"`
}

type createFile struct {
	Kind    string             `json:"kind"` // "create"
	URI     string             `json:"uri"`
	Options *createFileOptions `json:"options,omitempty"`
}

type createFileOptions struct {
	Overwrite      bool `json:"overwrite,omitempty"`
	IgnoreIfExists bool `json:"ignoreIfExists,omitempty"`
}

// codeAction is a CodeAction literal with our workspaceEdit.
type codeAction struct {
	Title       string                `json:"title"`
	Kind        string                `json:"kind,omitempty"`
	Diagnostics []protocol.Diagnostic `json:"diagnostics,omitempty"`
	IsPreferred bool                  `json:"isPreferred,omitempty"`
	Edit        *workspaceEdit        `json:"edit,omitempty"`
	Command     *protocol.Command     `json:"command,omitempty"`
	Disabled    *disabledReason       `json:"disabled,omitempty"`
}

type disabledReason struct {
	Reason string `json:"reason"`
}

// applyEditResult is workspace/applyEdit's real reply shape.
type applyEditResult struct {
	Applied       bool   `json:"applied"`
	FailureReason string `json:"failureReason,omitempty"`
}

// didChangeParams is decoded by the server itself: the library's change
// event turns a full replacement (no range) into an insertion at 0:0.
type didChangeParams struct {
	TextDocument struct {
		URI     string `json:"uri"`
		Version int32  `json:"version"`
	} `json:"textDocument"`
	ContentChanges []changeEvent `json:"contentChanges"`
}

type changeEvent struct {
	Range *struct {
		Start protocol.Position `json:"start"`
		End   protocol.Position `json:"end"`
	} `json:"range"`
	Text string `json:"text"`
}

// progressParams carries a token exactly as the client spelled it.
type progressParams struct {
	Token json.RawMessage `json:"token"`
	Value any             `json:"value"`
}
