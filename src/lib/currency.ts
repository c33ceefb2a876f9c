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
