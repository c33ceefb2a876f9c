import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { readConfig } from "../../src/config";
import { mailOutbox } from "../../src/db/schema";
import { MailDeliveryError, mailerFor } from "../../src/mail";
import { httpMailer, RESEND_EMAILS_URL } from "../../src/mail/http";
import { db } from "../support/tenants";

/** A fetch that records each request and answers with `reply`. */
function recordingFetch(reply: () => Response | Promise<Response>) {
  const calls: { url: string; method: string; headers: Headers; body: unknown }[] = [];
  const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    calls.push({
      url: request.url,
      method: request.method,
      headers: request.headers,
      body: await request.json(),
    });
    return reply();
  }) as typeof fetch;
  return { calls, fetcher };
}

const message = { to: "fan@example.test", subject: "Your sign-in code", text: "Code: 7K3Q-9MZD" };

describe("the HTTP mailer", () => {
  it("posts Resend's documented JSON to /emails with the key as a bearer token", async () => {
    const { calls, fetcher } = recordingFetch(() => Response.json({ id: "49a3999c" }));
    const mailer = httpMailer({ apiKey: "re_123456789", from: "Shop <shop@example.test>", fetch: fetcher });
    await mailer.send({ ...message, html: "<p>Code</p>" });
    expect(calls).toEqual([
      {
        url: RESEND_EMAILS_URL,
        method: "POST",
        headers: expect.any(Headers),
        body: {
          from: "Shop <shop@example.test>",
          to: ["fan@example.test"],
          subject: "Your sign-in code",
          text: "Code: 7K3Q-9MZD",
          html: "<p>Code</p>",
        },
      },
    ]);
    expect(calls[0]?.headers.get("authorization")).toBe("Bearer re_123456789");
    expect(calls[0]?.headers.get("content-type")).toBe("application/json");
  });

  it("rejects a refused message with the status and the provider's words, never the key", async () => {
    const { fetcher } = recordingFetch(() =>
      Response.json(
        { statusCode: 403, name: "validation_error", message: "The domain is not verified" },
        { status: 403 },
      ),
    );
    const mailer = httpMailer({ apiKey: "re_secretsecret", from: "shop@example.test", fetch: fetcher });
    const error = await mailer.send(message).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MailDeliveryError);
    expect(error).toMatchObject({ status: 403, message: expect.stringMatching(/403.*not verified/) });
    expect(String((error as Error).message)).not.toContain("re_secretsecret");
  });

  it("rejects an unreachable API with a MailDeliveryError", async () => {
    const mailer = httpMailer({
      apiKey: "re_123456789",
      from: "shop@example.test",
      fetch: (async () => {
        throw new TypeError("fetch failed");
      }) as typeof fetch,
    });
    await expect(mailer.send(message)).rejects.toThrow(MailDeliveryError);
  });
});

describe("mailerFor", () => {
  const base = readConfig(env);

  it("mails through the HTTP adapter in production, at MAIL_API_URL when set, and writes no outbox row", async () => {
    const { calls, fetcher } = recordingFetch(() => new Response(null, { status: 200 }));
    const to = `prod-${crypto.randomUUID()}@example.test`;
    const production = {
      ...base,
      ENVIRONMENT: "production" as const,
      MAIL_API_KEY: "re_production",
      MAIL_FROM: "shop@example.test",
      MAIL_API_URL: "https://mail-relay.example.test/emails",
    };
    await mailerFor(production, db, { now: Date.now, fetch: fetcher }).send({ ...message, to });
    expect(calls.map((c) => c.url)).toEqual(["https://mail-relay.example.test/emails"]);
    expect(await db.select().from(mailOutbox).where(eq(mailOutbox.to, to))).toEqual([]);
  });

  it("writes the outbox in development and test, and never calls a mail API", async () => {
    const { calls, fetcher } = recordingFetch(() => new Response(null, { status: 200 }));
    const to = `dev-${crypto.randomUUID()}@example.test`;
    for (const environment of ["development", "test"] as const) {
      const config = { ...base, ENVIRONMENT: environment, MAIL_API_KEY: "re_configured_anyway" };
      await mailerFor(config, db, { now: Date.now, fetch: fetcher }).send({ ...message, to });
    }
    expect(calls).toEqual([]);
    expect(await db.select().from(mailOutbox).where(eq(mailOutbox.to, to))).toHaveLength(2);
  });
});
