/**
 * The buyer side of buyer tokens (docs/buyer-tokens.md): solve a proof-of-work challenge with WebCrypto
 * and mint a token. Runs in browsers, workers and Node 20 alike; imports nothing of the worker, and
 * speaks only the documented routes.
 */

/** Leading zero bits of a digest, most significant bit first. */
export function leadingZeroBits(digest: Uint8Array): number {
  let bits = 0;
  for (const byte of digest) {
    if (byte !== 0) return bits + Math.clz32(byte) - 24;
    bits += 8;
  }
  return bits;
}

export interface SolveOptions {
  /** Gives up (throws the signal's reason) when aborted: the buyer left, the challenge expired. */
  signal?: AbortSignal;
  /** Called every 4,096 tries with the count so far, for a progress indicator. */
  onProgress?: (tries: number) => void;
}

/**
 * A nonce such that SHA-256(challenge ‖ nonce) starts with `difficulty` zero bits: 2^difficulty tries on
 * average. Nonces are base-36 counters, within the server's 1 to 64 characters of A-Z a-z 0-9 - _.
 */
export async function solveChallenge(
  challenge: string,
  difficulty: number,
  options: SolveOptions = {},
): Promise<string> {
  const encoder = new TextEncoder();
  const prefix = encoder.encode(challenge);
  // One buffer for every try: the challenge's bytes once, then the nonce's, at most 11 base-36 digits.
  const buffer = new Uint8Array(prefix.length + 16);
  buffer.set(prefix);
  for (let tries = 0; ; tries++) {
    const nonce = tries.toString(36);
    const written = encoder.encodeInto(nonce, buffer.subarray(prefix.length)).written;
    const digest = await crypto.subtle.digest("SHA-256", buffer.subarray(0, prefix.length + written));
    if (leadingZeroBits(new Uint8Array(digest)) >= difficulty) return nonce;
    if ((tries & 4095) === 4095) {
      options.signal?.throwIfAborted();
      options.onProgress?.(tries + 1);
    }
  }
}

export interface BuyerToken {
  object: "buyer_token";
  token: string;
  buyer_key: string;
  pow_bits: number;
  expires_at: string;
}

interface Challenge {
  challenge: string;
  difficulty: number;
}

async function json<T>(res: Response): Promise<T> {
  const body = (await res.json()) as T & { detail?: string };
  if (!res.ok) throw new Error(`${res.status}: ${body.detail ?? "the buyer token was refused"}`);
  return body;
}

/**
 * A buyer token from the worker at `origin`. With `dropId`, earns the proof of work that drop asks
 * for (its challenge names the difficulty); with `pow: false`, mints a plain token (enough for `token`
 * drops). Keep the token (it lasts a day) and send it as the Buyer-Token header.
 */
export async function fetchBuyerToken(
  origin: string,
  options: SolveOptions & { dropId?: string; pow?: boolean; fetch?: typeof fetch } = {},
): Promise<BuyerToken> {
  const call = options.fetch ?? fetch;
  const mint = (body: Record<string, string>) =>
    call(`${origin}/v1/buyer-tokens`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  if (options.pow === false) return json<BuyerToken>(await mint({}));
  const query = options.dropId === undefined ? "" : `?drop_id=${encodeURIComponent(options.dropId)}`;
  const challenge = await json<Challenge>(await call(`${origin}/v1/buyer-tokens/challenge${query}`));
  const nonce = await solveChallenge(challenge.challenge, challenge.difficulty, options);
  return json<BuyerToken>(await mint({ challenge: challenge.challenge, nonce }));
}
