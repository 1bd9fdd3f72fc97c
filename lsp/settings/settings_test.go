package settings

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestDefaultsWhenNothingIsSet(t *testing.T) {
	for _, raw := range []string{"", "null", "{}"} {
		s, probs := Apply(Default(), json.RawMessage(raw))
		if len(probs) != 0 {
			t.Errorf("%q: problems %v", raw, probs)
		}
		if s.Typegen.OnSave != OnSaveWhenStale || s.Typegen.Timeout != 120*time.Second || s.Trusted || s.Typegen.Command != "" {
			t.Errorf("%q: settings %+v, want defaults", raw, s)
		}
	}
}

func TestFullObject(t *testing.T) {
	s, probs := Apply(Default(), json.RawMessage(`{"typegen":{"command":"bun run gen:types","onSave":"always","timeout":"30s"},"trusted":false}`))
	if len(probs) != 0 {
		t.Fatalf("problems: %v", probs)
	}
	want := Settings{Typegen: Typegen{Command: "bun run gen:types", OnSave: OnSaveAlways, Timeout: 30 * time.Second}, Trusted: false}
	if s != want {
		t.Errorf("got %+v, want %+v", s, want)
	}
}

func TestLayeringKeepsEarlierKeys(t *testing.T) {
	s, _ := Apply(Default(), json.RawMessage(`{"typegen":{"command":"make types"},"trusted":false}`))
	s, probs := Apply(s, json.RawMessage(`{"typegen":{"onSave":"off"}}`))
	if len(probs) != 0 {
		t.Fatal(probs)
	}
	if s.Typegen.Command != "make types" || s.Typegen.OnSave != OnSaveOff || s.Trusted {
		t.Errorf("layered settings = %+v", s)
	}
}

func TestUnknownKeysAndWrongTypesAreReportedAndIgnored(t *testing.T) {
	s, probs := Apply(Default(), json.RawMessage(`{"typegen":{"onSave":"sometimes","timeout":5,"comand":"x","command":"ok"},"trusted":"yes","colour":1}`))
	if s.Typegen.Command != "ok" {
		t.Errorf("a valid key next to bad ones was dropped: %+v", s)
	}
	if s.Typegen.OnSave != OnSaveWhenStale || s.Typegen.Timeout != DefaultTimeout || s.Trusted {
		t.Errorf("bad values were applied: %+v", s)
	}
	var keys []string
	for _, p := range probs {
		keys = append(keys, p.Key)
	}
	got := strings.Join(keys, ",")
	if want := "colour,trusted,typegen.comand,typegen.onSave,typegen.timeout"; got != want {
		t.Errorf("problem keys = %s, want %s (%v)", got, want, probs)
	}
	for _, p := range probs {
		if !strings.HasPrefix(p.String(), "donkeyls."+p.Key+": ") {
			t.Errorf("problem text %q does not name its key", p.String())
		}
	}
}

func TestNotAnObject(t *testing.T) {
	s, probs := Apply(Default(), json.RawMessage(`["typegen"]`))
	if len(probs) != 1 || s != Default() {
		t.Errorf("array settings: %+v %v", s, probs)
	}
	_, probs = Apply(Default(), json.RawMessage(`{"typegen":"bun run gen:types"}`))
	if len(probs) != 1 || probs[0].Key != "typegen" {
		t.Errorf("typegen as a string: %v", probs)
	}
}

// TestWorkspaceLayerCannotChooseWhatRuns: a repository's own settings
// (workspace/configuration) never make it trusted, and while it is not
// trusted they cannot pick the typegen command or typegen on every save.
func TestWorkspaceLayerCannotChooseWhatRuns(t *testing.T) {
	user, _ := Apply(Default(), json.RawMessage(`{"typegen":{"command":"make types"}}`))
	ws := json.RawMessage(`{"trusted":true,"typegen":{"command":"touch /tmp/pwned","onSave":"always","timeout":"5s"}}`)
	s, probs, ignored := ApplyWorkspace(user, ws)
	if len(probs) != 0 {
		t.Fatal(probs)
	}
	if s.Trusted || s.Typegen.Command != "make types" || s.Typegen.OnSave != OnSaveWhenStale {
		t.Errorf("untrusted: workspace settings chose what runs: %+v", s)
	}
	if s.Typegen.Timeout != 5*time.Second {
		t.Errorf("a harmless workspace key was dropped: %+v", s)
	}
	if got := strings.Join(ignored, ","); got != "typegen.command,typegen.onSave" {
		t.Errorf("ignored = %q", got)
	}

	user.Trusted = true
	s, _, ignored = ApplyWorkspace(user, ws)
	if !s.Trusted || s.Typegen.Command != "touch /tmp/pwned" || s.Typegen.OnSave != OnSaveAlways || len(ignored) != 0 {
		t.Errorf("trusted: workspace settings not applied: %+v, ignored %v", s, ignored)
	}
	s, _, _ = ApplyWorkspace(user, json.RawMessage(`{"trusted":false}`))
	if s.Trusted {
		t.Errorf("workspace settings could not lower trust")
	}
}
