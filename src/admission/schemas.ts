import { z } from "@hono/zod-openapi";
import { queueStates, ticketStatuses } from "./queue";

export const QueueSchema = z
  .object({
    state: z.enum(queueStates).openapi({
      description:
        "gathering: before the start, tickets have no place yet. admitting: admitting by rate. paused: " +
        "every unit left is spoken for by admitted buyers. sold_out: nothing left, nobody more is admitted.",
    }),
    waiting: z.number().int().openapi({ description: "Tickets still waiting." }),
    admitted_through: z
      .number()
      .int()
      .openapi({ description: "Position p is admitted once p <= admitted_through." }),
    admit_per_second: z.number().int(),
  })
  .openapi("DropQueue", {
    description: "The drop's admission queue; null while it is off (docs/admission.md).",
  });

export const TicketSchema = z
  .object({
    object: z.literal("queue_ticket"),
    id: z.string().openapi({ example: "qtk_…" }),
    drop_id: z.string(),
    status: z.enum(ticketStatuses).openapi({
      description:
        "waiting; admitted (hold with the admission token before it expires); used (a hold was placed); " +
        "expired (the admission lapsed unused: join again, at the back); sold_out (while the queue is).",
    }),
    position: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "Null before the start: early arrivals are shuffled then." }),
    ahead: z.number().int().nullable().openapi({ description: "Waiting tickets ahead of this one." }),
    estimated_wait_seconds: z.number().int().nullable(),
    admission_token: z
      .string()
      .nullable()
      .openapi({ description: "While admitted: send it to the hold and checkout routes (Admission-Token)." }),
    admission_expires_at: z.string().nullable().openapi({ format: "date-time" }),
    joined_at: z.string().openapi({ format: "date-time" }),
  })
  .openapi("QueueTicket");

export const TicketParams = z.object({
  id: z.string().openapi({ param: { name: "id", in: "path" }, description: "Drop id" }),
  ticketId: z.string().openapi({ param: { name: "ticketId", in: "path" }, description: "Queue ticket id" }),
});

export type TicketView = z.infer<typeof TicketSchema>;
export type QueueView = z.infer<typeof QueueSchema>;
