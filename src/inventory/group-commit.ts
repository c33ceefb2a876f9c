/**
 * Group commit for a drop object's reserves. While one batch's writes are being made durable, new calls
 * queue; the next batch applies them all in one synchronous pass (one storage transaction), and each
 * caller is answered only once the commit holding its write is durable.
 *
 * Load is shed early and in arrival order, so that what is accepted is answered promptly (a refusal is
 * `overloaded`, which the worker answers 503 with Retry-After):
 * - by length: a call beyond `queueLimit` waiting calls is refused at once;
 * - by expected wait: a call is refused at once when the calls ahead of it, at the per-call service time
 *   the object measured, and what is left of the batch being committed, would keep it waiting longer
 *   than `queueWaitLimitMs`;
 * - by age: a call that still waited longer than `queueWaitLimitMs` is refused rather than applied late.
 */
export interface QueueBounds {
  queueLimit: number;
  queueWaitLimitMs: number;
}

interface Queued<C, R> {
  call: C;
  queuedAt: number;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

export interface Batch<C, R> {
  /** Applies the calls in order, synchronously; throws if nothing of it landed. */
  apply: (calls: C[], now: number) => R[];
  /** Makes the batch durable (and whatever must follow it); answers wait for it. */
  durable: () => Promise<void>;
  /** Nothing of the batch is known durable: memory must start again from storage. */
  failed: () => void;
  overloaded: R;
}

/**
 * The measured service rate. A batch's time is a fixed part (the durable commit) and a part per call;
 * only batches of at least MIN_SAMPLE_BATCH calls are sampled, where the per-call part dominates, so a
 * lightly loaded object (small batches, a commit's fixed cost each) never refuses on an estimate.
 */
export const MIN_SAMPLE_BATCH = 16;
const SMOOTHING = 0.2;

/** Smoothed milliseconds per call over sampled batches; null until one was sampled. */
export type PerCallMs = number | null;

/** The per-call time after a batch of `size` calls took `ms`, start to durable. Pure. */
export function observeBatch(perCallMs: PerCallMs, size: number, ms: number): PerCallMs {
  if (size < MIN_SAMPLE_BATCH) return perCallMs;
  const sample = ms / size;
  return perCallMs === null ? sample : perCallMs + SMOOTHING * (sample - perCallMs);
}

/** The batch being applied and made durable: how many calls, and since when. */
export interface InFlight {
  size: number;
  startedAt: number;
}

/**
 * How long a call arriving at `now` would wait for its answer: what is left of the batch in flight,
 * then a batch of the `queued` calls ahead of it and itself. Null while the rate is unknown. Pure.
 */
export function expectedWaitMs(
  perCallMs: PerCallMs,
  queued: number,
  inFlight: InFlight | null,
  now: number,
): number | null {
  if (perCallMs === null) return null;
  const left = inFlight === null ? 0 : Math.max(0, inFlight.size * perCallMs - (now - inFlight.startedAt));
  return left + (queued + 1) * perCallMs;
}

export class GroupCommit<C, R> {
  private queue: Queued<C, R>[] = [];
  private draining = false;
  private inFlight: InFlight | null = null;
  private perCallMs: PerCallMs = null;

  constructor(
    private readonly bounds: QueueBounds,
    private readonly batch: Batch<C, R>,
  ) {}

  submit(call: C): Promise<R> {
    if (this.queue.length >= this.bounds.queueLimit || this.tooLongAWait()) {
      return Promise.resolve(this.batch.overloaded);
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ call, queuedAt: Date.now(), resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  private tooLongAWait(): boolean {
    if (!this.draining) return false;
    const wait = expectedWaitMs(this.perCallMs, this.queue.length, this.inFlight, Date.now());
    return wait !== null && wait > this.bounds.queueWaitLimitMs;
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const now = Date.now();
        const batch: Queued<C, R>[] = [];
        for (const q of this.queue.splice(0)) {
          if (now - q.queuedAt > this.bounds.queueWaitLimitMs) q.resolve(this.batch.overloaded);
          else batch.push(q);
        }
        if (batch.length === 0) continue;
        this.inFlight = { size: batch.length, startedAt: now };
        try {
          const results = this.batch.apply(
            batch.map((q) => q.call),
            now,
          );
          await this.batch.durable();
          this.perCallMs = observeBatch(this.perCallMs, batch.length, Date.now() - now);
          for (const [i, q] of batch.entries()) q.resolve(results[i] ?? this.batch.overloaded);
        } catch (error) {
          // Nothing in this batch is known durable: fail every caller (the worker answers 5xx).
          this.batch.failed();
          for (const q of batch) q.reject(error);
        } finally {
          this.inFlight = null;
        }
      }
    } finally {
      this.draining = false;
    }
  }
}
