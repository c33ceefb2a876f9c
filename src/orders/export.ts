/**
 * The creator's orders as CSV for a date range (issue 17, part 1): physical drops are packed from it.
 * Streamed: the response body is a ReadableStream that reads one keyset page of EXPORT_PAGE_ROWS rows
 * from D1 each time its reader wants more, so a year of orders is never in memory at once; the reader's
 * pace (backpressure) decides when the next page is read.
 *
 * Order is oldest first by (created_at, id): the id breaks ties, so no row is repeated or skipped across
 * pages even when many share a millisecond. An order created during the export appears if it sorts after
 * the page being read; each row shows the order as it stood when its page was read.
 *
 * A range that is not one (missing, reversed, over MAX_EXPORT_DAYS) is refused before anything streams,
 * as problem+json 422. Once the 200 is sent, a failing page read errors the stream: the body ends
 * without its terminating chunk, so clients see a truncated download (curl exits 18, a browser marks the
 * download failed) rather than a short file that looks whole.
 *
 * Cells follow RFC 4180 (CRLF rows; a field with a comma, quote, CR or LF is quoted, quotes doubled) and
 * OWASP's CSV-injection advice: a text cell starting with = + - @ tab or CR gets a leading `'`, so a
 * spreadsheet shows it instead of running it. Times are UTC ISO 8601; money is integer minor units with
 * the currency beside it, and a decimal column using the currency's own number of decimals.
 */
import { z } from "@hono/zod-openapi";
import { and, asc, eq, gt, gte, or } from "drizzle-orm";
import type { Call } from "../context";
import type { Db } from "../db/client";
import { checkouts, offers, orders } from "../db/schema";
import { invalid } from "../errors";
import { toIsoOrNull } from "../lib/time";
import { OrderFilterFields, orderFilter } from "./reads";

export const EXPORT_PAGE_ROWS = 500;
export const MAX_EXPORT_DAYS = 366;
const DAY_MS = 86_400_000;

const Instant = z.iso.datetime({ offset: true });

export const ExportOrdersQuery = z.object({
  created_from: Instant.openapi({ description: "Orders created at or after this instant (UTC), required." }),
  created_to: Instant.openapi({
    description: `Orders created before this instant (UTC), required; at most ${MAX_EXPORT_DAYS} days after \`created_from\`.`,
  }),
  ...OrderFilterFields,
});
export type ExportOrdersInput = z.infer<typeof ExportOrdersQuery>;

/** The columns, in order. Shipping and fulfilment columns are empty for digital orders. */
export const EXPORT_COLUMNS = [
  "order_id",
  "created_at",
  "paid_at",
  "status",
  "source",
  "offer_id",
  "offer_title",
  "drop_id",
  "quantity",
  "currency",
  "amount_total",
  "amount_total_decimal",
  "email",
  "member_id",
  "coupon_code",
  "experiment_id",
  "experiment_arm",
  "refund_status",
  "auto_refund_reason",
  "dispute_status",
  "shipping_name",
  "shipping_line1",
  "shipping_line2",
  "shipping_city",
  "shipping_region",
  "shipping_postal_code",
  "shipping_country",
  "fulfilment_status",
  "fulfilment_path",
  "fulfilment_hub_id",
  "fulfilment_batch_at",
  "carrier",
  "tracking_number",
] as const;

type Cell = string | number | null | undefined;

/** One CSV field: guarded against formula injection, then quoted as RFC 4180 asks when it must be. */
export function csvCell(value: Cell): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return String(value);
  const guarded = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(guarded) ? `"${guarded.replaceAll('"', '""')}"` : guarded;
}

export const csvRow = (cells: readonly Cell[]): string => `${cells.map(csvCell).join(",")}\r\n`;

const digitsOf = new Map<string, number>();
/** The currency's decimals as ICU knows them (USD 2, JPY 0, KWD 3): how the checkout page shows it too. */
function decimalsOf(currency: string): number {
  let digits = digitsOf.get(currency);
  if (digits === undefined) {
    try {
      digits =
        new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions()
          .maximumFractionDigits ?? 2;
    } catch {
      digits = 2;
    }
    digitsOf.set(currency, digits);
  }
  return digits;
}

/** 2000 USD → "20.00", 2000 JPY → "2000", 5 KWD → "0.005": string arithmetic, no float rounding. */
export function decimalAmount(minor: number, currency: string): string {
  const digits = decimalsOf(currency);
  const sign = minor < 0 ? "-" : "";
  const abs = String(Math.abs(minor));
  if (digits === 0) return `${sign}${abs}`;
  const padded = abs.padStart(digits + 1, "0");
  return `${sign}${padded.slice(0, -digits)}.${padded.slice(-digits)}`;
}

/** The range as given, checked before anything streams: both ends, in order, at most a year apart. */
export function exportRange(input: ExportOrdersInput): { from: number; to: number } {
  const from = Date.parse(input.created_from);
  const to = Date.parse(input.created_to);
  if (!(to > from)) {
    throw invalid([{ in: "query", path: "/created_to", message: "Must be after created_from" }]);
  }
  if (to - from > MAX_EXPORT_DAYS * DAY_MS) {
    throw invalid([
      { in: "query", path: "/created_to", message: `At most ${MAX_EXPORT_DAYS} days after created_from` },
    ]);
  }
  return { from, to };
}

