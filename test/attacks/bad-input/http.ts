import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../../src/app";
import { api, type Json } from "../../support/api";
import { quotedDrop } from "../../support/checkouts";
import { inventoryOf } from "../../support/drops";
import { oneTimeOffer } from "../../support/fixtures";
import { OPERATOR_KEY } from "../../support/operator";
import { createTenant, type Tenant, tableCounts } from "../../support/tenants";

const LIMIT = 64 * 1024;

type Operation = {
  parameters?: { in: string; name: string; required?: boolean; schema?: { type?: string } }[];
};
/** The document as the app builds it, read synchronously so the tables below can be built from it. */
const doc = buildApp().getOpenAPI31Document({
  openapi: "3.1.0",
  info: { title: "t", version: "0" },
}) as unknown as {
  paths: Record<string, Record<string, Operation & { responses: Record<string, unknown> }>>;
};

/** Everything a request below needs: a creator, an offer, a live drop and a quote for it. */
interface World {
  tenant: Tenant;
  offerId: string;
  dropId: string;
  quote: string;
}
let world: World;
beforeAll(async () => {
  const tenant = await createTenant();
  const { drop, quote } = await quotedDrop(tenant, "bad-input-buyer");
  world = { tenant, offerId: drop.offer_id, dropId: drop.id, quote: quote.token };
});

/** A route that reads a JSON body, with a body it would accept, so the only fault is the one injected. */
interface BodyRoute {
  method: string;
  template: string;
  path: (w: World) => string;
  body: (w: World) => unknown;
  headers: (w: World) => Record<string, string>;
}
const admin = (w: World) => ({ authorization: `Bearer ${w.tenant.key}` });
const buyer = () => ({ "buyer-id": "bad-input-buyer", "idempotency-key": crypto.randomUUID() });
const bodyRoutes: BodyRoute[] = [
  {
    method: "POST",
    template: "/v1/offers",
    path: () => "/v1/offers",
    body: () => oneTimeOffer(),
    headers: admin,
  },
  {
    method: "PATCH",
    template: "/v1/offers/{id}",
    path: (w) => `/v1/offers/${w.offerId}`,
    body: () => ({ title: "Renamed" }),
    headers: admin,
  },
  {
    method: "PUT",
    template: "/v1/cohort-rules",
    path: () => "/v1/cohort-rules",
    body: () => ({ founding_until: null, default_cohort: "utility", pop_up_cohort: null }),
    headers: admin,
  },
  {
    method: "POST",
    template: "/v1/quotes",
    path: () => "/v1/quotes",
    body: (w) => ({ offer_id: w.offerId, drop_id: w.dropId }),
    headers: buyer,
  },
  {
    method: "POST",
    template: "/v1/drops/{id}/holds",
    path: (w) => `/v1/drops/${w.dropId}/holds`,
    body: () => ({ quantity: 1 }),
    headers: buyer,
  },
  {
    method: "POST",
    template: "/v1/checkouts",
    path: () => "/v1/checkouts",
    body: (w) => ({ quote: w.quote, email: "bad-input@example.test", payment_method: "4242 4242 4242 4242" }),
    headers: buyer,
  },
];

/** D1 row counts and the drop's units: what a refused request must leave as it was. */
const state = async () => {
  const drop = await inventoryOf(world.dropId).snapshot();
  return { tables: await tableCounts(), units: [drop?.available, drop?.held, drop?.sold] };
};

const send = (route: BodyRoute, contentType: string | null, raw: BodyInit) =>
  api(route.method, route.path(world), {
    raw,
    headers: { ...route.headers(world), ...(contentType === null ? {} : { "content-type": contentType }) },
  });

