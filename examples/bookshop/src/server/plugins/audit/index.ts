/**
 * Audit plugin: an append-only trail of staff and customer actions.
 * Configured at registration: registerPlugin(auditPlugin({ retentionDays: 90 })).
 */

import { createPlugin } from "@donkeylabs/server";
import type { DB } from "./schema";

export interface AuditConfig {
  retentionDays: number;
  /** Actions that are never recorded (health probes, polling). */
  ignoreActions?: string[];
}

export interface AuditEntry {
  id: number;
  actorId: string | null;
  action: string;
  target: string;
  details: string | null;
  createdAt: string;
}

export const auditPlugin = createPlugin
  .withSchema<DB>()
  .withConfig<AuditConfig>()
  .define({
    name: "audit",

    service: async (ctx) => {
      const db = ctx.db;
      const ignored = new Set(ctx.config.ignoreActions ?? []);

      return {
        async record(action: string, target: string, actorId?: string, details?: unknown): Promise<void> {
          if (ignored.has(action)) return;
          await db
            .insertInto("audit_entries")
            .values({
              action,
              target,
              actor_id: actorId ?? null,
              details: details === undefined ? null : JSON.stringify(details),
            })
            .execute();
        },

        async recent(limit = 100): Promise<AuditEntry[]> {
          const rows = await db
            .selectFrom("audit_entries")
            .selectAll()
            .orderBy("id", "desc")
            .limit(limit)
            .execute();
          return rows.map((r) => ({
            id: r.id,
            actorId: r.actor_id,
            action: r.action,
            target: r.target,
            details: r.details,
            createdAt: r.created_at,
          }));
        },

        async prune(): Promise<number> {
          const cutoff = new Date(Date.now() - ctx.config.retentionDays * 86_400_000).toISOString();
          const result = await db
            .deleteFrom("audit_entries")
            .where("created_at", "<", cutoff)
            .executeTakeFirst();
          return Number(result.numDeletedRows);
        },
      };
    },

    init: async (ctx, service) => {
      ctx.core.cron.schedule("0 3 * * *", async () => {
        const removed = await service.prune();
        ctx.core.logger.info("audit entries pruned", { removed });
      }, { name: "audit-prune" });
    },
  });

export type { DB } from "./schema";
