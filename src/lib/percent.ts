import { z } from "@hono/zod-openapi";

/**
 * Percentages travel as numbers with at most two decimals (12.5 means 12.5 %) and are stored as
 * integer basis points (1250), so that every price change is exact integer arithmetic.
 */
export const percentSchema = (min: number, max: number) =>
  z
    .number()
    .min(min)
    .max(max)
    .refine((p) => Math.abs(p * 100 - Math.round(p * 100)) < 1e-6, "At most two decimals");

// `+ 0` turns -0 (from a percent of -0) into 0; inputs were checked to two decimals, so this is exact.
export const toBps = (percent: number): number => Math.round(percent * 100) + 0;
export const fromBps = (bps: number): number => bps / 100;
