/** Signing a member in by a one-time code mailed to their address: no API key, no password. */

import type { BuyerContext, Call } from "../context";
import { runBatch } from "../db/client";
import type { SessionView } from "../entitlements/schemas";
import { startSession, type TokenIssuer } from "../entitlements/verbs";
import { AppError } from "../errors";
import { randomToken } from "../lib/crypto";
import { newId } from "../lib/ids";
import type { MailMessage } from "../mail/mailer";
import { normalizeEmail } from "../members/verbs";
import { codeHash, newCode, normalizeCode, signInMessage } from "./code";
import { type SignInRequestView, signInRequestView } from "./schemas";
import { guessWrites, issueCodeWrites, memberByEmail } from "./store";

export interface SignInContext {
  db: BuyerContext["db"];
  now: number;
  /** Hands a message to the mailer. */
  deliver(message: MailMessage): Promise<void>;
  /**
   * Runs the issuance: after the answer in production, so a member's request (a code written and
   * mailed) answers as fast as a stranger's; at once elsewhere, so a test reads the outbox straight away.
   */
  issue(work: () => Promise<void>): Promise<void>;
}

export type VerifyContext = BuyerContext & { issuer: TokenIssuer };

/**
 * Mails a code if a member of this creator has this email, at most CODES_PER_HOUR an hour. The answer
 * is the same in every case (no member, rate-limited, mailed), so it tells nobody who is a member.
 */
export async function requestSignInCode({
  ctx,
  input,
}: Call<{ creatorId: string; email: string }, SignInContext>): Promise<SignInRequestView> {
  const email = normalizeEmail(input.email);
  const answer = signInRequestView(email);
  await ctx.issue(async () => {
    const member = await memberByEmail(ctx.db, input.creatorId, email);
    if (member === undefined) return;
    const code = newCode();
    const [issued] = await ctx.db.batch(
      issueCodeWrites(ctx.db, {
        id: newId("signInCode"),
        creatorId: input.creatorId,
        memberId: member.memberId,
        email,
        hash: await codeHash(input.creatorId, email, code),
        now: ctx.now,
      }),
    );
    if (issued.length > 0)
      await ctx.deliver(signInMessage({ to: email, code, creatorName: member.creatorName }));
  });
  return answer;
}

const refusal = () =>
  new AppError(
    "sign_in_code_invalid",
    "The code is wrong, expired, already used, or was tried wrong too often; ask for a new one.",
    { errors: [{ in: "body", path: "/code", message: "invalid" }] },
  );

/**
 * Trades a live code for a session: the same token and refresh credential as the creator's
 * POST /v1/members/{id}/sessions. Every refusal is one answer, whatever the reason, and an unknown
 * email is refused exactly like a wrong code.
 */
export async function verifySignInCode({
  ctx,
  input,
}: Call<
  { creatorId: string; email: string; code: string; surface?: string | undefined },
  VerifyContext
>): Promise<SessionView> {
  const email = normalizeEmail(input.email);
  const hash = await codeHash(input.creatorId, email, normalizeCode(input.code));
  const touch = randomToken(24);
  const [used] = await ctx.db.batch(
    guessWrites(ctx.db, { creatorId: input.creatorId, email, hash, now: ctx.now, touch }),
  );
  const code = used[0];
  if (code === undefined) throw refusal();
  return startSession({
    ctx: {
      ...ctx,
      creatorId: input.creatorId,
      actor: `member:${code.memberId}`,
      commit: (writes) => runBatch(ctx.db, writes),
    },
    input: { memberId: code.memberId, surface: input.surface },
  });
}
