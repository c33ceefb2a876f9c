import { desc, eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { mailOutbox } from "../db/schema";
import { newId } from "../lib/ids";
import { toIso } from "../lib/time";
import type { Mailer, MailMessage } from "./mailer";

/** Mail as the outbox shows it. */
export interface OutboxMessage {
  object: "mail_message";
  id: string;
  to: string;
  from: string;
  subject: string;
  text: string;
  html: string | null;
  created_at: string;
}

/** Development and test mail: each message is a row in D1, read back through GET /v1/dev/outbox. */
export function outboxMailer(db: Db, from: string, now: () => number): Mailer {
  return {
    async send(message: MailMessage) {
      await db.insert(mailOutbox).values({
        id: newId("mailMessage"),
        to: message.to,
        from,
        subject: message.subject,
        text: message.text,
        html: message.html ?? null,
        createdAt: now(),
      });
    },
  };
}

/** The latest messages, newest first, to one address or to anyone. */
export async function readOutbox(
  db: Db,
  p: { to?: string | undefined; limit: number },
): Promise<OutboxMessage[]> {
  const rows = await db
    .select()
    .from(mailOutbox)
    .where(p.to === undefined ? undefined : eq(mailOutbox.to, p.to))
    .orderBy(desc(mailOutbox.createdAt), desc(mailOutbox.id))
    .limit(p.limit);
  return rows.map((r) => ({
    object: "mail_message",
    id: r.id,
    to: r.to,
    from: r.from,
    subject: r.subject,
    text: r.text,
    html: r.html,
    created_at: toIso(r.createdAt),
  }));
}
