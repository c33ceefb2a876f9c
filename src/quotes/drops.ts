/**
 * Which drops a quote binds. An offer with an open or upcoming drop (not closed, not past `ends_at`)
 * sells only through it: a quote for it must name one of its drops, or it is refused, since a checkout
 * without a drop takes no hold and would sell units the drop never counted. A bundle holds each
 * component's drop, all or nothing: the quote lists them, and checkout reserves every one or none.
 *
 * The drops are read fresh from D1 on every quote (never the per-isolate catalog): a drop created a
 * moment ago in another isolate must bind its offer at once. The read is one statement and runs
 * alongside the quote's other reads.
 */
import { and, eq, gt, inArray, isNull, or, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { type DropRow, drops } from "../db/schema";
import { AppError, invalid } from "../errors";
import type { QuoteDrop } from "./token";

export type DropTerms = Pick<DropRow, "id" | "offerId" | "state" | "startsAt" | "endsAt">;

export interface QuotedItems {
  offerId: string;
  quantity: number;
  /** A bundle's components (empty otherwise), with the units of each in one bundle. */
  components: readonly { offerId: string; quantity: number }[];
  /** The drop the request named, if any. */
  named: string | null;
}

/**
 * The read, prepared once per database and query shape (how many offers, whether a drop is named) and
 * bound per quote: building the statement anew costs more CPU than running it (profiled). Shapes with
 * more offers than a cached one may hold are built per call.
 */
const MAX_CACHED_OFFERS = 8;
const prepared = new WeakMap<Db, Map<string, ReturnType<typeof prepareRead>>>();

function prepareRead(db: Db, offers: number, named: boolean) {
  const offerIds = Array.from({ length: offers }, (_, i) => sql.placeholder(`offer${i}`));
  const selling = and(
    inArray(drops.offerId, offerIds),
    eq(drops.state, "open"),
    or(isNull(drops.endsAt), gt(drops.endsAt, sql.placeholder("now"))),
  );
  return db
    .select({
      id: drops.id,
      offerId: drops.offerId,
      state: drops.state,
      startsAt: drops.startsAt,
      endsAt: drops.endsAt,
    })
    .from(drops)
    .where(
      and(
        eq(drops.creatorId, sql.placeholder("creatorId")),
        named ? or(eq(drops.id, sql.placeholder("named")), selling) : selling,
      ),
    )
    .prepare();
}

function readFor(db: Db, offers: number, named: boolean) {
  if (offers > MAX_CACHED_OFFERS) return prepareRead(db, offers, named);
  let shapes = prepared.get(db);
  if (shapes === undefined) {
    shapes = new Map();
    prepared.set(db, shapes);
  }
  const shape = `${offers}:${named}`;
  let read = shapes.get(shape);
  if (read === undefined) {
    read = prepareRead(db, offers, named);
    shapes.set(shape, read);
  }
  return read;
}

/** The named drop, and every open or upcoming drop of the offer and of its components, in one read. */
export async function dropsFor(
  db: Db,
  creatorId: string,
  items: QuotedItems,
  now: number,
): Promise<DropTerms[]> {
  const offerIds = [items.offerId, ...items.components.map((c) => c.offerId)];
  const values: Record<string, unknown> = { creatorId, now, named: items.named };
  for (const [i, id] of offerIds.entries()) values[`offer${i}`] = id;
  return readFor(db, offerIds.length, items.named !== null).all(values);
}

const sells = (drop: DropTerms, now: number) =>
  drop.state === "open" && (drop.endsAt === null || drop.endsAt > now);

/**
 * The drops a checkout of this quote must hold (sorted by id, so every reader sees one order), or the
 * refusal: a drop offer quoted without its drop or with another offer's is a 422 on `/drop_id` naming the
 * drops to use; a named drop that has closed or ended is `drop_ended`. A component with several selling
 * drops takes the one live now (the earliest started), else the next to start.
 */
export function bindDrops(items: QuotedItems, rows: readonly DropTerms[], now: number): QuoteDrop[] {
  const own = rows.filter((d) => d.offerId === items.offerId && sells(d, now));
  const useOwn = own.length === 0 ? "" : `; offer ${items.offerId} sells only through ${listed(own)}`;
  const bound: QuoteDrop[] = [];
  if (items.named !== null) {
    const named = rows.find((d) => d.id === items.named);
    if (named === undefined) {
      throw invalid([{ in: "body", path: "/drop_id", message: `No such drop${useOwn}` }]);
    }
    if (named.offerId !== items.offerId) {
      throw invalid([{ in: "body", path: "/drop_id", message: `The drop sells another offer${useOwn}` }]);
    }
    if (!sells(named, now)) throw new AppError("drop_ended", `Drop ${named.id} has ended.`);
    bound.push({ dropId: named.id, quantity: items.quantity });
  } else if (own.length > 0) {
    throw invalid(
      [
        {
          in: "body",
          path: "/drop_id",
          message: `Required: offer ${items.offerId} sells only through ${listed(own)}`,
        },
      ],
      "This offer is on sale through a drop; quote it with drop_id.",
    );
  }
  for (const component of items.components) {
    const drop = rows
      .filter((d) => d.offerId === component.offerId && sells(d, now))
      .sort(
        (a, b) =>
          Number(a.startsAt > now) - Number(b.startsAt > now) ||
          a.startsAt - b.startsAt ||
          a.id.localeCompare(b.id),
      )[0];
    if (drop !== undefined) bound.push({ dropId: drop.id, quantity: component.quantity * items.quantity });
  }
  return bound.sort((a, b) => a.dropId.localeCompare(b.dropId));
}

const listed = (own: readonly DropTerms[]) => {
  const ids = own.map((d) => d.id).sort();
  return ids.length === 1 ? `drop ${ids[0]}` : `one of drops ${ids.join(", ")}`;
};
