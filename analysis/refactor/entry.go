package refactor

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/donkeyls/donkeyls/analysis/syntax"
)

// registerInEntry imports the new plugin in the server entry and registers
// it after the last existing registration, where a reader looks for it.
func (x *extraction) registerInEntry() error {
	r := x.route
	entry := x.p.Config().EntryPath()
	b, _, err := x.read(entry)
	if errors.Is(err, fs.ErrNotExist) {
		return refuse(r, "the server entry %s does not exist, so the new plugin could not be registered", x.p.Rel(entry))
	}
	if err != nil {
		return err
	}
	em, err := parseModule(x.ctx, x.parser, entry, b)
	if err != nil {
		return err
	}
	if em.tree.HasErrors() {
		return refuse(r, "the server entry %s has syntax errors; fix them first", x.p.Rel(entry))
	}
	export := x.exportName()
	if em.imports[export] != nil || em.top[export] != nil {
		return refuse(r, "the server entry %s already has a %s", x.p.Rel(entry), export)
	}
	var last syntax.Node
	em.tree.Root().Walk(func(n syntax.Node) bool {
		if n.Is("call_expression") {
			if fn := n.Field("function"); fn.Is("member_expression") && fn.Field("property").Text() == "registerPlugin" {
				last = n
			}
		}
		return true
	})
	if last.IsNull() {
		return refuse(r, "the server entry %s registers no plugin, so there is no place to register the new one", x.p.Rel(entry))
	}
	stmt := last
	for !stmt.IsNull() && !stmt.Is("expression_statement") {
		stmt = stmt.Parent()
	}
	if stmt.IsNull() {
		return refuse(r, "the plugin registrations in %s are not statements donkeyls can add to", x.p.Rel(entry))
	}
	recv := last.Field("function").Field("object")
	for recv.Is("call_expression") || recv.Is("member_expression") {
		// server.registerPlugin(a).registerPlugin(b): the chain's root.
		if recv.Is("call_expression") {
			recv = recv.Field("function")
		} else {
			recv = recv.Field("object")
		}
	}
	at := em.lineEnd(stmt.End())
	reg := em.indentAt(stmt.Start()) + recv.Text() + ".registerPlugin(" + export + ")" + x.st.end() + "\n"
	if at == len(em.src) && (len(em.src) == 0 || em.src[len(em.src)-1] != '\n') {
		reg = "\n" + reg
	}
	x.edits.insert(em, at, reg)

	// The import goes after the other plugin imports.
	pluginFiles := map[string]bool{}
	for _, gp := range x.p.Expected().Plugins {
		pluginFiles[trimModuleExt(filepath.ToSlash(gp.Path))] = true
	}
	var anchor syntax.Node
	suffix := ""
	for _, st := range em.importStmts {
		info := em.importStmtInfo(st)
		if !pluginFiles[info.target] {
			continue
		}
		anchor = st
		spec := unquote(st.Field("source").Text())
		switch {
		case strings.HasSuffix(spec, "/index.ts"):
			suffix = "/index.ts"
		case strings.HasSuffix(spec, "/index"):
			suffix = "/index"
		}
	}
	if anchor.IsNull() && len(em.importStmts) > 0 {
		anchor = em.importStmts[len(em.importStmts)-1]
	}
	spec := relSpec(entry, trimModuleExt(filepath.ToSlash(x.pluginPath))) + suffix
	line := "import { " + export + " } from " + x.st.str(spec) + x.st.end() + "\n"
	if anchor.IsNull() {
		x.edits.insert(em, 0, line)
	} else {
		x.edits.insert(em, em.lineEnd(anchor.End()), line)
	}
	return nil
}
