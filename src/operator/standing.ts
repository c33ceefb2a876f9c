/**
 * What a suspended creator's buyer routes answer. Each route reads the creator's status with a row it
 * reads anyway (the offer's pricing, the drop's settings, the link), so the check costs no round trip.
 */
import { sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { creators } from "../db/schema";
import { AppError } from "../errors";

/** The one answer for a suspended creator, whether its key, its offer, drop, link or quote was named. */
export const creatorSuspended = (what = "key") =>
  new AppError(
    "creator_suspended",
    `The creator of this ${what} is suspended by the platform operator: its keys are refused and it sells nothing until reinstated. Nothing was deleted.`,
  );

/**
 * The creator's status as a column of another table's select. A subquery, not a join: D1 answers a
 * batch's rows by column name, and a joined `status` (offers, links) would overwrite the creator's.
 */
export const creatorStatusOf = (creatorId: SQLiteColumn) =>
  sql<string>`(SELECT ${creators.status} FROM ${creators} WHERE ${creators.id} = ${creatorId})`.as(
    "creator_status",
  );
