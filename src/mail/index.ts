import { allowsLocalStandIns, type Config, misconfigured } from "../config";
import type { Db } from "../db/client";
import { httpMailer } from "./http";
import type { Mailer } from "./mailer";
import { outboxMailer } from "./outbox";

/** The sender the outbox records when MAIL_FROM is unset (development and tests only). */
export const OUTBOX_FROM = "sign-in@localhost";

/**
 * The configured mailer: production mails through the HTTP adapter (config validation has already
 * refused a production without MAIL_API_KEY and MAIL_FROM); development and tests write the outbox,
 * so no test or local run ever mails a real address.
 */
export function mailerFor(
  config: Config,
  db: Db,
  options: { now: () => number; fetch?: typeof fetch },
): Mailer {
  if (allowsLocalStandIns(config)) return outboxMailer(db, config.MAIL_FROM ?? OUTBOX_FROM, options.now);
  if (config.MAIL_API_KEY === undefined || config.MAIL_FROM === undefined) {
    throw misconfigured("MAIL_API_KEY and MAIL_FROM are required outside development and test.");
  }
  return httpMailer({
    apiKey: config.MAIL_API_KEY,
    from: config.MAIL_FROM,
    url: config.MAIL_API_URL,
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  });
}

export { MailDeliveryError, type Mailer, type MailMessage } from "./mailer";
