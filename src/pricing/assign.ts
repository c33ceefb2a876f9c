import { sha256 } from "@noble/hashes/sha2.js";

export interface WeightedArm {
  key: string;
  weight: number;
}

const encoder = new TextEncoder();

/**
 * Sticky arm assignment: SHA-256 of the experiment id and the buyer key picks a point in [0, total
 * weight), so a buyer keeps their arm for the experiment's life, on any device that presents the same
 * key, and different experiments split buyers independently. Pure and synchronous (noble's SHA-256 runs
 * in about a microsecond on these short inputs), so the pricing engine stays free of I/O and awaits.
 */
export function assignArm<A extends WeightedArm>(
  experimentId: string,
  buyerKey: string,
  arms: readonly A[],
): A {
  const total = arms.reduce((sum, arm) => sum + arm.weight, 0);
  const digest = sha256(encoder.encode(`${experimentId}\u0000${buyerKey}`));
  // The first 32 bits as an unsigned integer, scaled (not taken modulo) so every weight is exact.
  const u32 = new DataView(digest.buffer, digest.byteOffset, 4).getUint32(0);
  let point = Math.floor((u32 / 2 ** 32) * total);
  for (const arm of arms) {
    if (point < arm.weight) return arm;
    point -= arm.weight;
  }
  // Unreachable for positive weights; the last arm keeps the function total.
  const last = arms[arms.length - 1];
  if (last === undefined) throw new Error("An experiment needs at least one arm");
  return last;
}
