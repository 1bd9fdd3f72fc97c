package facts

import (
	"bytes"
	"regexp"
	"strings"

	"github.com/donkeyls/donkeyls/analysis/textpos"
)

// Generated outputs have a fixed shape written by the generator, so they are
// read line by line instead of parsed: a client for ten thousand routes is
// several megabytes, and this keeps reading it to a few milliseconds. A file
// that does not have the expected shape is marked not Parsed and the
// analyzers then stay silent about it.
var (
	reRegEntry      = regexp.MustCompile(`^\s+("?[\w$-]+"?):\s*Register<InferService<typeof ([\w$]+)>`)
	reRegImport     = regexp.MustCompile(`^import \{ ([\w$]+) \} from "([^"]+)";`)
	reStringLit     = regexp.MustCompile(`"([^"]*)"`)
	reSchemaTerm    = regexp.MustCompile(`PluginRegistry\["([^"]+)"\]\["schema"\]`)
	reMemberLine    = regexp.MustCompile(`^\s+("?[\w$-]+"?)\??:\s*(.*?);?\s*$`)
	reInterface     = regexp.MustCompile(`^export interface ([\w$]+)\s*\{\s*(\})?`)
	reEventEntry    = regexp.MustCompile(`^\s+"([^"]+)":\s*([\w$]+)\.([\w$]+);`)
	reNamespace     = regexp.MustCompile(`^\s*export namespace ([\w$]+)\s*\{\s*(\})?`)
	reTypeDecl      = regexp.MustCompile(`^\s*export type ([\w$]+)\s*=\s*(.*)$`)
	reClientCall    = regexp.MustCompile(`this\.(request|rawRequest|streamRequest|streamUrl|streamGet|htmlRequest|sseConnect|formDataRequest)\("([^"]+)"`)
	reClientTypeRef = regexp.MustCompile(`Routes\.([\w$.]+)\.(Input|Output)\b`)
	reProcessEntry  = regexp.MustCompile(`^\s+"([^"]+)":\s*\{`)
)

func scanGenerated(kind Kind, src []byte, lines *textpos.Table) *Generated {
	g := &Generated{}
	switch kind {
	case KindRegistry:
		scanRegistry(g, src, lines)
	case KindContext:
		scanContext(g, src, lines)
	case KindSchema:
		scanSchema(g, src, lines)
	case KindEvents:
		scanEvents(g, src, lines)
	case KindClient:
		scanClient(g, src, lines)
	case KindProcesses:
		scanProcesses(g, src, lines)
	case KindRoutes:
		g.Parsed = bytes.Contains(src, []byte("Auto-generated")) || len(bytes.TrimSpace(src)) > 0
	}
	return g
}

// scanProcesses reads the process names of processes.ts: the members of
// `interface ProcessRegistry { "name": { events; commands }; }`.
func scanProcesses(g *Generated, src []byte, lines *textpos.Table) {
	in := false
	eachLine(src, func(line []byte, off int) bool {
		s := string(line)
		t := strings.TrimSpace(s)
		switch {
		case strings.HasPrefix(t, "interface ProcessRegistry"):
			g.Parsed = true
			in = !strings.HasSuffix(t, "{}")
		case in && t == "}":
			in = false
		case in:
			if m := reProcessEntry.FindStringSubmatchIndex(s); m != nil {
				g.Processes = append(g.Processes, Key{Name: s[m[2]:m[3]], Range: lines.Range(off+m[2]-1, off+m[3]+1)})
			}
		}
		return true
	})
}

// eachLine calls fn with every line and its starting byte offset.
func eachLine(src []byte, fn func(line []byte, off int) bool) {
	off := 0
	for off <= len(src) {
		end := bytes.IndexByte(src[off:], '\n')
		var line []byte
		if end < 0 {
			line = src[off:]
		} else {
			line = src[off : off+end]
		}
		if !fn(bytes.TrimRight(line, "\r"), off) {
			return
		}
		if end < 0 {
			return
		}
		off += end + 1
	}
}

func unquote(s string) string { return strings.Trim(s, `"'`) }

