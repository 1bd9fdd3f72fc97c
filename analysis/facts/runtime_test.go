package facts_test

import (
	"strings"
	"testing"

	"github.com/donkeyls/donkeyls/analysis/facts"
)

// What the server looks up by name at runtime is read from literals only;
// anything else makes the set unknown rather than smaller.
func TestRuntimeNames(t *testing.T) {
	src := []byte(`
import { workflow, defineService } from "@donkeylabs/server";
const NAME = "dyn";
export const clockService = defineService<"clock", Clock>("clock", async () => ({}));
const hidden = defineService("hidden", async () => ({}));
server.registerService(clockService);
server.registerService("audit", async () => ({}));
server.registerService(makeService());
ctx.core.jobs.register("send", async () => {});
ctx.core.jobs.enqueue("sned", {});
jobs.schedule("later", {}, new Date());
queue.enqueue("notajob", {});
ctx.core.jobs.register(NAME, async () => {});
const q = ctx.core.jobs;
q.register("aliased", async () => {});
ctx.errors.register("NotAJob", { status: 400, code: "X" });
export const wf = workflow("orders")
  .task("a", { handler: async () => 1, next: "c" })
  .parallel("fan", { branches: [workflow("inner").task("i1", { handler: async () => 1, next: "i9" }).build()], next: "a" })
  .choice("pick", { choices: [{ condition: () => true, next: "x" }], default: "y" })
  .loop("again", { condition: () => false, target: "z" })
  .task("legacy", { job: "send" })
  .end()
  .build();
export const dyn = workflow("dyn").task(NAME, { handler: async () => 1 }).build();
(api.route("doc") as any).addHandler("xml", { handle: async () => ({}) });
export const p = createPlugin.define({ name: "p", customErrors: { A: { status: 402, code: "A" }, B: { status: s, code: "B" } }, service: async () => ({}) });
`)
	f := extract(t, "x.ts", src, facts.KindSource)
	var regs []string
	for _, r := range f.ServiceRegs() {
		regs = append(regs, r.Ident+"|"+r.Name+"|"+r.Receiver)
	}
	if got, want := strings.Join(regs, " "), "clockService||server |audit|server ||server"; got != want {
		t.Errorf("service registrations %q, want %q", got, want)
	}
	if len(f.Services()) != 2 || f.Services()[0].TypeArgs.IsZero() || !f.Services()[0].Exported || f.Services()[1].Exported || !f.Services()[1].TypeArgs.IsZero() {
		t.Errorf("services: %+v", f.Services())
	}
	if got := names(f.Jobs().Registered); got != "send,aliased" || !f.Jobs().Dynamic {
		t.Errorf("jobs registered %q dynamic %v, want send,aliased and dynamic", got, f.Jobs().Dynamic)
	}
	var used []string
	for _, u := range f.Jobs().Used {
		used = append(used, u.Name+"/"+u.Via)
	}
	if got, want := strings.Join(used, " "), "sned/enqueue later/schedule send/job"; got != want {
		t.Errorf("jobs used %q, want %q", got, want)
	}
	if len(f.Workflows()) != 3 {
		t.Fatalf("%d workflows, want 3 (orders, inner, dyn)", len(f.Workflows()))
	}
	byName := map[string]facts.Workflow{}
	for _, w := range f.Workflows() {
		byName[w.Name] = w
	}
	orders := byName["orders"]
	var refs []string
	for _, r := range orders.Refs {
		refs = append(refs, r.Via+":"+r.Name)
	}
	if got, want := names(orders.Steps), "a,fan,pick,again,legacy,end"; got != want || !orders.StepsKnown {
		t.Errorf("orders steps %q (known %v), want %q", got, orders.StepsKnown, want)
	}
	if got, want := strings.Join(refs, " "), "next:c next:a next:x default:y target:z"; got != want {
		t.Errorf("orders refs %q, want %q", got, want)
	}
	if inner := byName["inner"]; names(inner.Steps) != "i1" || len(inner.Refs) != 1 || inner.Refs[0].Name != "i9" {
		t.Errorf("inner: %+v", inner)
	}
	if f.PatchesRouteBuilder() {
		t.Error("no RouteBuilder.prototype here")
	}
	if g := extract(t, "y.ts", []byte(`(RouteBuilder.prototype as any).xml = function (c) { return this.addHandler("xml", c); };`), facts.KindSource); !g.PatchesRouteBuilder() {
		t.Error("a file assigning to RouteBuilder.prototype must be marked")
	}
	if byName["dyn"].StepsKnown {
		t.Error("a step named by a constant must make the steps unknown")
	}
	var add *facts.Route
	for i := range f.Routes {
		if f.Routes[i].Name == "doc" {
			add = &f.Routes[i]
		}
	}
	if add == nil || !add.AddHandler || add.Kind != "xml" {
		t.Errorf("addHandler route: %+v", add)
	}
	if len(f.Plugins) != 1 || len(f.Plugins[0].CustomErrors) != 2 || f.Plugins[0].CustomErrors[0].Def == "" || f.Plugins[0].CustomErrors[1].Def != "" {
		t.Errorf("custom errors: %+v", f.Plugins)
	}
}

// A long builder chain is read step by step; one deeper than the syntax
// tree keeps (the parser's depth bound drops what lies below it) yields
// less, never a panic or a hang.
func TestLongWorkflowChain(t *testing.T) {
	chain := func(n int) []byte {
		var b strings.Builder
		b.WriteString(`export const w = workflow("long")`)
		for range n {
			b.WriteString(`.pass("s", { next: "s" })`)
		}
		b.WriteString(".build();\n")
		return []byte(b.String())
	}
	f := extract(t, "x.ts", chain(1000), facts.KindSource)
	if len(f.Workflows()) != 1 || len(f.Workflows()[0].Steps) != 1000 || len(f.Workflows()[0].Refs) != 1000 {
		t.Fatalf("1000 steps: %d workflows", len(f.Workflows()))
	}
	_ = extract(t, "x.ts", chain(20000), facts.KindSource)
}
