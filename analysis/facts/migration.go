package facts

import (
	"bytes"
	"regexp"

	"github.com/donkeyls/donkeyls/analysis"
	"strings"

	"github.com/donkeyls/donkeyls/analysis/syntax"
)

// migration reads a Kysely migration's up function. Only what is certain is
// recorded; anything else (loops, helpers that receive db, computed names,
// raw SQL we cannot parse) becomes an Unknown so the schema verdict for the
// plugin is "unknown" rather than a guess.
func (x *extractor) migration(root syntax.Node) *Migration {
	m := &Migration{}
	up, name := x.findUp(root)
	if up.IsNull() {
		up, name = x.findDefaultUp(root, m)
	}
	if up.IsNull() {
		return m
	}
	m.HasUp = true
	m.UpRange = x.rng(name)
	ps := params(up)
	if len(ps) == 0 || ps[0] == "" {
		m.Unknown = append(m.Unknown, Unknown{Range: x.rng(up), Reason: "up() does not name its database parameter"})
		return m
	}
	db := ps[0]
	body := up.Field("body")
	if !body.Is("statement_block") {
		x.migrationStatement(m, body, db)
		return m
	}
	for _, st := range body.NamedChildren() {
		x.migrationStatement(m, st, db)
	}
	return m
}

// findUp finds the top-level function named up and the node naming it.
func (x *extractor) findUp(root syntax.Node) (fn, name syntax.Node) {
	for _, st := range root.NamedChildren() {
		decl := st
		if st.Is("export_statement") {
			decl = st.Field("declaration")
		}
		switch decl.Kind() {
		case "function_declaration":
			if n := decl.Field("name"); n.Text() == "up" {
				return decl, n
			}
		case "lexical_declaration", "variable_declaration":
			for _, d := range decl.NamedChildren() {
				if n := d.Field("name"); d.Is("variable_declarator") && n.Text() == "up" {
					if v := d.Field("value").Unwrap(); isFunction(v) {
						return v, n
					}
				}
			}
		}
	}
	return syntax.Node{}, syntax.Node{}
}

// findDefaultUp finds up in `export default { up() {} }` or
// `export default { up: async (db) => {} }`, the other form Kysely's file
// provider accepts, and records that form on m.
func (x *extractor) findDefaultUp(root syntax.Node, m *Migration) (fn, name syntax.Node) {
	for _, st := range root.NamedChildren() {
		if !st.Is("export_statement") {
			continue
		}
		obj := st.Field("value").Unwrap()
		if !obj.Is("object") {
			continue
		}
		for _, member := range obj.NamedChildren() {
			switch member.Kind() {
			case "method_definition":
				if n := member.Field("name"); n.Text() == "up" {
					fn, name = member, n
				}
			case "pair":
				if n := member.Field("key"); n.Text() == "up" {
					if v := member.Field("value").Unwrap(); isFunction(v) {
						fn, name = v, n
					}
				}
			}
		}
		if !fn.IsNull() {
			m.DefaultUp = true
			m.Export = x.rng(st)
			m.NamedForm = x.namedExports(obj)
			return fn, name
		}
	}
	return syntax.Node{}, syntax.Node{}
}

// namedExports writes the members of a default-exported migration object
// (`{ async up(db) {…}, down: async (db) => {…} }`) as named exports, or ""
// when one is not a plain function (a getter, a spread, a computed key).
func (x *extractor) namedExports(obj syntax.Node) string {
	var b strings.Builder
	for _, member := range obj.NamedChildren() {
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		switch member.Kind() {
		case "comment":
			b.WriteString(member.Text())
		case "method_definition":
			name := member.Field("name")
			text := x.outdented(member)
			cut := name.Start() - member.Start() // the head is one line: no indent to strip

			head := strings.TrimSpace(text[:cut])
			if !name.Is("property_identifier") || (head != "" && head != "async") {
				return ""
			}
			b.WriteString("export ")
			if head == "async" {
				b.WriteString("async ")
			}
			b.WriteString("function ")
			b.WriteString(text[cut:])
		case "pair":
			key, v := member.Field("key"), member.Field("value")
			if !key.Is("property_identifier") || !isFunction(v.Unwrap()) {
				return ""
			}
			b.WriteString("export const " + key.Text() + " = " + x.outdented(v) + ";")
		default:
			return ""
		}
	}
	return b.String()
}

