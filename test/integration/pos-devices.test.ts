import { exportJWK, generateKeyPair } from "jose";
import { describe, expect, it } from "vitest";
import { api } from "../support/api";
import { authorisationSuite } from "../support/auth-suite";
import { createTenant, tableCounts } from "../support/tenants";

async function devicePublicKey() {
  const { publicKey } = await generateKeyPair("EdDSA", { extractable: true });
  const { kty, crv, x } = await exportJWK(publicKey);
  return { kty, crv, x };
}

const deviceBody = async (overrides: Record<string, unknown> = {}) => ({
  name: "Market stall tablet",
  public_key: await devicePublicKey(),
  max_units_per_transaction: 5,
  max_offline_units: 200,
  offline_window_hours: 48,
  ...overrides,
});

describe("POST /v1/pos/devices", () => {
  it("registers a device with its public key and limits; revoking it is final and idempotent", async () => {
    const tenant = await createTenant();
    const body = await deviceBody();
    const res = await api("POST", "/v1/pos/devices", { key: tenant.key, body });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      object: "pos_device",
      name: "Market stall tablet",
      public_key: { kty: "OKP", crv: "Ed25519", x: body.public_key.x },
      offline_window_hours: 48,
      revoked_at: null,
    });
    expect(res.body.id).toMatch(/^dev_/);
    const revoked = await api("DELETE", `/v1/pos/devices/${res.body.id}`, { key: tenant.key });
    expect(revoked.body.revoked_at).not.toBeNull();
    const again = await api("DELETE", `/v1/pos/devices/${res.body.id}`, { key: tenant.key });
    expect(again.body).toEqual(revoked.body);
  });

  it.each([
    ["a window over 72 hours", { offline_window_hours: 73 }, "/offline_window_hours"],
    [
      "a private key part",
      { public_key: { kty: "OKP", crv: "Ed25519", x: "A".repeat(43), d: "B".repeat(43) } },
      "/public_key",
    ],
    ["a P-256 key", { public_key: { kty: "EC", crv: "P-256", x: "A".repeat(43) } }, "/public_key/kty"],
    ["no limits", { max_units_per_transaction: undefined }, "/max_units_per_transaction"],
  ])("refuses %s with 422 and writes nothing", async (_name, overrides, path) => {
    const tenant = await createTenant();
    const before = await tableCounts();
    const res = await api("POST", "/v1/pos/devices", { key: tenant.key, body: await deviceBody(overrides) });
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: { path: string }) => e.path).join(" ")).toContain(path);
    expect(await tableCounts()).toEqual(before);
  });
});

authorisationSuite("GET /v1/pos/devices/{id}", async (owner) => {
  const created = await api("POST", "/v1/pos/devices", { key: owner.key, body: await deviceBody() });
  return (key) => api("GET", `/v1/pos/devices/${created.body.id}`, key ? { key } : {});
});

authorisationSuite("DELETE /v1/pos/devices/{id}", async (owner) => {
  const created = await api("POST", "/v1/pos/devices", { key: owner.key, body: await deviceBody() });
  return (key) => api("DELETE", `/v1/pos/devices/${created.body.id}`, key ? { key } : {});
});
