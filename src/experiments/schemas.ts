import { z } from "@hono/zod-openapi";
import { experimentStatuses } from "../db/schema";
import { CurrencySchema, stepProblem } from "../lib/currency";
import { fromBps, percentSchema } from "../lib/percent";

/** Percent arms are stored as signed basis points; these bound what a creator may ask for. */
export const MIN_PERCENT_BPS = -9000;
export const MAX_PERCENT_BPS = 20_000;

const ArmAmount = z
  .strictObject({
    currency: CurrencySchema,
    amount: z
      .number()
      .int("Must be an integer number of minor units")
      .min(-99_999_999)
      .max(99_999_999)
      .openapi({ example: -100, description: "Signed minor units per unit: negative is cheaper." }),
  })
  .superRefine((entry, check) => {
    const problem = stepProblem(entry.currency, entry.amount);
    if (problem) check.addIssue({ code: "custom", path: ["amount"], message: problem });
  });

const AdjustmentInput = z
  .discriminatedUnion("type", [
    z.strictObject({ type: z.literal("none") }),
    z.strictObject({
      type: z.literal("percent"),
      percent: percentSchema(fromBps(MIN_PERCENT_BPS), fromBps(MAX_PERCENT_BPS)).openapi({
        example: -10,
        description: "Signed percent of the list price: -10 is 10 % off.",
      }),
    }),
    z.strictObject({
      type: z.literal("amount"),
      amounts: z
        .array(ArmAmount)
        .min(1)
        .max(50)
        .superRefine((amounts, check) => {
          const seen = new Set<string>();
          amounts.forEach((a, i) => {
            if (seen.has(a.currency))
              check.addIssue({ code: "custom", path: [i, "currency"], message: "Listed twice" });
            seen.add(a.currency);
          });
        })
        .openapi({ description: "Per currency; a currency not listed is not adjusted." }),
    }),
  ])
  .openapi("ArmAdjustmentInput");

const ArmInput = z
  .strictObject({
    key: z
      .string()
      .regex(/^[a-z0-9_-]{1,32}$/, "1 to 32 of a-z, 0-9, _ and -")
      .openapi({ example: "control", description: "Names the arm on orders and in results." }),
    weight: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .openapi({ description: "Share of buyers is this weight over the sum of weights." }),
    adjustment: AdjustmentInput,
  })
  .openapi("ExperimentArmInput");

export const CreateExperimentBody = z
  .strictObject({
    offer_id: z.string().min(1).max(64),
    name: z.string().trim().min(1).max(100),
    arms: z
      .array(ArmInput)
      .min(2)
      .max(10)
      .superRefine((arms, check) => {
        const seen = new Set<string>();
        arms.forEach((arm, i) => {
          if (seen.has(arm.key))
            check.addIssue({ code: "custom", path: [i, "key"], message: "Listed twice" });
          seen.add(arm.key);
        });
      })
      .openapi({ description: "2 to 10 arms with unique keys. Arms cannot change after creation." }),
  })
  .openapi("CreateExperiment");

/**
 * Start and stop take no fields. Their routes declare this body optional: with no body the request
 * runs, a JSON body must be `{}` (so `{"force": true}` is a 422, not silently ignored), and a body
 * without a JSON content type is 415, as on every other write.
 */
export const NoFieldsBody = z.strictObject({}).openapi("NoFields");

const Money = z.object({ currency: z.string(), amount: z.number().int() });

const AdjustmentView = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("none") }),
    z.object({ type: z.literal("percent"), percent: z.number() }),
    z.object({ type: z.literal("amount"), amounts: z.array(Money) }),
  ])
  .openapi("ArmAdjustment");

const Instant = z.string().openapi({ format: "date-time" });

export const ExperimentSchema = z
  .object({
    id: z.string().openapi({ example: "exp_3f9k2m…" }),
    object: z.literal("experiment"),
    offer_id: z.string(),
    name: z.string(),
    status: z.enum(experimentStatuses),
    arms: z.array(z.object({ key: z.string(), weight: z.number().int(), adjustment: AdjustmentView })),
    started_at: Instant.nullable(),
    stopped_at: Instant.nullable(),
    created_at: Instant,
    updated_at: Instant,
  })
  .openapi("Experiment");

export const ExperimentResultsSchema = z
  .object({
    experiment_id: z.string(),
    status: z.enum(experimentStatuses),
    started_at: Instant.nullable(),
    stopped_at: Instant.nullable(),
    arms: z.array(
      z.object({
        key: z.string(),
        weight: z.number().int(),
        orders_paid: z.number().int(),
        units: z.number().int().openapi({ description: "Units in paid orders." }),
        revenue: z.array(Money).openapi({ description: "Paid order totals, per currency." }),
        orders_refunded: z.number().int(),
      }),
    ),
  })
  .openapi("ExperimentResults");

export type Experiment = z.infer<typeof ExperimentSchema>;
export type ExperimentResults = z.infer<typeof ExperimentResultsSchema>;
export type CreateExperimentInput = z.infer<typeof CreateExperimentBody>;
export type ArmInput = z.infer<typeof ArmInput>;
export type AdjustmentView = z.infer<typeof AdjustmentView>;
