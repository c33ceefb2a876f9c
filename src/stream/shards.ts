/**
 * Which relay serves a viewer. A drop's viewers are spread over RELAYS_PER_DROP relay objects, named
 * `<drop id>:<shard>`, by a hash of a viewer key: the `viewer` query parameter the client generates and
 * keeps (so a reconnect lands on the same relay, whose ring holds what it missed), else the connecting
 * IP. A relay comes into being only when a viewer hashes to it, so a small drop has few relays.
 *
 * docs/stream.md has the arithmetic: a relay is sized for RELAY_CAPACITY viewers, so that one message's
 * fan-out fits within the drop's 250 ms publish interval (bench/fanout.sh measured 1,000 sockets on one
 * relay at 74 ms p50 from hold to last viewer, 4,000 at 412 ms, on a shared 2-core machine). A
 * 50,000-viewer drop spreads over all 32 relays, about 1,560 viewers each, and the drop's object sends
 * 32 RPCs per message instead of 50,000 frames.
 */

export const RELAYS_PER_DROP = 32;
/** The viewers one relay is sized for; RELAYS_PER_DROP × this (64,000) is the designed ceiling of a drop. */
export const RELAY_CAPACITY = 2000;

/** A viewer key the client chose: like a buyer id, 8 to 128 URL-safe characters. */
export const VIEWER_KEY = /^[A-Za-z0-9_-]{8,128}$/;

/** FNV-1a, 32 bits: stable across isolates and releases, which is all a shard needs. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export const shardOf = (viewerKey: string, relays = RELAYS_PER_DROP): number => hash32(viewerKey) % relays;

export const relayName = (dropId: string, shard: number): string => `${dropId}:${shard}`;
