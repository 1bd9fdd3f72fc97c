package analyzers

import (
	"strings"
	"testing"
)

// Each expression was given to the real scheduler (server 2.5.1,
// core/cron.ts, createCron().schedule under Bun 1.4.5, 5 s bound); the
// second column is what it did: "" accepted, "loop forever" never
// returned, otherwise the start of the message it threw.
func TestCronProblemMatchesTheScheduler(t *testing.T) {
	cases := []struct{ expr, want string }{
		{"*/x * * * *", ""},
		{"1-5/2 * * * *", ""},
		{"0 0 31 4,6 *", "Could not find next run time within 4 years"},
		{"0 0 29 2 *", ""},
		{"0 0 * 0 *", "Could not find next run time within 4 years"},
		{"MON/0 * * * *", "Could not find next run time within 4 years"},
		{"0 0 1 * 7", ""},
		{"* * * * * * *", "Invalid cron expression"},
		{"0 0 * * 0-6", ""},
		{"0 0 */2 * 1", ""},
		{"5/0 * * * *", "loop forever"},
		{"70/0 * * * *", "Could not find next run time within 4 years"},
		{"0 0 31 2,4 *", "Could not find next run time within 4 years"},
		{"0 0 L * *", "Could not find next run time within 4 years"},
		{"", "Invalid cron expression"},
		{"0 0 * * MON", "Could not find next run time within 4 years"},
		{"0 9 * * 7", "Could not find next run time within 4 years"},
		{"0 0 30 2 *", "Could not find next run time within 4 years"},
		{"*/0 * * * *", "loop forever"},
		{"0 9 * *", "Invalid cron expression"},
		{"0 60 * * *", "Could not find next run time within 4 years"},
		{"*/-5 * * * *", "loop forever"},
		{"0 0 32 * *", "Could not find next run time within 4 years"},
		{"0 9 1 * 7", ""},
		{"0 0 * * -1-3", "Could not find next run time within 4 years"},
		{"-0/5 * * * *", ""},
		{"0 0 1-50 2 *", ""},
	}
	for _, c := range cases {
		got := cronProblem(c.expr)
		if c.want == "" {
			if got != "" {
				t.Errorf("%q: the scheduler accepts it, we say %s", c.expr, got)
			}
			continue
		}
		if !strings.Contains(got, c.want) {
			t.Errorf("%q: the scheduler says %q, we say %q", c.expr, c.want, got)
		}
	}
}
