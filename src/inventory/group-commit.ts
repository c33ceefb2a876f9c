/**
 * Group commit for a drop object's reserves. While one batch's writes are being made durable, new calls
 * queue; the next batch applies them all in one synchronous pass (one storage transaction), and each
 * caller is answered only once the commit holding its write is durable.
 *
 * The queue is bounded twice: by length (a call beyond it is answered `overloaded` at once) and by age
 * (a call that waited too long is answered `overloaded` rather than applied late).
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

export class GroupCommit<C, R> {
  private queue: Queued<C, R>[] = [];
  private draining = false;

  constructor(
    private readonly bounds: QueueBounds,
    private readonly batch: Batch<C, R>,
  ) {}

  submit(call: C): Promise<R> {
    if (this.queue.length >= this.bounds.queueLimit) return Promise.resolve(this.batch.overloaded);
    return new Promise((resolve, reject) => {
      this.queue.push({ call, queuedAt: Date.now(), resolve, reject });
      if (!this.draining) void this.drain();
    });
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
        try {
          const results = this.batch.apply(
            batch.map((q) => q.call),
            now,
          );
          await this.batch.durable();
          for (const [i, q] of batch.entries()) q.resolve(results[i] ?? this.batch.overloaded);
        } catch (error) {
          // Nothing in this batch is known durable: fail every caller (the worker answers 5xx).
          this.batch.failed();
          for (const q of batch) q.reject(error);
        }
      }
    } finally {
      this.draining = false;
    }
  }
}
