package analyzers

import (
	"fmt"
	"math"
	"regexp"
	"strings"

	"github.com/donkeyls/donkeyls/analysis"
)

// CodeCronInvalid: a cron expression the scheduler rejects or loops on.
const CodeCronInvalid = "cron-invalid"

func cronAnalyzer() *Analyzer {
	return &Analyzer{
		Name:  "cron",
		Doc:   "checks literal cron expressions as the framework's own scheduler parses them",
		Codes: []string{CodeCronInvalid},
		Run:   runCron,
	}
}

func runCron(p *Pass) {
	for _, f := range sourceFiles(p.Project) {
		for _, c := range f.CronSchedules() {
			msg := cronProblem(c.Expr)
			if msg == "" {
				continue
			}
			if c.Second != "" && cronProblem(c.Second) == "" {
				msg += fmt.Sprintf("; the expression comes first: schedule(%s, handler, { name: %s })", quote(c.Second), quote(c.Expr))
			}
			p.Report(analysis.Finding{
				Code:     CodeCronInvalid,
				Severity: analysis.SeverityError,
				Location: analysis.Location{Path: f.Path, Range: c.Range},
				Message:  msg,
			})
		}
	}
}

// cronField is one field of the scheduler's format with the values a date
// can have there (matches() compares them with the date's own).
type cronField struct {
	name     string
	min, max int // what parseField is given
	lo, hi   int // what a date can have
}

var (
	cron5 = []cronField{
		{"minute", 0, 59, 0, 59}, {"hour", 0, 23, 0, 23}, {"day of month", 1, 31, 1, 31},
		{"month", 1, 12, 1, 12}, {"day of week", 0, 6, 0, 6},
	}
	cron6 = append([]cronField{{"second", 0, 59, 0, 59}}, cron5...)
	// jsSplit is `/\s+/` as JavaScript's split uses it after trim().
	jsSplit = regexp.MustCompile(`\s+`)
)

// cronProblem says what the scheduler (server 2.5.1, core/cron.ts) does
// with expr when schedule() is called, in its own words; "" when it
// accepts it. It follows the scheduler's parser exactly (JavaScript
// parseInt, ranges, steps) and decides "never runs" only where that holds
// on every calendar, so an accepted expression is never reported.
func cronProblem(expr string) string {
	parts := jsSplit.Split(strings.TrimSpace(expr), -1)
	var fields []cronField
	switch len(parts) {
	case 5:
		fields = cron5
	case 6:
		fields = cron6
	default:
		return fmt.Sprintf("the scheduler rejects this expression when schedule() runs (at start-up when it is in a plugin's init): \"Invalid cron expression: %s\"; it takes 5 fields (minute hour day-of-month month day-of-week) or 6 (with seconds first)", expr)
	}
	values := make([]map[int]bool, len(fields))
	for i, fd := range fields {
		vals, hangs := parseCronField(parts[i], fd.min, fd.max)
		if hangs {
			return fmt.Sprintf("%q in the %s field makes the scheduler loop forever while parsing (a step of zero or less never advances): schedule() never returns, so start-up hangs with no message", parts[i], fd.name)
		}
		values[i] = vals
	}
	never := func(why string) string {
		return fmt.Sprintf("the scheduler finds no time this expression matches and schedule() throws \"Could not find next run time within 4 years\" (at start-up when it is in a plugin's init): %s", why)
	}
	off := len(fields) - 5 // index of the minute field
	for i, fd := range fields {
		if fd.name == "day of month" || fd.name == "day of week" {
			continue
		}
		if !anyIn(values[i], fd.lo, fd.hi) {
			return never(fmt.Sprintf("the %s field %q allows no value from %d to %d%s", fd.name, parts[i], fd.lo, fd.hi, namesHint(parts[i])))
		}
	}
	domText, dowText := parts[off+2], parts[off+4]
	dom, months, dow := values[off+2], values[off+3], values[off+4]
	domOK := false // some allowed day of month exists in some allowed month
	for m := 1; m <= 12; m++ {
		if !months[m] {
			continue
		}
		for d := 1; d <= daysIn(m); d++ {
			if dom[d] {
				domOK = true
			}
		}
	}
	dowOK := anyIn(dow, 0, 6)
	domRestricted, dowRestricted := domText != "*", dowText != "*"
	switch {
	case domRestricted && dowRestricted:
		if !domOK && !dowOK {
			return never(fmt.Sprintf("neither the day of month %q nor the day of week %q can match (days of week are 0-6, Sunday is 0)%s", domText, dowText, namesHint(dowText)))
		}
	case dowRestricted:
		if !dowOK {
			return never(fmt.Sprintf("the day of week field %q allows no value from 0 to 6 (Sunday is 0, not 7)%s", dowText, namesHint(dowText)))
		}
	default:
		if !domOK {
			return never(fmt.Sprintf("no allowed month has day %q", domText))
		}
	}
	return ""
}

// namesHint explains names such as MON or JAN, which the parser reads as
// NaN.
func namesHint(field string) string {
	for _, r := range field {
		if (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') {
			return "; names such as MON or JAN are not understood, only numbers"
		}
	}
	return ""
}

func daysIn(month int) int {
	switch month {
	case 2:
		return 29 // the scheduler looks four years ahead, which holds a leap year
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func anyIn(vals map[int]bool, lo, hi int) bool {
	for v := range vals {
		if v >= lo && v <= hi {
			return true
		}
	}
	return false
}

// parseCronField is the scheduler's parseField: it returns the numbers the
// field holds (NaN, which matches nothing, left out) and whether parsing
// never ends.
func parseCronField(field string, min, max int) (map[int]bool, bool) {
	vals := map[int]bool{}
	for part := range strings.SplitSeq(field, ",") {
		switch {
		case part == "*":
			for i := min; i <= max; i++ {
				vals[i] = true
			}
		case strings.Contains(part, "/"):
			pieces := strings.Split(part, "/")
			step, stepOK := jsParseInt(pieces[1])
			start, startOK := min, true
			if pieces[0] != "*" {
				start, startOK = jsParseInt(pieces[0])
			}
			if !startOK || start > max {
				continue // NaN <= max is false: the loop never runs
			}
			if !stepOK {
				vals[start] = true // i += NaN ends the loop after one value
				continue
			}
			if step <= 0 {
				return nil, true
			}
			for i := start; i <= max; i += step {
				vals[i] = true
			}
		case strings.Contains(part, "-"):
			pieces := strings.Split(part, "-")
			start, ok1 := jsParseInt(pieces[0])
			end, ok2 := jsParseInt(pieces[1])
			if !ok1 || !ok2 {
				continue
			}
			// Only values a date can have matter; the loop itself ends.
			for i := max2(start, -1); i <= end && i <= 60; i++ {
				vals[i] = true
			}
		default:
			if v, ok := jsParseInt(part); ok {
				vals[v] = true
			}
		}
	}
	return vals, false
}

func max2(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// jsParseInt is JavaScript's parseInt(s, 10): leading white space, a sign,
// then as many digits as there are; false (NaN) without a digit.
func jsParseInt(s string) (int, bool) {
	s = strings.TrimLeft(s, " \t\n\r\v\f")
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	n, digits := 0, 0
	for digits < len(s) && s[digits] >= '0' && s[digits] <= '9' {
		if n < math.MaxInt32 {
			n = n*10 + int(s[digits]-'0')
		}
		digits++
	}
	if digits == 0 {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}
