import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import type { TenantContext } from "../../src/context";
import { database } from "../../src/db/client";
import { type ApiKeyKind, apiKeys, creators } from "../../src/db/schema";
import { commitWith } from "../../src/http/context";
import { inventoryGateway } from "../../src/inventory/gateway";
import { newKey } from "../../src/keys/store";
import { displayPrefix, generateApiKey, hashApiKey } from "../../src/lib/api-keys";
import { newId } from "../../src/lib/ids";

export const db = database(env.DB);

/**
 * A domain context whose commit first lands `rival`: another request's write arriving after our
 * checks passed and before our batch. For proving a verb's race handling.
 */
export function racingContext(tenant: Tenant, rival: () => Promise<unknown>): TenantContext {
  return {
    db,
    inventory: inventoryGateway(env.DROP_INVENTORY, db),
    creatorId: tenant.creatorId,
    actor: "test",
    now: Date.now(),
    commit: async (writes, result) => {
      await rival();
      await commitWith(db, undefined)(writes, result);
    },
  };
}

export interface Tenant {
  creatorId: string;
  key: string;
}

/** A creator with a working API key, written straight to D1 as the seed script would. */
export async function createTenant(name = "Test Creator", defaultCurrency = "USD"): Promise<Tenant> {
  const creatorId = newId("creator");
  const key = generateApiKey();
  await db.batch([
    db.insert(creators).values({ id: creatorId, name, defaultCurrency, createdAt: Date.now() }),
    db.insert(apiKeys).values({
      id: newId("apiKey"),
      creatorId,
      name: "test",
      prefix: displayPrefix(key),
      hash: await hashApiKey(key),
      createdAt: Date.now(),
    }),
  ]);
  return { creatorId, key };
}

/** Another key of the tenant's creator, inserted through newKey as the key routes insert it. */
export async function createKey(
  tenant: Tenant,
  kind: ApiKeyKind,
  scopes?: string[],
): Promise<{ id: string; key: string }> {
  const { key, write } = await newKey(db, {
    creatorId: tenant.creatorId,
    name: `test ${kind}`,
    kind,
    scopes,
    now: Date.now(),
  });
  await write;
  return { id: key.id, key: key.secret };
}

/** Row counts of every application table, to prove a refused request wrote nothing. */
export async function tableCounts(): Promise<Record<string, number>> {
  const tables = await db.all<{ name: string }>(
    sql`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '\_cf\_%' ESCAPE '\\' AND name <> 'd1_migrations' ORDER BY name`,
  );
  const counts: Record<string, number> = {};
  for (const { name } of tables) {
    const [row] = await db.all<{ n: number }>(sql.raw(`SELECT count(*) AS n FROM "${name}"`));
    counts[name] = row?.n ?? 0;
  }
  return counts;
}
