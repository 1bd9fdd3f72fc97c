// Package analysis holds the values every layer of donkeyls shares: positions,
// findings, edits and the commands a finding can offer. It knows nothing of
// LSP, processes or the clock; the packages below it turn TypeScript sources
// into facts, facts into a project model, and the model into findings.
package analysis

import (
	"errors"
	"fmt"
)

// ErrTooLarge says a file is too large to analyze: larger than a project's
// sources ever are (srcfile.MaxSize for reading it, syntax.MaxSize for
// parsing it). One error for both, so a caller asks errors.Is once.
var ErrTooLarge = errors.New("file too large to analyze")

// Pos is one point in a file. Offset is a byte offset; Line is 0-based; Col
// counts UTF-16 code units from the start of the line, as LSP does by default.
// Both forms are kept because every consumer needs one of them and only the
// extractor still has the source text to convert between them cheaply.
// The fields are 32-bit because the facts of a large project hold millions
// of positions (two million at 5,000 plugins: half the memory of 64-bit
// fields), and no file is analyzed past srcfile.MaxSize (64 MiB).
type Pos struct {
	Offset int32
	Line   int32
	Col    int32
}

// Range is a half-open span [Start, End).
type Range struct {
	Start Pos
	End   Pos
}

// Contains reports whether the byte offset lies within r (end inclusive, so a
// cursor just after a token still counts as on it).
func (r Range) Contains(offset int) bool {
	return offset >= int(r.Start.Offset) && offset <= int(r.End.Offset)
}

// IsZero reports whether r was never set.
func (r Range) IsZero() bool { return r == Range{} }

func (r Range) String() string {
	return fmt.Sprintf("%d:%d-%d:%d", r.Start.Line+1, r.Start.Col+1, r.End.Line+1, r.End.Col+1)
}

// Severity uses the LSP numbering so the boundary needs no table.
type Severity int

const (
	SeverityError       Severity = 1
	SeverityWarning     Severity = 2
	SeverityInformation Severity = 3
	SeverityHint        Severity = 4
)

func (s Severity) String() string {
	switch s {
	case SeverityError:
		return "error"
	case SeverityWarning:
		return "warning"
	case SeverityInformation:
		return "information"
	case SeverityHint:
		return "hint"
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// Location is a range in a file named by its absolute, clean OS path.
type Location struct {
	Path  string
	Range Range
}

// Related points at another place that explains a finding (the generated
// file that is stale, the other duplicate, the plugin that defines a name).
type Related struct {
	Location Location
	Message  string
}

// TextEdit replaces Range in Path with NewText.
type TextEdit struct {
	Path    string
	Range   Range
	NewText string
}

// FileCreate creates Path with Content; it fails rather than overwrite.
type FileCreate struct {
	Path    string
	Content string
}

// FileRename moves a file or a directory (with everything in it).
type FileRename struct {
	From, To string
}

// WorkspaceEdit is applied as one undoable step: creations first, then
// edits (at the paths before any rename), then renames.
type WorkspaceEdit struct {
	Creates []FileCreate
	Edits   []TextEdit
	Renames []FileRename
}

// Fix is a quick fix that is a pure text change.
type Fix struct {
	Title string
	Edit  WorkspaceEdit
}

// Command names understood by the language server and the supervisor.
const (
	CommandRegenerate    = "donkeyls.regenerate"
	CommandRestart       = "donkeyls.restart"
	CommandExtractPlugin = "donkeyls.extractToPlugin"
)

// CommandRef is an action that runs something rather than editing text.
type CommandRef struct {
	Title   string
	Command string
	// Root is the project root the command applies to.
	Root string
}

// Remedy is what clears a finding when editing the code is not the fix.
// Editors read it (the language server sends it as Diagnostic.data.fix)
// instead of keeping their own lists of codes.
type Remedy string

const (
	// RemedyNone: only a change to the code clears the finding.
	RemedyNone Remedy = ""
	// RemedyRegenerate: running the generator clears it.
	RemedyRegenerate Remedy = "regenerate"
	// RemedyRestart: restarting the dev server clears it (plugins are built once at start).
	RemedyRestart Remedy = "restart"
	// RemedyMigrate: a migration changed; regenerating clears the finding,
	// and the database changes when the server next starts and runs it.
	RemedyMigrate Remedy = "migrate"
)

// Finding is one diagnostic with a stable code.
type Finding struct {
	Code     string
	Severity Severity
	Location Location
	Message  string
	Related  []Related
	Fixes    []Fix
	Commands []CommandRef
	Remedy   Remedy
}
