/**
 * A creator's connected account (docs/payouts.md): link one (the provider's account, created once per
 * creator), send the creator through the provider's onboarding, and keep its readiness as the provider
 * reports it. Readiness is always re-read from the provider (`syncAccount`): `account.updated` events
 * may arrive late, twice or out of order, and the account as it stands now is the truth.
 */
import { eq } from "drizzle-orm";
import { auditWrite } from "../audit";
import type { Call, TenantContext } from "../context";
import { type Db, runBatch } from "../db/client";
import { connectedAccounts } from "../db/schema";
import { AppError, notFound } from "../errors";
import { toIso } from "../lib/time";
import type { ConnectedAccount, ConnectProvider, PaymentProvider } from "../payments/provider";
import { ProviderError } from "../payments/provider";
import { type ConnectedAccountRow, dueOf, isReady } from "./payouts";
import { accountById, accountOf } from "./store";

export interface ConnectContext extends TenantContext {
  provider: PaymentProvider;
  /** The origin onboarding returns the creator to by default (ENTITLEMENT_ISSUER's). */
  origin: string;
}

export interface AccountView {
  object: "connected_account";
  account_id: string;
  type: "express" | "standard";
  charges_enabled: boolean;
  payouts_enabled: boolean;
  details_submitted: boolean;
  requirements_due: string[];
  disabled_reason: string | null;
  /** Destination charges go to it: charges enabled and details submitted. */
  ready: boolean;
  provider: string;
  created_at: string;
  updated_at: string;
}

export const renderAccount = (row: ConnectedAccountRow): AccountView => ({
  object: "connected_account",
  account_id: row.accountId,
  type: row.type,
  charges_enabled: row.chargesEnabled,
  payouts_enabled: row.payoutsEnabled,
  details_submitted: row.detailsSubmitted,
  requirements_due: dueOf(row.requirementsDue),
  disabled_reason: row.disabledReason,
  ready: isReady(row),
  provider: row.provider,
  created_at: toIso(row.createdAt),
  updated_at: toIso(row.updatedAt),
});

function connectOf(provider: PaymentProvider): ConnectProvider {
  if (provider.connect === undefined) {
    throw new AppError(
      "not_found",
      `The payment provider (${provider.name}) has no Connect: payouts are not available.`,
    );
  }
  return provider.connect;
}

const unavailable = (error: unknown) => {
  if (error instanceof ProviderError && !error.retryable) {
    return new AppError(
      "conflict",
      `The payment provider refused (${error.code ?? error.kind}): ${error.message}`,
    );
  }
  if (error instanceof ProviderError) {
    return new AppError(
      "payment_unavailable",
      "The payment provider did not answer; retry with the same Idempotency-Key.",
      {
        headers: { "retry-after": "2" },
      },
    );
  }
  return error;
};

/** The readiness columns as the provider reports them. */
const readinessOf = (a: ConnectedAccount) => ({
  chargesEnabled: a.chargesEnabled,
  payoutsEnabled: a.payoutsEnabled,
  detailsSubmitted: a.detailsSubmitted,
  requirementsDue: JSON.stringify(a.requirementsDue),
  disabledReason: a.disabledReason,
});

export interface LinkInput {
  type: "express" | "standard";
  email?: string | undefined;
  country?: string | undefined;
}

/**
 * Links the creator's connected account. The provider's account is created under a key derived from
 * the creator id, so a retry or a racing second request gets the same account back; a creator who
 * already linked one gets it back unchanged (`created: false`).
 */
