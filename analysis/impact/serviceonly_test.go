package impact_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/donkeyls/donkeyls/analysis/impact"
	"github.com/donkeyls/donkeyls/analysis/project"
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
  init: async (ctx, service) => {
    ctx.core.logger.info("ready");
  },
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
		{"new service method", `  }),
  init`, `    wave() { return "o/"; },
  }),
  init`, true},
		{"service parameter renamed", `service: async (ctx) =>`, `service: async (c) =>`, true},
		{"handler key", `echo: {}`, `echo: {}, shout: {}`, false},
		{"init body", `info("ready")`, `info("set")`, false},
		{"name", `name: "greeter"`, `name: "greeter2"`, false},
		{"dependencies", `["store"]`, `["store", "mail"]`, false},
		{"events", `greeted: {}`, `greeted: {}, waved: {}`, false},
		{"module-level code the service uses", `const prefix = "hello"`, `const prefix = "hi"`, false},
		{"import", `import { createPlugin }`, `import { createPlugin, createHandler }`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, filepath.Join(dir, "donkeylabs.config.ts"), `import { defineConfig } from "@donkeylabs/server";
export default defineConfig({ plugins: ["./src/plugins/**/index.ts"], entry: "./src/index.ts" });
`)
			file := filepath.Join(dir, "src", "plugins", "greeter", "index.ts")
			write(t, file, servicePlugin)
			before, err := project.Load(context.Background(), dir, nil)
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
