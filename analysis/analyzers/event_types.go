package analyzers

import (
	"fmt"
	"strings"

	"github.com/donkeyls/donkeyls/analysis"
	"github.com/donkeyls/donkeyls/analysis/facts"
	"github.com/donkeyls/donkeyls/analysis/project"
)

// CodeEventTypeLossy: the generator writes an event's payload type into
// events.ts by translating the schema's source text with regular
// expressions (cli generate.ts, zodSchemaToTypeScript and
// parseZodObjectFields), not from the schema: a field ends at the first
// comma or brace, modifiers it does not know are dropped by prefix
// matching, and what it cannot read becomes `unknown /* source */`. emit and
// on are then typed with a shape the payload does not have.
const CodeEventTypeLossy = "event-type-lossy"

func eventTypesAnalyzer() *Analyzer {
	return &Analyzer{
		Name:  "event-types",
		Doc:   "compares the payload type the generator writes for each event with the type its zod schema describes",
		Codes: []string{CodeEventTypeLossy},
		Run:   runEventTypes,
	}
}

type eventTypesKey struct{}

func runEventTypes(p *Pass) {
	path := p.Project.EventsFile()
	if path == "" {
		return
	}
	f := p.Project.File(path)
	if f == nil || f.Missing {
		return
	}
	p.reportReused(eventTypesKey{}, []*facts.File{f}, func(p *Pass) {
		for i := range f.Events() {
			checkEventType(p, f.Path, &f.Events()[i])
		}
	})
}

func checkEventType(p *Pass, path string, ev *facts.Event) {
	if !ev.TSKnown || !faithfulEnough(ev) {
		return
	}
	gen := project.ZodSourceToType(ev.Schema)
	if canonicalType(gen) == canonicalType(ev.TSType) {
		return
	}
	p.Report(analysis.Finding{
		Code:     CodeEventTypeLossy,
		Severity: analysis.SeverityInformation,
		Location: analysis.Location{Path: path, Range: ev.SchemaRange},
		Message: fmt.Sprintf("the generator will type event %q as `%s` in events.ts, while this schema describes `%s`: it translates the schema's source text, not the schema (%s), so emit and on are typed with the wrong payload; only a flat z.object whose fields are z.string, z.number, z.boolean, z.date or z.array of those (with .optional() or checks such as .min) translates exactly",
			ev.Name, displayType(gen), displayType(ev.TSType), lossCause(ev.Schema, gen)),
	})
}

// faithfulEnough is false where the translation donkeyls reproduces (the
// server's, from the schema object) is itself not what zod infers, so it
// cannot tell what the payload really is: what it prints as unknown or any
// (bigint, catch, pipe, brand, zod 4 schemas, ...), a nullable of an
// optional (zod keeps the key optional; the server's text does not), and a
// nullable inside an array (printed without parentheses).
func faithfulEnough(ev *facts.Event) bool {
	t := ev.TSType
	if hasWord(t, "unknown") || hasWord(t, "any") || hasWord(t, "Promise") {
		return false
	}
	s := ev.Schema
	if strings.Contains(s, ".optional().nullable(") || strings.Contains(s, ".optional().nullish(") {
		return false
	}
	if strings.Contains(s, "array") && (strings.Contains(s, "nullable") || strings.Contains(s, "nullish") || strings.Contains(s, ".or(") || strings.Contains(s, "union")) {
		return false
	}
	return true
}

// hasWord reports w in t as a whole identifier, not part of a field name.
func hasWord(t, w string) bool {
	for i := 0; ; {
		j := strings.Index(t[i:], w)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(w)
		if (start == 0 || !isIdentByte(t[start-1])) && (end == len(t) || !isIdentByte(t[end])) {
			return true
		}
		i = end
	}
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '$' || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
}

// lossCause names what the generator's translation got wrong, from the
// source text it works on.
func lossCause(src, gen string) string {
	var causes []string
	if _, after, ok := strings.Cut(gen, "unknown /* "); ok {
		frag := strings.TrimSuffix(after, " */")
		if j := strings.Index(frag, " */"); j >= 0 {
			frag = frag[:j]
		}
		causes = append(causes, fmt.Sprintf("it does not understand `%s` and writes unknown", oneLine(frag)))
	}
	inner := strings.TrimSpace(src)
	if strings.HasPrefix(inner, "z.object(") {
		inner = inner[len("z.object("):]
		if strings.Contains(inner, "z.object(") {
			causes = append(causes, "a field ends at the first comma or closing brace, so a nested object loses its fields to its parent")
		}
		if strings.Contains(inner, "z.enum(") || strings.Contains(inner, "z.record(") || strings.Contains(inner, "z.union(") || strings.Contains(inner, "z.tuple(") {
			causes = append(causes, "a field ends at the first comma, so a field whose schema takes a list or two arguments is cut")
		}
		if hasBareField(inner) {
			causes = append(causes, "a field whose schema is a variable, not a z. call, is left out")
		}
	}
	for _, m := range []string{".nullable()", ".nullish()", ".or(", ".and("} {
		if strings.Contains(src, m) {
			causes = append(causes, fmt.Sprintf("it ignores %s", strings.TrimSuffix(m, "(")))
		}
	}
	if len(causes) == 0 {
		return "a regular-expression translation"
	}
	return strings.Join(causes, "; ")
}

// hasBareField reports a `key: Identifier` member in an object literal's
// source: a field the generator's pattern (which wants `key: z.`) skips.
func hasBareField(src string) bool {
	for _, part := range strings.Split(src, ":")[1:] {
		part = strings.TrimSpace(part)
		if part == "" || strings.HasPrefix(part, "z.") {
			continue
		}
		if c := part[0]; isIdentByte(c) && (c < '0' || c > '9') {
			return true
		}
	}
	return false
}

// canonicalType is a type text with the differences that do not change the
// type removed: white space, the separator after an object's last member,
// and the quotes around string literals.
func canonicalType(t string) string {
	var b strings.Builder
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case '\'':
			j := strings.IndexByte(t[i+1:], '\'')
			if j < 0 {
				b.WriteString(t[i:])
				return b.String()
			}
			b.WriteByte('"')
			b.WriteString(t[i+1 : i+1+j])
			b.WriteByte('"')
			i += j + 1
			continue
		case '}':
			s := b.String()
			if strings.HasSuffix(s, ";") {
				b.Reset()
				b.WriteString(s[:len(s)-1])
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

// displayType is a type text on one line, as the generator writes objects.
func displayType(t string) string {
	return strings.ReplaceAll(oneLine(t), "; }", " }")
}

// oneLine joins a multi-line type text into one line for a message.
func oneLine(t string) string {
	return strings.Join(strings.Fields(t), " ")
}
