import { z } from "@hono/zod-openapi";

// The runtime's ICU data knows every ISO 4217 code; read once per isolate.
const isoCodes = new Set(Intl.supportedValuesOf("currency"));

export const CurrencySchema = z
  .string()
  .refine(
    (code) => /^[A-Z]{3}$/.test(code) && isoCodes.has(code),
    "Must be an upper-case ISO 4217 currency code",
  )
  .openapi({ example: "USD", description: "ISO 4217 currency code, upper case." });

/** Amounts are integers in the currency's minor unit (cents for USD, yen for JPY). */
export const MinorUnitsSchema = z
  .number()
  .int("Must be an integer number of minor units")
  .min(0)
  .max(99_999_999)
  .openapi({ example: 300, description: "Integer amount in the currency's minor unit." });

/*
 * Charge granularity, following Stripe's currency rules (https://docs.stripe.com/currencies): an amount
 * Stripe will accept must be a multiple of this many minor units.
 * - Three-decimal currencies (BHD, JOD, KWD, OMR, TND): the last digit must be 0.
 * - ISK, HUF, TWD and UGX are sent with two decimals for compatibility but must be whole units.
 * - Everything else, including zero-decimal currencies such as JPY (whose minor unit is the yen): 1.
 */
const stepOf: Record<string, number> = {
  BHD: 10,
  JOD: 10,
  KWD: 10,
  OMR: 10,
  TND: 10,
  ISK: 100,
  HUF: 100,
  TWD: 100,
  UGX: 100,
};

export const chargeStep = (currency: string): number => stepOf[currency] ?? 1;

/** Field error message when an amount is not chargeable in its currency, or undefined when it is. */
export function stepProblem(currency: string, amount: number): string | undefined {
  const step = chargeStep(currency);
  return amount % step === 0 ? undefined : `${currency} amounts must be multiples of ${step} minor units`;
}
