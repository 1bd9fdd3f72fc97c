// Package settings reads the one "donkeyls" settings object a client sends
// in initializationOptions, in the donkeyls section of
// workspace/configuration and in workspace/didChangeConfiguration.
//
// A missing key takes its default. An unknown key or a value of the wrong
// type is reported as a Problem (the server shows each distinct problem
// once) and ignored, so one typo never discards the rest of the object.
package settings

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// OnSave says when saving a file runs the typegen command.
type OnSave string

const (
	// OnSaveOff never runs typegen on save.
	OnSaveOff OnSave = "off"
	// OnSaveWhenStale runs it when the saved edit made the generated outputs
	// stale, and never for edits that need nothing.
	OnSaveWhenStale OnSave = "whenStale"
	// OnSaveAlways runs it on every save of a project source file.
	OnSaveAlways OnSave = "always"
)

// Defaults.
const (
	DefaultOnSave  = OnSaveWhenStale
	DefaultTimeout = 120 * time.Second
)

// Settings is the effective configuration.
type Settings struct {
	Typegen Typegen
	// Trusted is true only when the client says the user trusts the
	// project. Untrusted, no project command runs: no typegen (on save or
	// requested), no dev-server restart. The default is untrusted, so a
	// client that says nothing never runs a repository's scripts.
	Trusted bool
}

// Typegen configures type generation.
type Typegen struct {
	// Command overrides the project's own typegen command when not "".
	Command string
	OnSave  OnSave
	Timeout time.Duration
}

// Default returns the settings with every key at its default.
func Default() Settings {
	return Settings{
		Typegen: Typegen{OnSave: DefaultOnSave, Timeout: DefaultTimeout},
	}
}

// Problem is one key the server ignored.
type Problem struct {
	Key     string // dotted path, e.g. "typegen.onSave"
	Message string
}

func (p Problem) String() string { return fmt.Sprintf("donkeyls.%s: %s", p.Key, p.Message) }

// Apply reads raw (a JSON object, or null/absent for "nothing set") over
// base and returns the result with the problems found. Keys absent from raw
// keep base's values, so layering initializationOptions and then
// workspace/configuration is two calls.
func Apply(base Settings, raw json.RawMessage) (Settings, []Problem) {
	out := base
	var probs []Problem
	obj, ok := object(raw, "", &probs)
	if !ok {
		return out, probs
	}
	for _, k := range sortedKeys(obj) {
		v := obj[k]
		switch k {
		case "typegen":
			tg, ok := object(v, "typegen", &probs)
			if !ok {
				continue
			}
			for _, tk := range sortedKeys(tg) {
				applyTypegen(&out.Typegen, tk, tg[tk], &probs)
			}
		case "trusted":
			var b bool
			if decode(v, &b, "trusted", "a boolean", &probs) {
				out.Trusted = b
			}
		default:
			probs = append(probs, Problem{Key: k, Message: "unknown setting, ignored"})
		}
	}
	return out, probs
}

func applyTypegen(tg *Typegen, k string, v json.RawMessage, probs *[]Problem) {
	key := "typegen." + k
	switch k {
	case "command":
		var s string
		if decode(v, &s, key, "a string", probs) {
			tg.Command = strings.TrimSpace(s)
		}
	case "onSave":
		var s string
		if !decode(v, &s, key, `one of "off", "whenStale", "always"`, probs) {
			return
		}
		switch OnSave(s) {
		case OnSaveOff, OnSaveWhenStale, OnSaveAlways:
			tg.OnSave = OnSave(s)
		default:
			*probs = append(*probs, Problem{Key: key, Message: fmt.Sprintf(`%q is not one of "off", "whenStale", "always"; ignored`, s)})
		}
	case "timeout":
		var s string
		if !decode(v, &s, key, `a duration such as "120s"`, probs) {
			return
		}
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			*probs = append(*probs, Problem{Key: key, Message: fmt.Sprintf(`%q is not a positive duration such as "120s"; ignored`, s)})
			return
		}
		tg.Timeout = d
	default:
		*probs = append(*probs, Problem{Key: key, Message: "unknown setting, ignored"})
	}
}

// ApplyWorkspace layers a workspace-level answer (workspace/configuration,
// workspace/didChangeConfiguration) over user, the settings the client
// sent in initializationOptions. Workspace values can come from files the
// repository ships (.vscode/settings.json, a project's .nvim.lua, an
// editor's per-project config), so they never raise trust, and unless the
// user trusted the project they cannot choose what runs: typegen.command
// and typegen.onSave "always" keep user's values. Ignored lists the keys
// dropped that way.
func ApplyWorkspace(user Settings, raw json.RawMessage) (set Settings, probs []Problem, ignored []string) {
	set, probs = Apply(user, raw)
	if !user.Trusted {
		set.Trusted = false
		if set.Typegen.Command != user.Typegen.Command {
			set.Typegen.Command = user.Typegen.Command
			ignored = append(ignored, "typegen.command")
		}
		if set.Typegen.OnSave == OnSaveAlways && user.Typegen.OnSave != OnSaveAlways {
			set.Typegen.OnSave = user.Typegen.OnSave
			ignored = append(ignored, "typegen.onSave")
		}
	}
	return set, probs, ignored
}

// object decodes raw as a JSON object; null or empty means "nothing set".
func object(raw json.RawMessage, key string, probs *[]Problem) (map[string]json.RawMessage, bool) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return nil, false
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		name := key
		if name == "" {
			name = "(settings)"
		}
		*probs = append(*probs, Problem{Key: name, Message: "must be an object; ignored"})
		return nil, false
	}
	return obj, true
}

func decode(raw json.RawMessage, into any, key, want string, probs *[]Problem) bool {
	if strings.TrimSpace(string(raw)) == "null" {
		// null is "unset": the key keeps its current value.
		return false
	}
	if err := json.Unmarshal(raw, into); err != nil {
		*probs = append(*probs, Problem{Key: key, Message: "must be " + want + "; ignored"})
		return false
	}
	return true
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