func scanRegistry(g *Generated, src []byte, lines *textpos.Table) {
	imports := map[string]string{}
	inRegistry := false
	eachLine(src, func(line []byte, off int) bool {
		s := string(line)
		switch {
		case strings.HasPrefix(s, "import {"):
			if m := reRegImport.FindStringSubmatch(s); m != nil {
				imports[m[1]] = m[2]
			}
		case strings.Contains(s, "interface PluginRegistry"):
			g.Parsed = true
			inRegistry = !strings.Contains(s, "}")
		case inRegistry && strings.TrimSpace(s) == "}":
			inRegistry = false
		case inRegistry:
			if m := reRegEntry.FindSubmatchIndex(line); m != nil {
				name := unquote(s[m[2]:m[3]])
				export := s[m[4]:m[5]]
				g.RegistryPlugins = append(g.RegistryPlugins, RegistryEntry{
					Name: name, ExportName: export, ImportPath: imports[export],
					Range: lines.Range(off+m[2], off+m[3]),
				})
			}
		case strings.HasPrefix(s, "export type AvailableHandlers"):
			g.HandlersRange = lines.Range(off+len("export type "), off+len("export type AvailableHandlers"))
			for _, m := range reStringLit.FindAllStringSubmatch(s, -1) {
				if m[1] != "typed" && m[1] != "raw" {
					g.Handlers = append(g.Handlers, m[1])
				}
			}
		case strings.HasPrefix(s, "export type AvailableMiddleware"):
			g.MiddlewareRange = lines.Range(off+len("export type "), off+len("export type AvailableMiddleware"))
			for _, m := range reStringLit.FindAllStringSubmatch(s, -1) {
				g.Middleware = append(g.Middleware, m[1])
			}
		}
		return true
	})
}

func scanContext(g *Generated, src []byte, lines *textpos.Table) {
	inServices := false
	eachLine(src, func(line []byte, off int) bool {
		s := string(line)
		switch {
		case strings.HasPrefix(s, "export type DatabaseSchema"):
			g.Parsed = true
			g.SchemaRange = lines.Range(off+len("export type "), off+len("export type DatabaseSchema"))
			for _, m := range reSchemaTerm.FindAllStringSubmatch(s, -1) {
				g.SchemaTerms = append(g.SchemaTerms, m[1])
			}
		case strings.Contains(s, "export interface AppServices"):
			if i := strings.Index(s, "AppServices"); i >= 0 {
				g.ServicesRange = lines.Range(off+i, off+i+len("AppServices"))
			}
			inServices = !strings.Contains(s, "}")
		case inServices && strings.TrimSpace(s) == "}":
			inServices = false
		case inServices:
			if m := reMemberLine.FindStringSubmatch(s); m != nil {
				g.Services = append(g.Services, unquote(m[1]))
			}
		}
		return true
	})
}

// scanSchema reads kysely-codegen's output: one interface per table and a
// DB interface mapping table names to them.
func scanSchema(g *Generated, src []byte, lines *textpos.Table) {
	type iface struct {
		cols []Column
		rng  [2]int
	}
	ifaces := map[string]*iface{}
	var order []string
	var cur *iface
	var curName string
	eachLine(src, func(line []byte, off int) bool {
		s := string(line)
		if m := reInterface.FindSubmatchIndex(line); m != nil {
			curName = s[m[2]:m[3]]
			cur = &iface{rng: [2]int{off + m[2], off + m[3]}}
			ifaces[curName] = cur
			order = append(order, curName)
			if m[4] >= 0 {
				cur = nil
			}
			return true
		}
		if cur == nil {
			return true
		}
		if strings.TrimSpace(s) == "}" {
			cur = nil
			return true
		}
		if m := reMemberLine.FindSubmatchIndex(line); m != nil {
			name := unquote(s[m[2]:m[3]])
			typ := s[m[4]:m[5]]
			cur.cols = append(cur.cols, Column{
				Name: name, Type: typ, NotNull: !strings.Contains(typ, "| null"),
				Range: lines.Range(off+m[2], off+m[3]),
			})
		}
		return true
	})
	db, ok := ifaces["DB"]
	if !ok {
		return
	}
	g.Parsed = true
	for _, c := range db.cols {
		t := Table{Name: c.Name, Range: c.Range}
		if def, ok := ifaces[strings.TrimSpace(c.Type)]; ok {
			t.Columns = def.cols
			// The table's own interface is where a missing column would go.
			t.Range = lines.Range(def.rng[0], def.rng[1])
		}
		g.Tables = append(g.Tables, t)
	}
}

