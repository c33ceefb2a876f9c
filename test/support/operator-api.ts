/** Calls as the platform operator, and keys of other kinds for a creator, written as every key is (newKey). */
import { newKey } from "../../src/keys/store";
import { api, type CallOptions } from "./api";
import { OPERATOR_KEY } from "./operator";
import { db } from "./tenants";

export const asOperator = (method: string, path: string, options: Omit<CallOptions, "key"> = {}) =>
  api(method, path, { ...options, key: OPERATOR_KEY });

/** A new creator through the operator's create route: its id and first secret key. */
export async function operatorCreator(body: Record<string, unknown> = {}) {
  const res = await asOperator("POST", "/v1/operator/creators", {
    body: { name: "Platform Creator", default_currency: "USD", ...body },
  });
  if (res.status !== 201) throw new Error(`operator create refused: ${JSON.stringify(res.body)}`);
  return { creatorId: res.body.creator.id as string, key: res.body.api_key.secret as string };
}

/** A publishable key for the creator, stored through the one key insert. */
export async function publishableKey(creatorId: string): Promise<string> {
  const { key, write } = await newKey(db, {
    creatorId,
    name: "widget",
    kind: "publishable",
    now: Date.now(),
  });
  await db.batch([write]);
  return key.secret;
}
