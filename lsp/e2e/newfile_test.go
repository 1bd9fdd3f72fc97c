package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/donkeyls/donkeyls/lsp/lsptest"
)

const addPhoneMigration = `import type { Kysely } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("users").addColumn("phone", "text").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("users").dropColumn("phone").execute();
}
`

// TestNewMigrationMadeInTheEditor: a migration opened on a path that does
// not exist yet (`:e migrations/002_add_phone.ts`), typed and saved, is
// analyzed like one that was on disk at start-up: the schema it changes is
// reported stale, as `check` reports it.
func TestNewMigrationMadeInTheEditor(t *testing.T) {
	root, _, _ := freshShop(t, "")
	srv := start(t)
	c := srv.client
	c.Initialize(root, lsptest.Capabilities(true), nil)
	existing := filepath.Join(root, "src/server/plugins/users/index.ts")
	c.Open(existing)
	c.WaitDiagnostics(existing, "the first analysis", func(d lsptest.Diagnostics) bool { return true })

	migration := filepath.Join(root, "src/server/plugins/users/migrations/002_add_phone.ts")
	c.Open(migration, "")
	c.WaitDiagnostics(migration, "the empty new buffer analyzed", func(d lsptest.Diagnostics) bool { return d.Version != nil && *d.Version == 1 })
	// Typed a line at a time, as in the editor.
	line := 0
	for _, l := range strings.SplitAfter(addPhoneMigration, "\n") {
		if l == "" {
			continue
		}
		c.Change(migration, lsptest.Edit{StartLine: line, EndLine: line, Text: l})
		line++
	}
	c.WaitDiagnostics(migration, "stale-schema while typing the new migration", func(d lsptest.Diagnostics) bool { return lsptest.Has(d, "stale-schema") })
	c.Save(migration, addPhoneMigration)
	c.Change(migration, lsptest.Edit{StartLine: line, EndLine: line, Text: "\n"})
	c.WaitDiagnostics(migration, "stale-schema after the save", func(d lsptest.Diagnostics) bool {
		return lsptest.Has(d, "stale-schema") && d.Version != nil && *d.Version == int32(line+2)
	})
	c.Shutdown()
	srv.wait("exit")
}
