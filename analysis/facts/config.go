package facts

import "github.com/donkeyls/donkeyls/analysis/syntax"

// config reads `export default defineConfig({...})`, `export default {...}`
// or a default export of a top-level constant holding either.
func (x *extractor) config(root syntax.Node) *Config {
	c := &Config{}
	obj := x.configObject(root)
	if obj.IsNull() {
		c.Unknown = append(c.Unknown, "default export")
		return c
	}
	c.Range = x.rng(obj)
	members, known := objectMembers(obj)
	if !known {
		c.Unknown = append(c.Unknown, "spread or computed keys")
	}
	str := func(m objectMember, dst *string) {
		v := m.value
		if m.kind == "shorthand" || v.Unwrap().Is("identifier") {
			if init, ok := x.consts[v.Unwrap().Text()]; ok {
				v = init
			}
		}
		if m.kind != "method" && isStringLit(v) {
			*dst = stringValue(v)
			return
		}
		c.Unknown = append(c.Unknown, m.name)
	}
	for _, m := range members {
		switch m.name {
		case "plugins":
			v := m.value.Unwrap()
			if v.Is("identifier") || m.kind == "shorthand" {
				if init, ok := x.consts[v.Text()]; ok {
					v = init.Unwrap()
				}
			}
			if m.kind == "method" || !v.Is("array") {
				c.Unknown = append(c.Unknown, "plugins")
				continue
			}
			c.PluginsKnown = !v.HasError()
			for _, e := range v.NamedChildren() {
				if !isStringLit(e) {
					c.PluginsKnown = false
					continue
				}
				c.Plugins = append(c.Plugins, stringValue(e))
				c.PluginRanges = append(c.PluginRanges, x.rng(e))
			}
		case "routes":
			str(m, &c.Routes)
		case "outDir":
			str(m, &c.OutDir)
		case "entry":
			str(m, &c.Entry)
		case "adapter":
			str(m, &c.Adapter)
		case "client":
			v := m.value.Unwrap()
			if m.kind != "pair" || !v.Is("object") {
				c.Unknown = append(c.Unknown, "client")
				continue
			}
			cms, _ := objectMembers(v)
			if o, ok := member(cms, "output"); ok {
				str(o, &c.ClientOutput)
			}
		}
	}
	return c
}

func (x *extractor) configObject(root syntax.Node) syntax.Node {
	for _, st := range root.NamedChildren() {
		if !st.Is("export_statement") {
			continue
		}
		isDefault := false
		var value syntax.Node
		for c := st.FirstChild(); !c.IsNull(); c = c.NextSibling() {
			if c.Kind() == "default" {
				isDefault = true
			}
		}
		if !isDefault {
			continue
		}
		value = st.Field("value")
		if value.IsNull() {
			for _, c := range st.NamedChildren() {
				value = c
			}
		}
		return x.resolveConfigValue(value, 0)
	}
	return syntax.Node{}
}

func (x *extractor) resolveConfigValue(v syntax.Node, depth int) syntax.Node {
	if depth > 4 {
		return syntax.Node{}
	}
	v = v.Unwrap()
	switch v.Kind() {
	case "object":
		return v
	case "identifier":
		if init, ok := x.consts[v.Text()]; ok {
			return x.resolveConfigValue(init, depth+1)
		}
	case "call_expression":
		if a := args(v); len(a) > 0 {
			return x.resolveConfigValue(a[0], depth+1)
		}
	}
	return syntax.Node{}
}