func scanEvents(g *Generated, src []byte, lines *textpos.Table) {
	types := map[string]string{} // "Ns.Type" -> type text
	var ns string
	inMap := false
	type entry struct {
		name, ref string
		rng       [2]int
	}
	var entries []entry
	eachLine(src, func(line []byte, off int) bool {
		s := string(line)
		if m := reNamespace.FindStringSubmatch(s); m != nil && !strings.HasPrefix(s, " ") {
			ns = m[1]
			return true
		}
		if s == "}" {
			ns = ""
			inMap = false
			return true
		}
		if strings.HasPrefix(s, "export interface EventMap") {
			g.Parsed = true
			inMap = !strings.Contains(s, "}")
			return true
		}
		if inMap {
			if m := reEventEntry.FindSubmatchIndex(line); m != nil {
				entries = append(entries, entry{name: s[m[2]:m[3]], ref: s[m[4]:m[5]] + "." + s[m[6]:m[7]], rng: [2]int{off + m[2] - 1, off + m[3] + 1}})
			}
			return true
		}
		if ns != "" {
			if m := reTypeDecl.FindStringSubmatch(s); m != nil {
				types[ns+"."+m[1]] = strings.TrimSuffix(strings.TrimSpace(m[2]), ";")
			}
		}
		return true
	})
	for _, e := range entries {
		g.Events = append(g.Events, GeneratedEvent{Name: e.name, Type: types[e.ref], Range: lines.Range(e.rng[0], e.rng[1])})
	}
}

var clientKinds = map[string]string{
	"request": "typed", "rawRequest": "raw", "streamRequest": "stream", "streamUrl": "stream",
	"streamGet": "stream", "htmlRequest": "html", "sseConnect": "sse", "formDataRequest": "formData",
}

// matchIf runs re only on a line holding literal, which every match of re
// contains.
func matchIf(line, literal string, re *regexp.Regexp) []string {
	if !strings.Contains(line, literal) {
		return nil
	}
	return re.FindStringSubmatch(line)
}

