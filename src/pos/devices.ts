/** Registering and revoking the devices that may sync offline sales for a creator. */
import { and, eq, isNull } from "drizzle-orm";
import { auditWrite } from "../audit";
import type { Call } from "../context";
import { type PosDeviceRow, posDevices } from "../db/schema";
import { notFound } from "../errors";
import { newId } from "../lib/ids";
import { toIso, toIsoOrNull } from "../lib/time";
import type { Device, RegisterDeviceInput } from "./schemas";

export function renderDevice(row: PosDeviceRow): Device {
  const { x } = JSON.parse(row.publicJwk) as { x: string };
  return {
    id: row.id,
    object: "pos_device",
    name: row.name,
    public_key: { kty: "OKP", crv: "Ed25519", x },
    max_units_per_transaction: row.maxUnitsPerTransaction,
    max_offline_units: row.maxOfflineUnits,
    offline_window_hours: row.offlineWindowHours,
    revoked_at: toIsoOrNull(row.revokedAt),
    created_at: toIso(row.createdAt),
  };
}

export async function registerDevice({ ctx, input }: Call<RegisterDeviceInput>): Promise<Device> {
  const row: PosDeviceRow = {
    id: newId("device"),
    creatorId: ctx.creatorId,
    name: input.name,
    publicJwk: JSON.stringify({ kty: "OKP", crv: "Ed25519", x: input.public_key.x }),
    maxUnitsPerTransaction: input.max_units_per_transaction,
    maxOfflineUnits: input.max_offline_units,
    offlineWindowHours: input.offline_window_hours,
    revokedAt: null,
    createdAt: ctx.now,
    updatedAt: ctx.now,
  };
  const device = renderDevice(row);
  await ctx.commit(
    [
      ctx.db.insert(posDevices).values(row),
      auditWrite(ctx, "pos_device.registered", { type: "pos_device", id: row.id }, device),
    ],
    device,
  );
  return device;
}

export async function findDevice(ctx: Call<unknown>["ctx"], id: string): Promise<PosDeviceRow> {
  const [row] = await ctx.db
    .select()
    .from(posDevices)
    .where(and(eq(posDevices.creatorId, ctx.creatorId), eq(posDevices.id, id)))
    .limit(1);
  if (row === undefined) throw notFound("device", id);
  return row;
}

export async function getDevice({ ctx, input }: Call<{ id: string }>): Promise<Device> {
  return renderDevice(await findDevice(ctx, input.id));
}

/** A revoked device's batches are refused (403) from then on; revoking again changes nothing. */
export async function revokeDevice({ ctx, input }: Call<{ id: string }>): Promise<Device> {
  const row = await findDevice(ctx, input.id);
  if (row.revokedAt !== null) return renderDevice(row);
  const revoked = renderDevice({ ...row, revokedAt: ctx.now, updatedAt: ctx.now });
  await ctx.commit(
    [
      ctx.db
        .update(posDevices)
        .set({ revokedAt: ctx.now, updatedAt: ctx.now })
        .where(and(eq(posDevices.id, row.id), isNull(posDevices.revokedAt))),
      auditWrite(ctx, "pos_device.revoked", { type: "pos_device", id: row.id }, {}),
    ],
    revoked,
  );
  return revoked;
}
