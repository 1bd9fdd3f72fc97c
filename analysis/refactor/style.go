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
	// importIndex is set when plugin imports spell out "/index".
	importIndex string // "", "/index" or "/index.ts"
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
	for _, line := range strings.Split(string(src), "\n") {
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

// reindent moves text that sat at indentation from to indentation to: every
// line after the first that starts with from gets to instead. Lines whose
// start lies inside a multi-line string (keep reports them) are left alone,
// since their whitespace is content.
func reindent(text, from, to string, keep func(lineOffset int) bool) string {
	if from == to {
		return text
	}
	lines := strings.SplitAfter(text, "\n")
	var b strings.Builder
	off := 0
	for i, line := range lines {
		if i > 0 && !keep(off) {
			switch {
			case strings.HasPrefix(line, from):
				line = to + line[len(from):]
			case strings.TrimSpace(line) == "":
				// A blank line keeps no trailing indentation.
				if strings.HasSuffix(line, "\n") {
					line = "\n"
				} else {
					line = ""
				}
			}
		}
		b.WriteString(line)
		off += len(lines[i])
	}
	return b.String()
}

// convertIndent rewrites the leading indentation of each line (after the
// first) from one unit to another, level by level, for files that indent
// differently from the one the code came from.
func convertIndent(text, fromUnit, toUnit string, keep func(lineOffset int) bool) string {
	if fromUnit == toUnit || fromUnit == "" {
		return text
	}
	lines := strings.SplitAfter(text, "\n")
	var b strings.Builder
	off := 0
	for i, line := range lines {
		if i > 0 && !keep(off) {
			levels := 0
			rest := line
			for strings.HasPrefix(rest, fromUnit) {
				levels++
				rest = rest[len(fromUnit):]
			}
			line = strings.Repeat(toUnit, levels) + rest
		}
		b.WriteString(line)
		off += len(lines[i])
	}
	return b.String()
}