// usesIdent reports whether n mentions the identifier name.
func usesIdent(n syntax.Node, name string) bool {
	found := false
	n.Walk(func(c syntax.Node) bool {
		if found {
			return false
		}
		if c.Is("identifier") && c.Text() == name {
			found = true
		}
		return true
	})
	return found
}

func (x *extractor) migrationStatement(m *Migration, st syntax.Node, db string) {
	if st.Is("comment") || st.Is("empty_statement") {
		return
	}
	if !usesIdent(st, db) && !strings.Contains(st.Text(), "sql`") {
		return // logging, constants: no schema effect
	}
	expr := st
	if st.Is("expression_statement") {
		for _, c := range st.NamedChildren() {
			expr = c
		}
	}
	expr = expr.Unwrap()
	if expr.Is("await_expression") {
		for _, c := range expr.NamedChildren() {
			expr = c.Unwrap()
		}
	}
	if !expr.Is("call_expression") {
		m.Unknown = append(m.Unknown, Unknown{Range: x.rng(st), Reason: "statement is not a schema-builder call"})
		return
	}
	steps, base := x.callChain(expr)
	// sql`...`.execute(db)
	if base.Is("call_expression") || base.Is("template_string") || (len(steps) > 0 && steps[0].name == "") {
		x.rawSQL(m, st, expr)
		return
	}
	if len(steps) == 0 || !base.Is("member_expression") || base.Field("property").Text() != "schema" || base.Field("object").Text() != db {
		m.Unknown = append(m.Unknown, Unknown{Range: x.rng(st), Reason: "call does not start at " + db + ".schema"})
		return
	}
	first := steps[0]
	name := ""
	if len(first.args) > 0 {
		name = stringValue(first.args[0])
	}
	if name == "" && first.name != "createIndex" && first.name != "dropIndex" {
		m.Unknown = append(m.Unknown, Unknown{Range: x.rng(st), Reason: "table name is not a string literal"})
		return
	}
	op := TableOp{Table: name, Range: x.rng(st)}
	if len(first.args) > 0 {
		op.TableRange = x.rng(first.args[0])
	}
	switch first.name {
	case "createTable":
		op.Kind = OpCreateTable
	case "alterTable":
		op.Kind = OpAlterTable
	case "dropTable":
		op.Kind = OpDropTable
		m.Ops = append(m.Ops, op)
		return
	case "createIndex", "dropIndex", "createView", "dropView":
		return // no effect on the generated table types
	default:
		m.Unknown = append(m.Unknown, Unknown{Range: x.rng(st), Reason: "unsupported schema call " + first.name})
		return
	}
	for _, s := range steps[1:] {
		switch s.name {
		case "addColumn":
			col, ok := x.column(s)
			if !ok {
				m.Unknown = append(m.Unknown, Unknown{Range: s.rng, Reason: "column definition is not literal"})
				continue
			}
			op.Add = append(op.Add, col)
		case "dropColumn":
			if len(s.args) > 0 && isStringLit(s.args[0]) {
				op.Drop = append(op.Drop, stringValue(s.args[0]))
			} else {
				m.Unknown = append(m.Unknown, Unknown{Range: s.rng, Reason: "dropped column name is not literal"})
			}
		case "renameColumn":
			if len(s.args) >= 2 && isStringLit(s.args[0]) && isStringLit(s.args[1]) {
				op.Rename = append(op.Rename, [2]string{stringValue(s.args[0]), stringValue(s.args[1])})
			} else {
				m.Unknown = append(m.Unknown, Unknown{Range: s.rng, Reason: "renamed column is not literal"})
			}
		case "renameTo":
			if len(s.args) > 0 && isStringLit(s.args[0]) {
				m.Ops = append(m.Ops, TableOp{Kind: OpRenameTable, Table: name, NewName: stringValue(s.args[0]), Range: s.rng})
			}
		case "alterColumn", "modifyColumn":
			// Type or nullability changes; column names stay.
		case "execute", "ifNotExists", "ifExists", "addPrimaryKeyConstraint", "addUniqueConstraint",
			"addForeignKeyConstraint", "addCheckConstraint", "dropConstraint", "temporary", "onCommit",
			"modifyEnd", "modifyFront", "cascade", "as", "$call":
		default:
			m.Unknown = append(m.Unknown, Unknown{Range: s.rng, Reason: "unsupported builder call " + s.name})
		}
	}
	m.Ops = append(m.Ops, op)
}