/** `orders-2026-01-01-2026-02-01.csv`; an end off midnight keeps its time (`2026-01-01T120000Z`). */
export function exportFileName(input: ExportOrdersInput): string {
  const stamp = (iso: string) => {
    const at = new Date(Date.parse(iso)).toISOString();
    return at.endsWith("T00:00:00.000Z") ? at.slice(0, 10) : `${at.slice(0, 19).replaceAll(":", "")}Z`;
  };
  return `orders-${stamp(input.created_from)}-${stamp(input.created_to)}.csv`;
}

const exportColumns = {
  id: orders.id,
  createdAt: orders.createdAt,
  paidAt: orders.paidAt,
  status: orders.status,
  source: orders.source,
  offerId: orders.offerId,
  offerTitle: offers.title,
  dropId: orders.dropId,
  quantity: orders.quantity,
  currency: orders.currency,
  amountTotal: orders.amountTotal,
  email: orders.email,
  memberId: orders.memberId,
  couponCode: orders.couponCode,
  experimentId: orders.experimentId,
  experimentArm: orders.experimentArm,
  autoRefundReason: checkouts.autoRefundReason,
  disputeStatus: orders.disputeStatus,
  shippingAddress: orders.shippingAddress,
  fulfilmentStatus: orders.fulfilmentStatus,
  fulfilmentPath: orders.fulfilmentPath,
  fulfilmentHubId: orders.fulfilmentHubId,
  fulfilmentBatchAt: orders.fulfilmentBatchAt,
  carrier: orders.carrier,
  trackingNumber: orders.trackingNumber,
};

interface Position {
  t: number;
  id: string;
}

/** One page after `after`, oldest first, over orders(creator_id, created_at, id). */
function pageAfter(db: Db, creatorId: string, input: ExportOrdersInput, after: Position | undefined) {
  return db
    .select(exportColumns)
    .from(orders)
    .innerJoin(offers, eq(offers.id, orders.offerId))
    .leftJoin(checkouts, eq(checkouts.orderId, orders.id))
    .where(
      and(
        eq(orders.creatorId, creatorId),
        orderFilter(input),
        // (created_at, id) > after, spelled so SQLite seeks the index to `after.t` rather than scanning
        // from the range's start on every page: the bench's rows/s fell with N until it was.
        after === undefined
          ? undefined
          : and(gte(orders.createdAt, after.t), or(gt(orders.createdAt, after.t), gt(orders.id, after.id))),
      ),
    )
    .orderBy(asc(orders.createdAt), asc(orders.id))
    .limit(EXPORT_PAGE_ROWS);
}
type ExportRow = Awaited<ReturnType<typeof pageAfter>>[number];

function rowOf(r: ExportRow): Cell[] {
  const ship = (r.shippingAddress ?? {}) as Record<string, unknown>;
  const addr = (k: string): string | null => (typeof ship[k] === "string" ? (ship[k] as string) : null);
  return [
    r.id,
    toIsoOrNull(r.createdAt),
    toIsoOrNull(r.paidAt),
    r.status,
    r.source,
    r.offerId,
    r.offerTitle,
    r.dropId,
    r.quantity,
    r.currency,
    r.amountTotal,
    decimalAmount(r.amountTotal, r.currency),
    r.email,
    r.memberId,
    r.couponCode,
    r.experimentId,
    r.experimentArm,
    r.status === "refunded" ? "refunded" : null,
    r.autoRefundReason,
    r.disputeStatus,
    addr("name"),
    addr("line1"),
    addr("line2"),
    addr("city"),
    addr("region"),
    addr("postal_code"),
    addr("country"),
    r.fulfilmentStatus,
    r.fulfilmentPath,
    r.fulfilmentHubId,
    toIsoOrNull(r.fulfilmentBatchAt),
    r.carrier,
    r.trackingNumber,
  ];
}

/**
 * The export as a byte stream: the header row at once, then one page per pull. Throws (422) before
 * returning when the range is not one, so the caller answers problem+json with nothing streamed.
 */
export function exportOrders({ ctx, input }: Call<ExportOrdersInput>): ReadableStream<Uint8Array> {
  exportRange(input);
  const encoder = new TextEncoder();
  let after: Position | undefined;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        controller.enqueue(encoder.encode(csvRow(EXPORT_COLUMNS)));
      },
      async pull(controller) {
        let rows: ExportRow[];
        try {
          rows = await pageAfter(ctx.db, ctx.creatorId, input, after);
        } catch (error) {
          // The 200 is already sent: erroring the stream truncates the body, which the client sees.
          console.error(JSON.stringify({ msg: "orders export interrupted", creator: ctx.creatorId, after }));
          controller.error(error);
          return;
        }
        const last = rows.at(-1);
        if (last !== undefined) {
          controller.enqueue(encoder.encode(rows.map((r) => csvRow(rowOf(r))).join("")));
          after = { t: last.createdAt, id: last.id };
        }
        if (rows.length < EXPORT_PAGE_ROWS) controller.close();
      },
    },
    // Nothing read ahead beyond the page being written: the reader's demand drives each D1 read.
    { highWaterMark: 0 },
  );
}

/** The export as the HTTP answer both the API and the dashboard give: a streamed CSV attachment. */
export function exportResponse(call: Call<ExportOrdersInput>): Response {
  return new Response(exportOrders(call), {
    status: 200,
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename=${exportFileName(call.input)}`,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  });
}
