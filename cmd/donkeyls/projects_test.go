package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/donkeyls/donkeyls/internal/fixture"
)

// The stale project the editor and language server tests open marks its
// findings, and those tests find lines by the markers: check must report
// exactly the marked findings, or a test would look in the wrong place.
func TestProjectsHoldTheirMarkedFindings(t *testing.T) {
	for _, name := range []string{"shop-stale"} {
		t.Run(name, func(t *testing.T) {
			fx := fixture.ProjectFixture(t, name)
			if len(fx.Marks) == 0 {
				t.Fatalf("%s marks no finding", name)
			}
			_, out, errOut := runMain(t, "check", "--format", "json", "--no-cache", fixture.Project(t, name))
			var doc struct {
				Findings []struct {
					Code  string `json:"code"`
					File  string `json:"file"`
					Range struct {
						Start struct{ Line int } `json:"start"`
					} `json:"range"`
				} `json:"findings"`
			}
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatalf("not the JSON findings (%v):\n%s%s", err, out, errOut)
			}
			var got []string
			for _, f := range doc.Findings {
				got = append(got, fmt.Sprintf("%s:%d %s", f.File, f.Range.Start.Line+1, f.Code))
			}
			slices.Sort(got)
			if !slices.Equal(got, fx.Marks) {
				t.Errorf("check found\n  %v\nthe markers say\n  %v", got, fx.Marks)
			}
		})
	}
}
