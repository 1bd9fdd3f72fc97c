package refactor

import (
	"strings"
)

// style is how a project writes TypeScript, read from existing files so
// that generated code looks like its neighbours.
type style struct {
	quote  byte   // '"' or '\''
	indent string // one level: "  ", "    " or "\t"
	semi   bool
}

var defaultStyle = style{quote: '"', indent: "  ", semi: true}

// detectStyle reads quotes, indentation and semicolons from sample files,
// the first being the most representative.
func detectStyle(samples ...*module) style {
	st := defaultStyle
	var dq, sq, semis, nosemis int
	indentFound := false
	for _, m := range samples {
		if m == nil {
			continue
		}
		for _, imp := range m.importStmts {
			src := imp.Field("source").Text()
			if strings.HasPrefix(src, "'") {
				sq++
			} else if strings.HasPrefix(src, `"`) {
				dq++
			}
			if strings.HasSuffix(imp.Text(), ";") {
				semis++
			} else {
				nosemis++
			}
		}
		if !indentFound {
			if ind := indentUnit(m.src); ind != "" {
				st.indent = ind
				indentFound = true
			}
		}
	}
	if sq > dq {
		st.quote = '\''
	}
	st.semi = semis >= nosemis
	return st
}

// indentUnit is the smallest indentation step the file uses.
func indentUnit(src []byte) string {
	best := 0
	for line := range strings.SplitSeq(string(src), "\n") {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "*") {
			continue // blank lines and the inside of doc comments
		}
		if line[0] == '\t' {
			return "\t"
		}
		n := len(line) - len(strings.TrimLeft(line, " "))
		if n > 0 && (best == 0 || n < best) {
			best = n
		}
	}
	if best == 0 {
		return ""
	}
	return strings.Repeat(" ", best)
}

// str quotes s as a string literal in the project's style.
func (st style) str(s string) string {
	q := string(st.quote)
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, q, `\`+q)
	return q + s + q
}

// end terminates a statement.
func (st style) end() string {
	if st.semi {
		return ";"
	}
	return ""
}

// convertLeading rewrites leading indentation from one unit to another,
// level by level (a remainder narrower than a unit is kept), for code
// moving between files that indent differently.
func convertLeading(ws, fromUnit, toUnit string) string {
	if fromUnit == toUnit || fromUnit == "" {
		return ws
	}
	levels := 0
	for strings.HasPrefix(ws, fromUnit) {
		levels++
		ws = ws[len(fromUnit):]
	}
	return strings.Repeat(toUnit, levels) + ws
}
