/**
 * Writing keys: the one insert every key goes through (the key routes, the operator's first key for a
 * new creator, the demo seed), so a key's row always has its kind, scopes and hash the same way.
 */
import type { Db, Write } from "../db/client";
import { type ApiKeyKind, apiKeys } from "../db/schema";
import { displayPrefix, generateApiKey, hashApiKey } from "../lib/api-keys";
import { newId } from "../lib/ids";

export interface NewKey {
  id: string;
  creatorId: string;
  name: string;
  kind: ApiKeyKind;
  /** `["*"]` for a secret key, the granted scopes for a restricted one, `[]` for a publishable one. */
  scopes: string[];
  /** The key itself: shown once, never stored. */
  secret: string;
  prefix: string;
  createdAt: number;
}

/** Makes a key (or takes `secret`, for the demo seed's chosen key) and the insert that stores its hash. */
export async function newKey(
  db: Db,
  input: {
    creatorId: string;
    name: string;
    kind: ApiKeyKind;
    scopes?: string[];
    now: number;
    secret?: string;
    id?: string;
  },
): Promise<{ key: NewKey; write: Write }> {
  const secret = input.secret ?? generateApiKey(input.kind);
  const scopes = input.kind === "secret" ? ["*"] : input.kind === "publishable" ? [] : (input.scopes ?? []);
  const key: NewKey = {
    id: input.id ?? newId("apiKey"),
    creatorId: input.creatorId,
    name: input.name,
    kind: input.kind,
    scopes,
    secret,
    prefix: displayPrefix(secret),
    createdAt: input.now,
  };
  const write = db.insert(apiKeys).values({
    id: key.id,
    creatorId: key.creatorId,
    name: key.name,
    kind: key.kind,
    scopes: JSON.stringify(scopes),
    prefix: key.prefix,
    hash: await hashApiKey(secret),
    createdAt: key.createdAt,
  });
  return { key, write };
}
