package facts_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/donkeyls/donkeyls/analysis/facts"
)

// TestZodTypeTextMatchesTheRealServer checks the translation of every form
// in testdata/zodts.txtar against what the real server printed for it.
func TestZodTypeTextMatchesTheRealServer(t *testing.T) {
	ar, err := txtar.ParseFile(filepath.Join("testdata", "zodts.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	var src []byte
	var printed []struct{ Name, InputType string }
	for _, f := range ar.Files {
		switch f.Name {
		case "forms.ts":
			src = f.Data
		case "printed.json":
			if err := json.Unmarshal(f.Data, &printed); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := map[string]string{}
	for _, p := range printed {
		want[p.Name] = p.InputType
	}
	lines := strings.Split(string(src), "\n")
	f := extract(t, "forms.ts", src, facts.KindSource)
	if len(f.Routes) != len(printed) || len(printed) < 80 {
		t.Fatalf("%d routes, %d printed", len(f.Routes), len(printed))
	}
	for _, r := range f.Routes {
		w, ok := want[r.FullName]
		if !ok {
			t.Errorf("%s: not printed by the server", r.FullName)
			continue
		}
		for _, s := range []*facts.Schema{r.Input, r.Output} {
			if s == nil || !s.TSKnown || s.TSType != w {
				got := "<unknown>"
				if s != nil && s.TSKnown {
					got = s.TSType
				}
				t.Errorf("%s (%s): got %q, the server printed %q", r.FullName, strings.TrimSpace(lines[r.NameRange.Start.Line]), got, w)
			}
		}
	}
}

// TestZodTypeTextUndecided: what the source does not decide has no text,
// so the client comparison stays silent; zod 4 schemas are all unknown
// (the server reads zod 3's _def.typeName: {"inputType":"unknown"} was
// printed for z.object({ a: z.string() }) imported from "zod/v4").
func TestZodTypeTextUndecided(t *testing.T) {
	cases := []struct {
		src   string
		known bool
		text  string
	}{
		{`import { z } from "zod"; import { User } from "./schemas"; r.route("a").typed({ input: User, handle })`, false, ""},
		{`import { z } from "zod"; import { User } from "./schemas"; r.route("a").typed({ input: z.object({ u: User }), handle })`, false, ""},
		{`import { z } from "zod"; r.route("a").typed({ input: z.object({ a: z.string() }).superstrange(), handle })`, false, ""},
		{`import { z } from "zod"; r.route("a").typed({ input: z.object({ ...base }), handle })`, false, ""},
		{`import { z } from "zod"; const S = z.object({ a: z.string() }); r.route("a").typed({ input: S.extend({ b: z.number() }), handle })`, true, "{\n  a: string;\n  b: number;\n}"},
		{`import { z } from "zod/v4"; r.route("a").typed({ input: z.object({ a: z.string() }), handle })`, true, "unknown"},
		{`import * as zz from "zod"; r.route("a").typed({ input: zz.string().nullable(), handle })`, true, "string | null"},
		{`r.route("a").typed({ input: z.string(), handle })`, false, ""}, // z bound to nothing we know
	}
	for _, c := range cases {
		f := extract(t, "r.ts", []byte(c.src), facts.KindSource)
		if len(f.Routes) != 1 || f.Routes[0].Input == nil {
			t.Fatalf("%s: no route input read", c.src)
		}
		s := f.Routes[0].Input
		if s.TSKnown != c.known || s.TSType != c.text {
			t.Errorf("%s: got (%q, %v), want (%q, %v)", c.src, s.TSType, s.TSKnown, c.text, c.known)
		}
	}
}
