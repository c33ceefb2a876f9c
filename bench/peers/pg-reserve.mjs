// The Postgres peer: the app's hot-row reserve done the classic way, by a Node `http` server over `pg`.
// Every reserve is one transaction (one statement, so one round trip, the best case for Postgres) that
// guards and bumps the drop's row and inserts the hold, unique by (buyer, idempotency key); it answers
// 201 after the commit is durable (fsync and synchronous_commit are on, Postgres' defaults, checked at
// start). A repeated key answers the hold it made (200), a drop without the units 409.
//
//   PGHOST=<socket dir> PGPORT=<port> node bench/peers/pg-reserve.mjs
// POST /setup makes a fresh drop and answers {"drop_id"}; POST /v1/drops/<id>/holds reserves (headers
// buyer-id and idempotency-key, body {"quantity":n}, as the app's route); GET /check/<id> answers the
// drop's counters and how many live holds it has. Prints `PG_URL http://127.0.0.1:<port>` when ready.
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import pg from "pg";

const pool = new pg.Pool({ max: Number(process.env.PG_POOL ?? 16), user: process.env.PGUSER ?? "postgres" });

await pool.query(`
  CREATE TABLE IF NOT EXISTS drops (
    id text PRIMARY KEY,
    stock integer NOT NULL,
    held integer NOT NULL DEFAULT 0,
    sold integer NOT NULL DEFAULT 0,
    hold_ttl_ms bigint NOT NULL,
    CHECK (held >= 0 AND sold >= 0 AND held + sold <= stock)
  );
  CREATE TABLE IF NOT EXISTS holds (
    id text PRIMARY KEY,
    drop_id text NOT NULL REFERENCES drops (id),
    buyer text NOT NULL,
    idempotency_key text NOT NULL,
    quantity integer NOT NULL,
    state text NOT NULL DEFAULT 'held',
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL,
    UNIQUE (buyer, idempotency_key)
  );
`);
const settings = await pool.query(
  "SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit')",
);
for (const { name, setting } of settings.rows) {
  if (setting !== "on") throw new Error(`${name} is ${setting}: the peer must commit durably`);
}

// Guard and bump the hot row, then insert the hold: one statement, one transaction. If the guard fails
// nothing is inserted; if the key was used, the unique index aborts the statement and the bump with it.
const RESERVE = `
  WITH bumped AS (
    UPDATE drops SET held = held + $3 WHERE id = $1 AND stock - held - sold >= $3 RETURNING hold_ttl_ms
  )
  INSERT INTO holds (id, drop_id, buyer, idempotency_key, quantity, created_at, expires_at)
  SELECT $2, $1, $4, $5, $3, $6, $6 + hold_ttl_ms FROM bumped
  RETURNING id, quantity, state, created_at, expires_at`;

const send = (res, status, body) => {
  const json = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(json) });
  res.end(json);
};
const holdView = (dropId, row) => ({
  id: row.id,
  object: "hold",
  drop_id: dropId,
  quantity: row.quantity,
  state: row.state,
  created_at: new Date(Number(row.created_at)).toISOString(),
  expires_at: new Date(Number(row.expires_at)).toISOString(),
});

async function reserve(dropId, req, body) {
  const buyer = req.headers["buyer-id"];
  const key = req.headers["idempotency-key"];
  const quantity = JSON.parse(body || "{}").quantity;
  if (typeof buyer !== "string" || typeof key !== "string" || !Number.isInteger(quantity) || quantity < 1) {
    return [400, { code: "invalid_request" }];
  }
  const now = Date.now();
  try {
    const { rows } = await pool.query(RESERVE, [dropId, `hold_${randomUUID()}`, quantity, buyer, key, now]);
    return rows[0] ? [201, holdView(dropId, rows[0])] : [409, { code: "insufficient_stock" }];
  } catch (error) {
    if (error.code !== "23505") throw error; // unique_violation: the key made a hold already
    const { rows } = await pool.query(
      "SELECT * FROM holds WHERE buyer = $1 AND idempotency_key = $2 AND drop_id = $3",
      [buyer, key, dropId],
    );
    return rows[0] ? [200, holdView(dropId, rows[0])] : [409, { code: "idempotency_key_reused" }];
  }
}

async function handle(req, body) {
  const holds = /^\/v1\/drops\/([^/]+)\/holds$/.exec(req.url);
  if (req.method === "POST" && holds) return reserve(holds[1], req, body);
  if (req.method === "POST" && req.url === "/setup") {
    const id = `drp_pg_${Date.now()}_${Math.random().toString(36).slice(2, 8)}`;
    await pool.query("INSERT INTO drops (id, stock, hold_ttl_ms) VALUES ($1, 10000000, 3600000)", [id]);
    return [200, { drop_id: id }];
  }
  const check = /^\/check\/([^/]+)$/.exec(req.url);
  if (req.method === "GET" && check) {
    const { rows } = await pool.query(
      `SELECT d.stock, d.held, d.sold, (SELECT count(*)::int FROM holds h WHERE h.drop_id = d.id AND h.state = 'held') AS live
       FROM drops d WHERE d.id = $1`,
      [check[1]],
    );
    return rows[0] ? [200, rows[0]] : [404, { code: "not_found" }];
  }
  return [404, { code: "not_found" }];
}

const server = createServer((req, res) => {
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (chunk) => {
    body += chunk;
  });
  req.on("end", () => {
    handle(req, body).then(
      ([status, answer]) => send(res, status, answer),
      (error) => send(res, 500, { code: "internal", detail: String(error.message) }),
    );
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  console.log(`PG_URL http://127.0.0.1:${server.address().port}`);
});
const stop = () => server.close(() => pool.end().then(() => process.exit(0)));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
