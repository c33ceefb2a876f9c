/** The queue's settings as the drop's object takes them, from the drop's D1 row. */
import type { DropRow } from "../db/schema";
import { RESERVES_PER_SHARD_PER_SECOND } from "../drops/rules";
import type { QueueSettings } from "./queue";

/**
 * Viewers admitted a second when the creator names no rate: half of what the drop's shards can
 * reserve, so that admitted buyers' holds, checkouts and retries fit beside each other.
 */
export const derivedAdmitRate = (shards: number): number =>
  Math.max(1, Math.floor((Math.max(1, shards) * RESERVES_PER_SHARD_PER_SECOND) / 2));

export const queueSettingsOf = (
  row: Pick<DropRow, "queueEnabled" | "queueAdmitPerSecond" | "shards">,
): QueueSettings => ({
  enabled: row.queueEnabled,
  admitPerSecond: row.queueAdmitPerSecond ?? derivedAdmitRate(row.shards),
});