type chainStep struct {
	name string
	args []syntax.Node
	rng  analysis.Range
}

// callChain unrolls `base.a(x).b(y).c()` into [a b c] and base.
func (x *extractor) callChain(call syntax.Node) ([]chainStep, syntax.Node) {
	var steps []chainStep
	n := call
	for range 512 {
		n = n.Unwrap()
		if !n.Is("call_expression") {
			break
		}
		fn := n.Field("function")
		if !fn.Is("member_expression") {
			return reverse(steps), n
		}
		steps = append(steps, chainStep{name: fn.Field("property").Text(), args: args(n), rng: x.rng(n)})
		n = fn.Field("object")
	}
	return reverse(steps), n
}

func reverse(s []chainStep) []chainStep {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
	return s
}

// column reads addColumn("name", "type", (col) => col.notNull()...).
func (x *extractor) column(s chainStep) (Column, bool) {
	if len(s.args) < 2 || !isStringLit(s.args[0]) {
		return Column{}, false
	}
	col := Column{Name: stringValue(s.args[0]), Range: x.rng(s.args[0])}
	t := s.args[1].Unwrap()
	switch {
	case isStringLit(t):
		col.Type = strings.ToLower(stringValue(t))
	case t.Is("call_expression") || t.Is("tagged_template_expression"):
		col.Type = strings.ToLower(t.Text()) // sql`...` types: kept as written
	default:
		return Column{}, false
	}
	if len(s.args) >= 3 {
		cb := s.args[2].Unwrap()
		txt := cb.Text()
		col.NotNull = strings.Contains(txt, ".notNull(")
		col.PrimaryKey = strings.Contains(txt, ".primaryKey(")
	}
	return col, true
}

var (
	reCreateTable = regexp.MustCompile(`(?is)^\s*create\s+(?:temp(?:orary)?\s+)?table\s+(?:if\s+not\s+exists\s+)?["'\x60\[]?(\w+)["'\x60\]]?\s*\((.*)\)\s*;?\s*$`)
	reAlterAdd    = regexp.MustCompile(`(?is)^\s*alter\s+table\s+["'\x60\[]?(\w+)["'\x60\]]?\s+add\s+(?:column\s+)?["'\x60\[]?(\w+)["'\x60\]]?\s+([^;]*?)\s*;?\s*$`)
	reAlterDrop   = regexp.MustCompile(`(?is)^\s*alter\s+table\s+["'\x60\[]?(\w+)["'\x60\]]?\s+drop\s+(?:column\s+)?["'\x60\[]?(\w+)["'\x60\]]?\s*;?\s*$`)
	reAlterRenCol = regexp.MustCompile(`(?is)^\s*alter\s+table\s+["'\x60\[]?(\w+)["'\x60\]]?\s+rename\s+column\s+["'\x60\[]?(\w+)["'\x60\]]?\s+to\s+["'\x60\[]?(\w+)["'\x60\]]?\s*;?\s*$`)
	reAlterRenTab = regexp.MustCompile(`(?is)^\s*alter\s+table\s+["'\x60\[]?(\w+)["'\x60\]]?\s+rename\s+to\s+["'\x60\[]?(\w+)["'\x60\]]?\s*;?\s*$`)
	reDropTable   = regexp.MustCompile(`(?is)^\s*drop\s+table\s+(?:if\s+exists\s+)?["'\x60\[]?(\w+)["'\x60\]]?\s*;?\s*$`)
	reCreateIndex = regexp.MustCompile(`(?is)^\s*(?:create|drop)\s+(?:unique\s+)?index\b`)
	reColumnDef   = regexp.MustCompile(`(?is)^\s*["'\x60\[]?(\w+)["'\x60\]]?\s+(\w+)(.*)$`)
)

