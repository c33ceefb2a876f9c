/**
 * Spending a proof-of-work challenge once. The challenge is a signed token with a five-minute expiry,
 * so nothing is stored when one is handed out, and a spent id only has to be remembered until the
 * challenge would have expired anyway. That memory is the rate-limit counter object (src/ratelimit/
 * counter.ts): one object per challenge id, counting with a limit of 1 over the challenge's remaining
 * life. Why that and not a table or an object of our own: the counter is already single-threaded per
 * key (so two racing redemptions of one challenge cannot both pass), already deletes itself once its
 * window ends (so spent ids leave nothing behind), needs no migration or new binding, and one object
 * per id means no hot object however many buyers solve at once.
 */
import type { RateCounter } from "../ratelimit/counter";
import type { Challenge } from "./pow";

/** True the first time a challenge is spent, false on every later try. */
export interface ChallengeLedger {
  spend(challenge: Challenge, now: number): Promise<boolean>;
}

export const counterLedger = (namespace: DurableObjectNamespace<RateCounter>): ChallengeLedger => ({
  async spend(challenge, now) {
    const counter = namespace.get(namespace.idFromName(`pow:${challenge.id}`));
    // At least a second: a challenge spent in its last millisecond is still remembered past its expiry.
    const windowMs = Math.max(1000, challenge.expiresAt - now + 1000);
    // Durable: an object evicted mid-window must still remember the id, or a replay would pass.
    const result = await counter.hit("pow_challenge_spent", 1, windowMs, { now, durable: true });
    return result.ok;
  },
});
