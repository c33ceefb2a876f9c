import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { expect } from "vitest";
import { buildApp } from "../../src/app";
import { auditEvents, signInCodes } from "../../src/db/schema";
import { api, type Json } from "./api";
import { db } from "./tenants";

export const requestCode = (creatorId: string, email: string) =>
  api("POST", "/v1/sign-in/email", { body: { creator_id: creatorId, email } });

export const verifyCode = (
  creatorId: string,
  email: string,
  code: string,
  extra: Record<string, unknown> = {},
) => api("POST", "/v1/sign-in/email/verify", { body: { creator_id: creatorId, email, code, ...extra } });

/** The development outbox, newest first, as a developer reads it. */
export async function outbox(to: string): Promise<Json[]> {
  const res = await api("GET", `/v1/dev/outbox?to=${encodeURIComponent(to)}`);
  expect(res.status).toBe(200);
  return res.body.data;
}

/** The code in the newest mail to `to`, as a member would read it (`7K3Q-9MZD`). */
export async function mailedCode(to: string): Promise<string> {
  const [latest] = await outbox(to);
  const code = /\b([0-9A-Z]{4}-[0-9A-Z]{4})\b/.exec(latest?.text ?? "")?.[1];
  if (code === undefined) throw new Error(`no sign-in code mailed to ${to}`);
  return code;
}

/** Asks for a code and returns it from the outbox. */
export async function freshCode(creatorId: string, email: string): Promise<string> {
  expect((await requestCode(creatorId, email)).status).toBe(202);
  return mailedCode(email);
}

/** `count` well-formed codes, none of them `code`: what a guesser would send. */
export function wrongCodes(code: string, count: number): string[] {
  const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  const real = code.replace("-", "");
  const out: string[] = [];
  for (let n = 0; out.length < count; n++) {
    let digits = "";
    for (let i = 0, v = n; i < 8; i++, v = Math.floor(v / 32)) digits = `${alphabet[v % 32]}${digits}`;
    if (digits !== real) out.push(`${digits.slice(0, 4)}-${digits.slice(4)}`);
  }
  return out;
}

export const codesOf = (creatorId: string, email: string) =>
  db
    .select()
    .from(signInCodes)
    .where(and(eq(signInCodes.creatorId, creatorId), eq(signInCodes.email, email)));

export async function auditActions(creatorId: string, memberId: string): Promise<string[]> {
  const rows = await db
    .select({ action: auditEvents.action })
    .from(auditEvents)
    .where(and(eq(auditEvents.creatorId, creatorId), eq(auditEvents.subjectId, memberId)));
  return rows.map((r) => r.action).sort();
}

/**
 * The worker as deployed with ENVIRONMENT=production and every secret it requires there. Mail goes to
 * a port nothing listens on, so a send fails (and is logged) without leaving the machine.
 */
export function productionApp() {
  const app = buildApp();
  const bindings = {
    ...env,
    ENVIRONMENT: "production",
    MAIL_API_KEY: "re_test_production_key",
    MAIL_FROM: "Sign-in <sign-in@commerce.test>",
    MAIL_API_URL: "https://127.0.0.1:9/emails",
    STRIPE_SECRET_KEY: "sk_live_production",
    STRIPE_WEBHOOK_SECRET: "whsec_production",
  };
  return async (method: string, path: string, body?: unknown) => {
    const ctx = createExecutionContext();
    const res = await app.fetch(
      new Request(`http://api.test${path}`, {
        method,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
      bindings,
      ctx,
    );
    const parsed = (await res.json()) as Json;
    await waitOnExecutionContext(ctx);
    return { status: res.status, body: parsed };
  };
}