// rawSQL reads `sql\`DDL\`.execute(db)` statements.
func (x *extractor) rawSQL(m *Migration, st, expr syntax.Node) {
	var tmpl syntax.Node
	expr.Walk(func(n syntax.Node) bool {
		if !tmpl.IsNull() {
			return false
		}
		if n.Is("template_string") {
			tmpl = n
			return false
		}
		return true
	})
	if tmpl.IsNull() || !isStringLit(tmpl) {
		m.Unknown = append(m.Unknown, Unknown{Range: x.rng(st), Reason: "raw SQL with interpolation"})
		return
	}
	text := stringValue(tmpl)
	// Several statements in one template are read one by one.
	for stmt := range strings.SplitSeq(text, ";") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if !x.ddl(m, st, stmt) {
			m.Unknown = append(m.Unknown, Unknown{Range: x.rng(st), Reason: "SQL not understood: " + firstLine(stmt)})
		}
	}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 60 {
		s = s[:60] + "..."
	}
	return s
}

func (x *extractor) ddl(m *Migration, st syntax.Node, stmt string) bool {
	r := x.rng(st)
	switch {
	case reCreateIndex.MatchString(stmt):
		return true
	case reCreateTable.MatchString(stmt):
		g := reCreateTable.FindStringSubmatch(stmt)
		op := TableOp{Kind: OpCreateTable, Table: g[1], Range: r}
		for _, def := range splitTopLevel(g[2]) {
			d := strings.TrimSpace(def)
			upper := strings.ToUpper(d)
			if d == "" || strings.HasPrefix(upper, "PRIMARY KEY") || strings.HasPrefix(upper, "FOREIGN KEY") ||
				strings.HasPrefix(upper, "UNIQUE") || strings.HasPrefix(upper, "CHECK") || strings.HasPrefix(upper, "CONSTRAINT") {
				continue
			}
			cg := reColumnDef.FindStringSubmatch(d)
			if cg == nil {
				return false
			}
			rest := strings.ToUpper(cg[3])
			op.Add = append(op.Add, Column{Name: cg[1], Type: strings.ToLower(cg[2]), NotNull: strings.Contains(rest, "NOT NULL"), PrimaryKey: strings.Contains(rest, "PRIMARY KEY"), Range: r})
		}
		m.Ops = append(m.Ops, op)
		return true
	case reAlterAdd.MatchString(stmt):
		g := reAlterAdd.FindStringSubmatch(stmt)
		if strings.EqualFold(g[2], "constraint") {
			return true
		}
		typ := strings.Fields(g[3])
		t := ""
		if len(typ) > 0 {
			t = strings.ToLower(typ[0])
		}
		m.Ops = append(m.Ops, TableOp{Kind: OpAlterTable, Table: g[1], Range: r, Add: []Column{{Name: g[2], Type: t, NotNull: strings.Contains(strings.ToUpper(g[3]), "NOT NULL"), Range: r}}})
		return true
	case reAlterDrop.MatchString(stmt):
		g := reAlterDrop.FindStringSubmatch(stmt)
		m.Ops = append(m.Ops, TableOp{Kind: OpAlterTable, Table: g[1], Range: r, Drop: []string{g[2]}})
		return true
	case reAlterRenCol.MatchString(stmt):
		g := reAlterRenCol.FindStringSubmatch(stmt)
		m.Ops = append(m.Ops, TableOp{Kind: OpAlterTable, Table: g[1], Range: r, Rename: [][2]string{{g[2], g[3]}}})
		return true
	case reAlterRenTab.MatchString(stmt):
		g := reAlterRenTab.FindStringSubmatch(stmt)
		m.Ops = append(m.Ops, TableOp{Kind: OpRenameTable, Table: g[1], NewName: g[2], Range: r})
		return true
	case reDropTable.MatchString(stmt):
		g := reDropTable.FindStringSubmatch(stmt)
		m.Ops = append(m.Ops, TableOp{Kind: OpDropTable, Table: g[1], Range: r})
		return true
	}
	return false
}

// splitTopLevel splits on commas outside parentheses.
func splitTopLevel(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// outdented is n's text with the indentation of the line n starts on
// removed from its later lines, so a member moved to the top level keeps
// its shape.
func (x *extractor) outdented(n syntax.Node) string {
	lineStart := n.Start()
	for lineStart > 0 && x.src[lineStart-1] != '\n' {
		lineStart--
	}
	indent := x.src[lineStart:n.Start()]
	if len(bytes.TrimLeft(indent, " \t")) != 0 {
		indent = indent[:len(indent)-len(bytes.TrimLeft(indent, " \t"))]
	}
	text := n.Text()
	if len(indent) == 0 {
		return text
	}
	return strings.ReplaceAll(text, "\n"+string(indent), "\n")
}
