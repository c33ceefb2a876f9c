/** Signing in by email: one-time codes, and the development outbox that carries them. */
import { sql } from "drizzle-orm";
import { check, index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { members } from "./catalog";
import { createdAt, creatorRef } from "./columns";

/**
 * One-time sign-in codes, mailed to a member's address. Only a SHA-256 of the code (salted with the
 * creator and the email) is kept. A code is live while unused, unexpired and under its wrong-attempt
 * cap; every change to it is one guarded UPDATE, so parallel guesses cannot outrun the cap.
 */
export const signInCodes = sqliteTable(
  "sign_in_codes",
  {
    /** `sic_…` */
    id: text("id").primaryKey(),
    creatorId: creatorRef(),
    memberId: text("member_id")
      .notNull()
      .references(() => members.id),
    /** Normalized as members' emails are: the rate limit and the lookup both key on it. */
    email: text("email").notNull(),
    codeHash: text("code_hash").notNull(),
    /** Wrong codes tried while this one was live; at the cap the code is dead. */
    attempts: integer("attempts").notNull().default(0),
    createdAt: createdAt(),
    expiresAt: integer("expires_at", { mode: "number" }).notNull(),
    usedAt: integer("used_at", { mode: "number" }),
    /** A random id of the request that last changed the row: its audit rows select by it, in the same batch. */
    lastTouch: text("last_touch"),
  },
  (t) => [
    index("sign_in_codes_email_idx").on(t.creatorId, t.email, t.createdAt),
    check("sign_in_codes_attempts", sql`${t.attempts} >= 0`),
  ],
);

/**
 * Mail the development and test mailer "sends": read back by GET /v1/dev/outbox. Production mails
 * through the HTTP adapter and never writes here.
 */
export const mailOutbox = sqliteTable(
  "mail_outbox",
  {
    /** `msg_…` */
    id: text("id").primaryKey(),
    to: text("to").notNull(),
    from: text("from").notNull(),
    subject: text("subject").notNull(),
    text: text("text").notNull(),
    html: text("html"),
    createdAt: createdAt(),
  },
  (t) => [index("mail_outbox_to_idx").on(t.to, t.createdAt)],
);