describe("bad-input: http", () => {
  describe.each(bodyRoutes.map((r) => [`${r.method} ${r.template}`, r] as const))("%s", (_, route) => {
    it.each([
      "application/merge-patch+json",
      "application/problem+json",
      "application/json-patch+json",
      "application/vnd.api+json",
      "application/jsonl",
      "text/plain",
      "application/x-www-form-urlencoded",
      "application/json; charset=iso-8859-1",
    ])("refuses a valid JSON body sent as %s with 415 and writes nothing", async (contentType) => {
      const before = await state();
      const res = await send(route, contentType, JSON.stringify(route.body(world)));
      expect(res.status, JSON.stringify(res.body)).toBe(415);
      expect(res.body.type).toBe("https://creator-commerce.dev/problems/unsupported-media-type");
      expect(await state()).toEqual(before);
    });

    it("refuses a body with no Content-Type with 415 and writes nothing", async () => {
      const before = await state();
      const res = await send(route, null, new TextEncoder().encode(JSON.stringify(route.body(world))));
      expect(res.status, JSON.stringify(res.body)).toBe(415);
      expect(await state()).toEqual(before);
    });

    it.each([
      ["declared in Content-Length", () => "x".repeat(LIMIT + 1)],
      ["streamed with no Content-Length", () => streamOf(LIMIT + 1)],
    ])("refuses a body over 64 KiB %s with the 413 it documents, and writes nothing", async (_, body) => {
      expect(doc.paths[route.template]?.[route.method.toLowerCase()]?.responses).toHaveProperty("413");
      const before = await state();
      const res = await send(route, "application/json", body());
      expect(res.status, JSON.stringify(res.body)).toBe(413);
      expect(res.body.type).toBe("https://creator-commerce.dev/problems/payload-too-large");
      expect(await state()).toEqual(before);
    });
  });

  it.each(["application/json", "application/json; charset=utf-8", 'Application/JSON;Charset="UTF-8"'])(
    "accepts JSON sent as %s",
    async (contentType) => {
      const res = await send(bodyRoutes[0] as BodyRoute, contentType, JSON.stringify(oneTimeOffer()));
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    },
  );

  it.each([
    ["the Stripe webhook", "/v1/webhooks/stripe", LIMIT],
    ["the signed POS batch", "/v1/pos/reconcile", 1024 * 1024],
  ])(
    "refuses a body over the limit on %s, which reads its body raw, with the 413 it documents",
    async (_, path, limit) => {
      const res = await api("POST", path, {
        raw: streamOf(limit + 1),
        headers: { "content-type": "application/json" },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(413);
    },
  );

  it.each([
    ["an unknown path", "POST", "/v1/nowhere", 404],
    ["a known path with the wrong method", "POST", "/openapi.json", 405],
    [
      "a route that reads no body (releasing a hold)",
      "DELETE",
      "/v1/drops/drp_unknown/holds/hld_unknown",
      404,
    ],
  ])(
    "answers an oversize body to %s as it would answer no body, never an undocumented 413",
    async (_, method, path, status) => {
      const res = await api(method, path, {
        raw: "x".repeat(LIMIT + 1),
        headers: { "content-type": "application/json", "buyer-id": "bad-input-buyer" },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(status);
    },
  );

  /** A plain valid value for a required query parameter whose type `x` is not (a range's bounds). */
  const validValue: Record<string, string> = {
    from: "2026-05-01",
    to: "2026-06-01",
    created_from: "2026-05-01T00:00:00Z",
    created_to: "2026-06-01T00:00:00Z",
  };
  /** Every integer query parameter the document lists, on every operation, so new ones are covered too. */
  const integerParams = Object.entries(doc.paths).flatMap(([template, ops]) =>
    Object.entries(ops).flatMap(([method, op]) =>
      (op.parameters ?? [])
        .filter((p) => p.in === "query" && p.schema?.type === "integer")
        .map((p) => {
          // The operation's other required query parameters, each given a plain valid value, so only
          // the attacked one is wrong.
          const others = (op.parameters ?? [])
            .filter((o) => o.in === "query" && o.required === true && o.name !== p.name)
            .map((o) => `&${o.name}=${validValue[o.name] ?? "x"}`)
            .join("");
          return [`${method.toUpperCase()} ${template}?${p.name}`, method, template, p.name, others] as const;
        }),
    ),
  );

  it("finds the integer query parameters to attack", () => {
    expect(integerParams.map(([name]) => name)).toEqual(
      expect.arrayContaining(["GET /v1/offers?limit", "GET /v1/offers/{id}/price?quantity"]),
    );
  });

  describe.each(integerParams)("%s", (_, method, template, name, others) => {
    const path = (w: World, value: string) =>
      `${template.replace("{id}", template.startsWith("/v1/drops/") ? w.dropId : w.offerId)}?${name}=${encodeURIComponent(value)}${others}`;
    // The stock stream answers an event stream that never ends: read its status, not its body.
    const stream = template.endsWith("/stream");
    const call = (value: string) =>
      api(method.toUpperCase(), path(world, value), {
        // The operator's routes take the operator's key (docs/platform.md), every other one the creator's.
        key: template.startsWith("/v1/operator/") ? OPERATOR_KEY : world.tenant.key,
        headers: { "buyer-id": "bad-input-buyer" },
      });

    it.each(["0x2", "0b10", "0o2", "2e0", "2.0", "2.5", "+2", "-2", " 2", "2 ", "", "1_0", "Infinity", "２"])(
      "refuses %j with a 422 naming the parameter",
      async (value) => {
        const res = await call(value);
        expect(res.status, JSON.stringify(res.body)).toBe(422);
        expect((res.body as Json).errors).toEqual([
          expect.objectContaining({ in: "query", path: `/${name}` }),
        ]);
      },
    );

    it("accepts plain decimal digits", async () => {
      if (stream) {
        const res = await exports.default.fetch(`http://api.test${path(world, "2")}`, {
          headers: { accept: "text/event-stream" },
        });
        expect(res.status).toBe(200);
        await res.body?.cancel();
        return;
      }
      const res = await call("2");
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    });
  });
});

/** A body of `size` bytes as a stream, so no Content-Length is sent and the limit must count bytes. */
function streamOf(size: number): ReadableStream<Uint8Array> {
  const chunk = new Uint8Array(8 * 1024).fill(0x20);
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= size) return controller.close();
      const n = Math.min(chunk.length, size - sent);
      controller.enqueue(chunk.subarray(0, n));
      sent += n;
    },
  });
}
