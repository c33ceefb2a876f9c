/**
 * Which of a batch's fresh items may land: the device's rules (window, per-item and offline limits), an
 * active offer of this creator, an allotment that is this creator's, this device's and for the item's
 * offer, and the drop rule (an offer behind an open or upcoming drop sells only from its allotments).
 * Every refusal is per item; nothing here reads or writes.
 */

import type { PosDeviceRow } from "../db/schema";
import { CAPTURE_SKEW_MS, normalEmail, type PosItemInput } from "./batch";
import { dropGate } from "./drop-gate";
import type { Facts } from "./facts";
import type { Accepted, Reject } from "./reconcile";

/** Pure: decides on the batch's facts (facts.ts), read before. */
export function admissible(
  now: number,
  device: PosDeviceRow,
  items: { index: number; item: PosItemInput }[],
  facts: Facts,
  reject: Reject,
): Accepted[] {
  const windowMs = device.offlineWindowHours * 3600_000;
  const known = facts.offers;
  const allotments = facts.allotments;
  const gate = dropGate(facts, known, now);
  let offlineUnits = facts.offlineUnits;
  const accepted: Accepted[] = [];
  for (const { index, item } of items) {
    const capturedAt = Date.parse(item.captured_at);
    const offer = known.get(item.offer_id);
    if (capturedAt > now + CAPTURE_SKEW_MS || capturedAt < now - windowMs) {
      reject(
        index,
        item.client_id,
        "offline_window_exceeded",
        `Captured outside the device's ${device.offlineWindowHours}-hour window.`,
      );
    } else if (item.quantity > device.maxUnitsPerTransaction) {
      reject(
        index,
        item.client_id,
        "device_limit_exceeded",
        `This device may sell ${device.maxUnitsPerTransaction} units per item.`,
      );
    } else if (offlineUnits + item.quantity > device.maxOfflineUnits) {
      reject(
        index,
        item.client_id,
        "device_limit_exceeded",
        `This device's offline total is ${device.maxOfflineUnits} units per window.`,
      );
    } else if (offer === undefined) {
      reject(index, item.client_id, "unknown_offer", `No active offer ${item.offer_id} for this creator.`);
    } else {
      const allotment = item.allotment_id === undefined ? undefined : allotments.get(item.allotment_id);
      const problem =
        item.allotment_id === undefined
          ? null
          : allotment === undefined
            ? `No allotment ${item.allotment_id} for this creator.`
            : allotment.offerId !== offer.id
              ? `Allotment ${allotment.id} is for drop ${allotment.dropId}, which sells another offer.`
              : capturedAt < allotment.createdAt - CAPTURE_SKEW_MS
                ? `Captured before allotment ${allotment.id} was claimed.`
                : null;
      if (problem !== null) {
        reject(index, item.client_id, "invalid", problem);
        continue;
      }
      // An allotment is one device's units: another device of the creator never draws it down (nor,
      // once it ended, the open stock it falls back to), or a lost device's claim could be spent twice.
      if (allotment && allotment.deviceId !== device.id) {
        reject(
          index,
          item.client_id,
          "allotment_not_owned",
          `Allotment ${allotment.id} was claimed by another device; a device sells only from its own allotments.`,
        );
        continue;
      }
      const gated = gate.refusal(offer, capturedAt, allotment !== undefined);
      if (gated !== null) {
        reject(index, item.client_id, "drop_required", gated);
        continue;
      }
      offlineUnits += item.quantity;
      accepted.push({
        index,
        item,
        email: normalEmail(item.email),
        capturedAt,
        offer,
        ...(allotment && { allotment: { id: allotment.id, dropId: allotment.dropId } }),
      });
    }
  }
  return accepted;
}