// scanClient reads the route methods of a generated client and the Input and
// Output types of the Routes namespace they refer to.
func scanClient(g *Generated, src []byte, lines *textpos.Table) {
	type typeInfo struct{ input, output string }
	types := map[string]*typeInfo{}
	var stack []string
	var collecting *string
	var buf strings.Builder
	type call struct {
		name, kind, ref string
		rng             [2]int
	}
	var calls []call
	seen := map[string]bool{}
	eachLine(src, func(line []byte, off int) bool {
		s := string(line)
		if collecting != nil {
			buf.WriteString("\n")
			buf.WriteString(s)
			if strings.HasSuffix(strings.TrimSpace(s), ">;") && balancedAngles(buf.String()) {
				*collecting = buf.String()
				collecting = nil
			}
			return true
		}
		// The literal checks skip the regular expressions on the lines that
		// cannot match, which are nearly all of a client of ten thousand routes.
		if m := matchIf(s, "namespace", reNamespace); m != nil {
			if m[2] == "" {
				stack = append(stack, m[1])
			}
			return true
		}
		if m := matchIf(s, "export type", reTypeDecl); m != nil && len(stack) > 0 && (m[1] == "Input" || m[1] == "Output") {
			key := strings.Join(stack, ".")
			ti := types[key]
			if ti == nil {
				ti = &typeInfo{}
				types[key] = ti
			}
			dst := &ti.input
			if m[1] == "Output" {
				dst = &ti.output
			}
			buf.Reset()
			buf.WriteString(m[2])
			if strings.HasSuffix(strings.TrimSpace(m[2]), ";") && balancedAngles(m[2]) {
				*dst = m[2]
			} else {
				collecting = dst
			}
			return true
		}
		if strings.TrimSpace(s) == "}" && len(stack) > 0 {
			stack = stack[:len(stack)-1]
			return true
		}
		for _, m := range reClientCall.FindAllStringSubmatchIndex(s, -1) {
			name := s[m[4]:m[5]]
			if seen[name] {
				continue
			}
			seen[name] = true
			c := call{name: name, kind: clientKinds[s[m[2]:m[3]]], rng: [2]int{off + m[4] - 1, off + m[5] + 1}}
			if r := reClientTypeRef.FindStringSubmatch(s); r != nil {
				c.ref = r[1]
			}
			calls = append(calls, c)
		}
		return true
	})
	g.Parsed = bytes.Contains(src, []byte("class ApiClient")) || len(calls) > 0
	for _, c := range calls {
		cr := ClientRoute{Name: c.name, Kind: c.kind, Range: lines.Range(c.rng[0], c.rng[1])}
		ti := types["Routes."+c.ref]
		if ti == nil {
			ti = types[c.ref]
		}
		if ti != nil {
			cr.Input, cr.InputKnown, cr.InputRecord = typeFields(ti.input)
			cr.Output, cr.OutputKnown, cr.OutputNone = typeFields(ti.output)
			cr.InputType, cr.OutputType = expandInner(ti.input), expandInner(ti.output)
		}
		g.ClientRoutes = append(g.ClientRoutes, cr)
	}
}

// expandInner is the type text T of `Expand<T>;`.
func expandInner(t string) string {
	t = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(t), ";"))
	if strings.HasPrefix(t, "Expand<") && strings.HasSuffix(t, ">") {
		return t[len("Expand<") : len(t)-1]
	}
	return ""
}

func balancedAngles(s string) bool {
	return strings.Count(s, "<") == strings.Count(s, ">")+strings.Count(s, "=>")
}

// typeFields reads `Expand<{ a: string; b?: number }>;`. The second result
// says whether the text was an object type we could read; the third whether
// it was a placeholder (Record<string, never> for no input, unknown for no
// output).
func typeFields(t string) ([]Field, bool, bool) {
	t = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(t), ";"))
	if strings.HasPrefix(t, "Expand<") && strings.HasSuffix(t, ">") {
		t = strings.TrimSpace(t[len("Expand<") : len(t)-1])
	}
	switch t {
	case "Record<string, never>", "unknown":
		return nil, false, true
	}
	if !strings.HasPrefix(t, "{") || !strings.HasSuffix(t, "}") {
		return nil, false, false
	}
	body := t[1 : len(t)-1]
	var fields []Field
	depth := 0
	start := 0
	flush := func(part string) bool {
		part = strings.TrimSpace(part)
		if part == "" {
			return true
		}
		colon := strings.Index(part, ":")
		if colon <= 0 {
			return false
		}
		name := strings.TrimSpace(part[:colon])
		f := Field{}
		if strings.HasSuffix(name, "?") {
			f.Optional = true
			name = strings.TrimSpace(strings.TrimSuffix(name, "?"))
		}
		f.Name = unquote(name)
		switch typ := strings.TrimSpace(part[colon+1:]); typ {
		case "string", "number", "boolean", "bigint":
			f.Type = typ
		case "Date":
			f.Type = "date"
		}
		fields = append(fields, f)
		return true
	}
	for i := 0; i < len(body); i++ {
		switch body[i] {
		case '{', '<', '(', '[':
			depth++
		case '}', '>', ')', ']':
			if !(body[i] == '>' && i > 0 && body[i-1] == '=') {
				depth--
			}
		case ';', ',', '\n':
			if depth == 0 {
				if !flush(body[start:i]) {
					return nil, false, false
				}
				start = i + 1
			}
		}
	}
	if !flush(body[start:]) {
		return nil, false, false
	}
	return fields, true, false
}
