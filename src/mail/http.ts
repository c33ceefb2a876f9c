import { MailDeliveryError, type Mailer, type MailMessage } from "./mailer";

/** Resend's send endpoint; any API taking the same JSON (a relay, a fake) can stand in via MAIL_API_URL. */
export const RESEND_EMAILS_URL = "https://api.resend.com/emails";

export interface HttpMailerOptions {
  apiKey: string;
  /** `name@domain` or `Name <name@domain>`. */
  from: string;
  url?: string | undefined;
  /** Injected so tests never reach the network; the runtime's fetch by default. */
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/**
 * A mailer over Resend's documented `POST /emails`: a bearer key and the JSON `{from, to, subject,
 * text, html?}`; any 2xx is accepted. One attempt: a lost sign-in code is cheap to ask for again, and
 * a retry could mail the same code twice.
 */
export function httpMailer(options: HttpMailerOptions): Mailer {
  const send = options.fetch ?? ((input, init) => fetch(input, init));
  const url = options.url ?? RESEND_EMAILS_URL;
  return {
    async send(message: MailMessage) {
      let res: Response;
      try {
        res = await send(url, {
          method: "POST",
          headers: { authorization: `Bearer ${options.apiKey}`, "content-type": "application/json" },
          body: JSON.stringify({
            from: options.from,
            to: [message.to],
            subject: message.subject,
            text: message.text,
            ...(message.html === undefined ? {} : { html: message.html }),
          }),
          signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
        });
      } catch (error) {
        throw new MailDeliveryError(`The mail API could not be reached: ${String(error)}`);
      }
      if (res.ok) {
        await res.body?.cancel();
        return;
      }
      // The provider's own words help an operator (an unverified domain, a bad key); they hold no secret.
      const detail = (await res.text().catch(() => "")).slice(0, 300);
      throw new MailDeliveryError(`The mail API answered ${res.status}: ${detail}`, res.status);
    },
  };
}
