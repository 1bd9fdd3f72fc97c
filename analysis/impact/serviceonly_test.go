package impact_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/donkeyls/donkeyls/analysis/impact"
	"github.com/donkeyls/donkeyls/analysis/project"
	"github.com/donkeyls/donkeyls/internal/ossource"
)

const servicePlugin = `import { createPlugin } from "@donkeylabs/server";

const prefix = "hello";

export const greeterPlugin = createPlugin.define({
  name: "greeter",
  dependencies: ["store"] as const,
  handlers: { echo: {} },
  events: { greeted: {} },
  service: async (ctx) => ({
    greet(who: string) {
      return prefix + " " + who;
    },
  }),
});
`

// A plugin edit is ServiceOnly exactly when everything outside the service
// function is the same code: what donkeyls dev may rebuild in place.
func TestServiceOnly(t *testing.T) {
	for _, tc := range []struct {
		name, old, new string
		want           bool
	}{
		{"service body", `prefix + " " + who`, `prefix + ", " + who + "!"`, true},
		{"new service method", `    },
  }),`, `    },
    wave() { return "o/"; },
  }),`, true},
		{"service parameter renamed", `service: async (ctx) =>`, `service: async (c) =>`, true},
		{"handler key", `echo: {}`, `echo: {}, shout: {}`, false},
		{"init added", `  }),
});`, `  }),
  init: async (ctx) => {},
});`, false},
		{"name", `name: "greeter"`, `name: "greeter2"`, false},
		{"dependencies", `["store"]`, `["store", "mail"]`, false},
		{"events", `greeted: {}`, `greeted: {}, waved: {}`, false},
		{"module-level code the service uses", `const prefix = "hello"`, `const prefix = "hi"`, false},
		{"import", `import { createPlugin }`, `import { createPlugin, createHandler }`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, file := serviceProject(t)
			before, err := project.Load(context.Background(), dir, ossource.Source{})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(servicePlugin, tc.old) {
				t.Fatalf("the plugin does not contain %q", tc.old)
			}
			after := before.WithFile(file, []byte(strings.Replace(servicePlugin, tc.old, tc.new, 1)))
			v := impact.Classify(before, after, []string{file})
			var got *impact.ServiceEdit
			for _, r := range v.Reasons {
				if r.Path == file {
					got = r.ServiceOnly
					if !r.Action.Has(impact.Restart) {
						t.Errorf("reason %q does not ask for a restart (the fallback when nothing reloads in place)", r.What)
					}
				}
			}
			if (got != nil) != tc.want {
				t.Fatalf("ServiceOnly = %+v, want set: %v; reasons %+v", got, tc.want, v.Reasons)
			}
			if got != nil && (got.Plugin != "greeter" || got.Export != "greeterPlugin") {
				t.Errorf("ServiceOnly = %+v, want greeter/greeterPlugin", got)
			}
		})
	}
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func serviceProject(t *testing.T) (dir, file string) {
	t.Helper()
	dir = t.TempDir()
	write(t, filepath.Join(dir, "donkeylabs.config.ts"), `import { defineConfig } from "@donkeylabs/server";
export default defineConfig({ plugins: ["./src/plugins/**/index.ts"], entry: "./src/index.ts" });
`)
	file = filepath.Join(dir, "src", "plugins", "greeter", "index.ts")
	write(t, file, servicePlugin)
	return dir, file
}

// Rebuilding a service rebuilds its dependents' too; a plugin among them
// with an init keeps the service it was handed at start, so the edit
// restarts, and the reason names that plugin.
func TestServiceOnlyNotWithAnInitDownstream(t *testing.T) {
	for _, tc := range []struct{ name, plugin, holder string }{
		{"the plugin's own init", "greeter", "greeter"},
		{"a dependent's init", "mailer", "mailer"},
		{"a dependent of a dependent", "digest", "digest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, file := serviceProject(t)
			switch tc.plugin {
			case "greeter":
				write(t, file, strings.Replace(servicePlugin, "  }),\n});", "  }),\n  init: async () => {},\n});", 1))
			case "mailer":
				write(t, filepath.Join(dir, "src/plugins/mailer/index.ts"), `import { createPlugin } from "@donkeylabs/server";
export const mailerPlugin = createPlugin.define({
  name: "mailer",
  dependencies: ["greeter"] as const,
  service: async (ctx) => ({ send: () => ctx.deps.greeter.greet("mail") }),
  init: async (ctx, service) => { ctx.core.cron.schedule("* * * * *", () => service.send()); },
});
`)
			case "digest":
				write(t, filepath.Join(dir, "src/plugins/mailer/index.ts"), `import { createPlugin } from "@donkeylabs/server";
export const mailerPlugin = createPlugin.define({
  name: "mailer",
  dependencies: ["greeter"] as const,
  service: async (ctx) => ({ send: () => ctx.deps.greeter.greet("mail") }),
});
`)
				write(t, filepath.Join(dir, "src/plugins/digest/index.ts"), `import { createPlugin } from "@donkeylabs/server";
export const digestPlugin = createPlugin.define({
  name: "digest",
  dependencies: ["mailer"] as const,
  service: async (ctx) => ({ run: () => ctx.deps.mailer.send() }),
  init: async (ctx, service) => {},
});
`)
			}
			before, err := project.Load(context.Background(), dir, ossource.Source{})
			if err != nil {
				t.Fatal(err)
			}
			src, _ := os.ReadFile(file)
			after := before.WithFile(file, []byte(strings.Replace(string(src), `prefix + " " + who`, `prefix + ", " + who`, 1)))
			v := impact.Classify(before, after, []string{file})
			for _, r := range v.Reasons {
				if r.Path != file {
					continue
				}
				if r.ServiceOnly != nil {
					t.Errorf("ServiceOnly set although plugin %q has an init", tc.holder)
				}
				if !strings.Contains(r.What, `plugin "`+tc.holder+`" has an init`) || !r.Action.Has(impact.Restart) {
					t.Errorf("reason %q (%s) does not restart naming %q's init", r.What, r.Action, tc.holder)
				}
				return
			}
			t.Fatalf("no reason for the plugin file: %+v", v.Reasons)
		})
	}
}