export async function linkAccount({
  ctx,
  input,
}: Call<LinkInput, ConnectContext>): Promise<{ view: AccountView; created: boolean }> {
  const existing = await accountOf(ctx.db, ctx.creatorId);
  if (existing !== undefined) return { view: renderAccount(existing), created: false };
  const connect = connectOf(ctx.provider);
  const account = await connect
    .createAccount({
      type: input.type,
      email: input.email,
      country: input.country,
      metadata: { creator_id: ctx.creatorId },
      idempotencyKey: `connect-account:${ctx.creatorId}`,
    })
    .catch((error: unknown) => {
      throw unavailable(error);
    });
  const row: ConnectedAccountRow = {
    creatorId: ctx.creatorId,
    accountId: account.id,
    type: account.type,
    ...readinessOf(account),
    provider: ctx.provider.name,
    createdAt: ctx.now,
    updatedAt: ctx.now,
  };
  const view = renderAccount(row);
  try {
    await ctx.commit(
      [
        ctx.db.insert(connectedAccounts).values(row),
        auditWrite(
          ctx,
          "connect.account_linked",
          { type: "connected_account", id: account.id },
          {
            account_id: account.id,
            type: account.type,
            ready: view.ready,
            provider: ctx.provider.name,
          },
        ),
      ],
      view,
    );
  } catch (error) {
    // A racing link landed first (the same account, by the derived key): that one stands.
    const now = await accountOf(ctx.db, ctx.creatorId);
    if (now === undefined) throw error;
    return { view: renderAccount(now), created: false };
  }
  return { view, created: true };
}

export async function readAccount(ctx: Pick<TenantContext, "db" | "creatorId">): Promise<AccountView> {
  const row = await accountOf(ctx.db, ctx.creatorId);
  if (row === undefined) throw notFound("connected account", ctx.creatorId);
  return renderAccount(row);
}

export interface AccountLinkInput {
  refresh_url?: string | undefined;
  return_url?: string | undefined;
}

/** A single-use onboarding link for the creator's account; it expires in minutes. */
export async function accountLink({ ctx, input }: Call<AccountLinkInput, ConnectContext>): Promise<{
  object: "account_link";
  url: string;
  expires_at: string;
}> {
  const row = await accountOf(ctx.db, ctx.creatorId);
  if (row === undefined) {
    throw notFound("connected account", ctx.creatorId);
  }
  const link = await connectOf(ctx.provider)
    .createAccountLink({
      account: row.accountId,
      refreshUrl: input.refresh_url ?? `${ctx.origin}/connect/refresh`,
      returnUrl: input.return_url ?? `${ctx.origin}/connect/return`,
    })
    .catch((error: unknown) => {
      throw unavailable(error);
    });
  return { object: "account_link", url: link.url, expires_at: toIso(link.expiresAt) };
}

/**
 * Re-reads an account from the provider and stores its readiness, auditing `connect.account_updated`
 * when it changed. An account no creator linked here changes nothing (null). Whatever the order the
 * events came in, the row ends as the provider reports the account now.
 */
export async function syncAccount(
  db: Db,
  connect: ConnectProvider,
  accountId: string,
  now: number,
  actor = "system:connect",
): Promise<ConnectedAccountRow | null> {
  const row = await accountById(db, accountId);
  if (row === undefined) return null;
  const account = await connect.retrieveAccount(accountId);
  const next = readinessOf(account);
  const changed = (Object.keys(next) as (keyof typeof next)[]).some((k) => row[k] !== next[k]);
  if (!changed) return row;
  const updated = { ...row, ...next, updatedAt: now };
  await runBatch(db, [
    db
      .update(connectedAccounts)
      .set({ ...next, updatedAt: now })
      .where(eq(connectedAccounts.accountId, accountId)),
    auditWrite(
      { db, creatorId: row.creatorId, actor, now },
      "connect.account_updated",
      { type: "connected_account", id: accountId },
      {
        account_id: accountId,
        ready: isReady(updated),
        was_ready: isReady(row),
        charges_enabled: next.chargesEnabled,
        payouts_enabled: next.payoutsEnabled,
        details_submitted: next.detailsSubmitted,
        requirements_due: account.requirementsDue,
        disabled_reason: next.disabledReason,
      },
    ),
  ]);
  return updated;
}
