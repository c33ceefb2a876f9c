/**
 * Standard Webhooks signing, checked three ways: against the spec's published test vector, against the
 * spec's reference library (`standardwebhooks`), and through the receivers' helper (clients/webhooks).
 */
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { signWebhook, verifyWebhook, WebhookVerificationError } from "../../clients/webhooks";
import { deliveryHeaders } from "../../src/webhooks/deliver";
import {
  generateSecret,
  SECRET_BYTES,
  secretKeyBytes,
  sign,
  signatureHeader,
} from "../../src/webhooks/signature";

// The test vector published with the Standard Webhooks spec (and Svix's documentation).
const VECTOR = {
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
};

const headersOf = (id: string, timestamp: number, signature: string) => ({
  "webhook-id": id,
  "webhook-timestamp": String(timestamp),
  "webhook-signature": signature,
});

const reason = async (work: Promise<unknown>) => {
  try {
    await work;
    return "verified";
  } catch (error) {
    return error instanceof WebhookVerificationError ? error.reason : String(error);
  }
};

describe("signing (src/webhooks/signature.ts)", () => {
  it("reproduces the spec's test vector exactly", async () => {
    expect(await sign(VECTOR.secret, VECTOR.id, VECTOR.timestamp, VECTOR.body)).toBe(VECTOR.signature);
  });

  it("keys the HMAC with the secret's base64-decoded bytes, not the text after whsec_ (the anchor's bug)", async () => {
    const asText = VECTOR.secret.slice("whsec_".length);
    const wrongKey = await crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(asText),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    const wrong = await crypto.subtle.sign(
      "HMAC",
      wrongKey,
      new TextEncoder().encode(`${VECTOR.id}.${VECTOR.timestamp}.${VECTOR.body}`),
    );
    const wrongSignature = `v1,${btoa(String.fromCharCode(...new Uint8Array(wrong)))}`;
    expect(wrongSignature).not.toBe(VECTOR.signature);
    expect(await sign(VECTOR.secret, VECTOR.id, VECTOR.timestamp, VECTOR.body)).not.toBe(wrongSignature);
  });

  it("serialises a new secret as whsec_ + standard base64 of 24 random bytes, which the reference library accepts", async () => {
    const secrets = new Set(Array.from({ length: 20 }, generateSecret));
    expect(secrets.size).toBe(20);
    for (const secret of secrets) {
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
      expect(secretKeyBytes(secret)).toHaveLength(SECRET_BYTES);
      const now = new Date();
      const reference = new Webhook(secret).sign("evt_1", now, "{}");
      expect(await sign(secret, "evt_1", Math.floor(now.getTime() / 1000), "{}")).toBe(reference);
    }
  });

  it("signs with every secret during a rotation, space-separated, and the reference library verifies either", async () => {
    const [current, previous] = [generateSecret(), generateSecret()];
    const ts = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ type: "order.paid", data: { seq: 1 } });
    const header = await signatureHeader([current, previous], "evt_rot", ts, body);
    expect(header.split(" ")).toHaveLength(2);
    expect(header.split(" ").every((s) => s.startsWith("v1,"))).toBe(true);
    for (const secret of [current, previous]) {
      expect(new Webhook(secret).verify(body, headersOf("evt_rot", ts, header))).toEqual(JSON.parse(body));
    }
    expect(() => new Webhook(generateSecret()).verify(body, headersOf("evt_rot", ts, header))).toThrow();
  });

  it("sends the Standard Webhooks headers: id, timestamp in seconds, signature, JSON content type", async () => {
    const secret = generateSecret();
    const ts = Math.floor(Date.now() / 1000);
    const headers = await deliveryHeaders([secret], "evt_h", ts, "{}");
    expect(headers).toMatchObject({
      "content-type": "application/json",
      "webhook-id": "evt_h",
      "webhook-timestamp": String(ts),
    });
    expect(new Webhook(secret).verify("{}", headers)).toEqual({});
  });
});

describe("the receivers' helper (clients/webhooks)", () => {
  it("verifies the spec's test vector at its timestamp", async () => {
    const event = await verifyWebhook(
      VECTOR.secret,
      headersOf(VECTOR.id, VECTOR.timestamp, VECTOR.signature),
      VECTOR.body,
      { nowSeconds: VECTOR.timestamp },
    );
    expect(event).toEqual({ test: 2432232314 });
    expect(await signWebhook(VECTOR.secret, VECTOR.id, VECTOR.timestamp, VECTOR.body)).toBe(VECTOR.signature);
  });

  it("accepts Headers objects and plain records alike", async () => {
    const headers = new Headers(headersOf(VECTOR.id, VECTOR.timestamp, VECTOR.signature));
    expect(
      await reason(verifyWebhook(VECTOR.secret, headers, VECTOR.body, { nowSeconds: VECTOR.timestamp })),
    ).toBe("verified");
  });

  it("accepts any of the space-separated signatures (a rotation in progress)", async () => {
    const other = `v1,${btoa("x".repeat(32))}`;
    const headers = headersOf(VECTOR.id, VECTOR.timestamp, `${other} ${VECTOR.signature}`);
    expect(
      await reason(verifyWebhook(VECTOR.secret, headers, VECTOR.body, { nowSeconds: VECTOR.timestamp })),
    ).toBe("verified");
  });

  it.each([
    [
      "a replay 6 minutes later",
      { nowSeconds: VECTOR.timestamp + 360 },
      VECTOR.body,
      VECTOR.signature,
      "timestamp",
    ],
    [
      "a timestamp 6 minutes ahead",
      { nowSeconds: VECTOR.timestamp - 360 },
      VECTOR.body,
      VECTOR.signature,
      "timestamp",
    ],
    [
      "a tampered body",
      { nowSeconds: VECTOR.timestamp },
      '{"test": 2432232315}',
      VECTOR.signature,
      "signature",
    ],
    [
      "a re-serialised body",
      { nowSeconds: VECTOR.timestamp },
      '{"test":2432232314}',
      VECTOR.signature,
      "signature",
    ],
    [
      "an unknown signature version",
      { nowSeconds: VECTOR.timestamp },
      VECTOR.body,
      VECTOR.signature.replace("v1,", "v2,"),
      "signature",
    ],
    ["an empty signature", { nowSeconds: VECTOR.timestamp }, VECTOR.body, "", "signature"],
  ])("rejects %s", async (_name, options, body, signature, expected) => {
    const headers = headersOf(VECTOR.id, VECTOR.timestamp, signature);
    expect(await reason(verifyWebhook(VECTOR.secret, headers, body, options))).toBe(expected);
  });

  it("rejects a delivery missing a header, and a secret that is not whsec_ base64", async () => {
    const { "webhook-id": _id, ...rest } = headersOf(VECTOR.id, VECTOR.timestamp, VECTOR.signature);
    expect(await reason(verifyWebhook(VECTOR.secret, rest, VECTOR.body))).toBe("missing_headers");
    const headers = headersOf(VECTOR.id, VECTOR.timestamp, VECTOR.signature);
    expect(
      await reason(
        verifyWebhook("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", headers, VECTOR.body, {
          nowSeconds: VECTOR.timestamp,
        }),
      ),
    ).toBe("secret");
  });
});
