/** Sending mail: one interface, a real HTTP adapter (./http.ts) and a development outbox (./outbox.ts). */

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

export interface Mailer {
  /** Resolves once the message is accepted for delivery; rejects with MailDeliveryError otherwise. */
  send(message: MailMessage): Promise<void>;
}

/** The mail API refused a message or could not be reached. Never carries the API key. */
export class MailDeliveryError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "MailDeliveryError";
  }
}
