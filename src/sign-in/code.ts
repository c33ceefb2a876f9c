/** Sign-in codes, pure: how they look, how long they live, how they are hashed and mailed. */
import { randomToken, sha256Hex } from "../lib/crypto";
import type { MailMessage } from "../mail/mailer";

/**
 * 8 characters of Crockford base32: 40 bits. Six digits (20 bits) would fall to the guesses the caps
 * still allow (5 codes an hour × 5 wrong tries, about 219,000 a year against one member: a 1-in-5
 * chance); 2^40 puts that under 1 in 5 million.
 */
export const CODE_LENGTH = 8;
export const CODE_TTL_MS = 10 * 60_000;
/** Wrong codes tried while a code is live; at this many it is dead. */
export const MAX_ATTEMPTS = 5;
/** Codes issued per creator and email in any rolling hour; past it a request is answered but mails nothing. */
export const CODES_PER_HOUR = 5;
export const RATE_WINDOW_MS = 60 * 60_000;

export const newCode = (): string => randomToken(CODE_LENGTH);

/** As mailed: upper case, split in two halves, `7K3Q-9MZD`. */
export const formatCode = (code: string): string =>
  `${code.slice(0, CODE_LENGTH / 2)}-${code.slice(CODE_LENGTH / 2)}`.toUpperCase();

/**
 * What a person typed, as generated: any case, with or without the hyphen or a space; Crockford's
 * look-alikes read as the digits they resemble (o → 0, i and l → 1).
 */
export const normalizeCode = (typed: string): string =>
  typed.toLowerCase().replace(/[\s-]/g, "").replace(/o/g, "0").replace(/[il]/g, "1");

/** Salted with the creator and the email, so a hash proves nothing for any other member or tenant. */
export const codeHash = (creatorId: string, email: string, code: string): Promise<string> =>
  sha256Hex(`sign-in-code:${creatorId}:${email}:${code}`);

export function signInMessage(p: { to: string; code: string; creatorName: string }): MailMessage {
  const shown = formatCode(p.code);
  const minutes = CODE_TTL_MS / 60_000;
  // A creator's name is theirs to choose: no control characters reach a subject line.
  const creator = p.creatorName.replace(/[\p{Cc}\p{Cf}]+/gu, " ").trim();
  return {
    to: p.to,
    // The code stays out of the subject, which lock screens and notifications show.
    subject: `Your sign-in code for ${creator}`,
    text:
      `Your code to sign in to ${creator} is:\n\n    ${shown}\n\n` +
      `It works once, for ${minutes} minutes. If you did not ask for it, ignore this mail: ` +
      "nobody can sign in without the code.\n",
  };
}
