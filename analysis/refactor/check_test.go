package refactor_test

import (
	"encoding/json"
	"errors"
	"os/exec"
	"testing"

	"github.com/donkeyls/donkeyls/internal/testenv"
)

// TestCheckCommandAfterExtraction runs the real `donkeyls check` on a
// project before and after the extraction of its documented hint: the only
// new findings are what regenerating types fixes, and the hint is gone.
func TestCheckCommandAfterExtraction(t *testing.T) {
	bin := testenv.Binary(t)
	g := loadGolden(t, "testdata/db-query-input.txtar")
	res, err := runGolden(t, g)
	if err != nil {
		t.Fatal(err)
	}
	before := check(t, bin, res.dir)
	res.write(t)
	after := check(t, bin, res.dir)
	if before["route-direct-db"] != 1 || after["route-direct-db"] != 0 {
		t.Errorf("route-direct-db hints: %d before, %d after; want 1 then 0", before["route-direct-db"], after["route-direct-db"])
	}
	typegen := map[string]bool{"stale-registry": true, "stale-context": true, "types-missing": true}
	for code, n := range after {
		if n > before[code] && !typegen[code] {
			t.Errorf("check reports %d %s after the extraction, %d before", n, code, before[code])
		}
	}
	if after["stale-registry"] <= before["stale-registry"] {
		t.Errorf("check does not report the registry stale after a new plugin: %v", after)
	}
}

// check runs `donkeyls check --format json` and counts findings by code.
func check(t *testing.T, bin, dir string) map[string]int {
	t.Helper()
	out, err := exec.Command(bin, "check", "--format", "json", dir).Output()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("donkeyls check: %v", err)
	}
	var report struct {
		Findings []struct {
			Code string `json:"code"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(out, &report); err != nil {
		t.Fatalf("donkeyls check output: %v\n%s", err, out)
	}
	counts := map[string]int{}
	for _, f := range report.Findings {
		counts[f.Code]++
	}
	return counts
}
