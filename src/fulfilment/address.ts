/**
 * Shipping addresses, validated per country. Pure and table-driven: the country must be a known
 * ISO 3166-1 alpha-2 code; a country with postal codes has its pattern (and its canonical spacing);
 * a country without them accepts none; the US, Canada and Australia need their state or province code.
 * Every field is trimmed, bounded and free of control characters; postal codes and coded regions are
 * upper-cased. Checkout stores the normalised address on the order.
 */
import { z } from "@hono/zod-openapi";
import type { FieldError } from "../errors";

/** Every ISO 3166-1 alpha-2 code assigned to a country or territory. */
export const COUNTRIES: ReadonlySet<string> = new Set(
  (
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW " +
    "BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI " +
    "FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN " +
    "IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME " +
    "MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF " +
    "PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV " +
    "SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE " +
    "YT ZA ZM ZW"
  ).split(" "),
);

/** A country's postal code: the pattern (on the upper-cased, trimmed input) and its canonical form. */
interface PostalRule {
  pattern: RegExp;
  /** Canonical spacing from the match, e.g. "SW1A1AA" → "SW1A 1AA". */
  format?: (m: RegExpMatchArray) => string;
  /** Eircodes are optional: many Irish addresses are delivered without one. */
  optional?: boolean;
}

const spaced = (m: RegExpMatchArray) => `${m[1]} ${m[2]}`;
const dashed = (m: RegExpMatchArray) => `${m[1]}-${m[2]}`;
const digits = (n: number): PostalRule => ({ pattern: new RegExp(`^\\d{${n}}$`) });

export const POSTAL_RULES: Readonly<Record<string, PostalRule>> = {
  US: { pattern: /^(\d{5})(?:-?(\d{4}))?$/, format: (m) => (m[2] ? `${m[1]}-${m[2]}` : `${m[1]}`) },
  CA: { pattern: /^([ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z]) ?(\d[ABCEGHJ-NPRSTV-Z]\d)$/, format: spaced },
  GB: { pattern: /^(GIR|[A-Z]{1,2}\d[A-Z\d]?) ?(\d[A-Z]{2})$/, format: spaced },
  IE: { pattern: /^([AC-FHKNPRTV-Y]\d{2}|D6W) ?([0-9AC-FHKNPRTV-Y]{4})$/, format: spaced, optional: true },
  DE: digits(5),
  FR: digits(5),
  IT: digits(5),
  ES: { pattern: /^(?:0[1-9]|[1-4]\d|5[0-2])\d{3}$/ },
  NL: { pattern: /^([1-9]\d{3}) ?([A-Z]{2})$/, format: spaced },
  BE: digits(4),
  AT: digits(4),
  CH: digits(4),
  DK: digits(4),
  NO: digits(4),
  AU: digits(4),
  NZ: digits(4),
  ZA: digits(4),
  SE: { pattern: /^(\d{3}) ?(\d{2})$/, format: spaced },
  CZ: { pattern: /^(\d{3}) ?(\d{2})$/, format: spaced },
  FI: digits(5),
  MX: digits(5),
  KR: digits(5),
  PL: { pattern: /^(\d{2})-?(\d{3})$/, format: dashed },
  PT: { pattern: /^(\d{4})-?(\d{3})$/, format: dashed },
  JP: { pattern: /^(\d{3})-?(\d{4})$/, format: dashed },
  BR: { pattern: /^(\d{5})-?(\d{3})$/, format: dashed },
  IN: { pattern: /^[1-9]\d{5}$/ },
  SG: digits(6),
  CN: digits(6),
};

/** Countries without postal codes: an address there carries none. */
export const NO_POSTAL_CODES: ReadonlySet<string> = new Set(
  (
    "AE AG AO AW BF BI BJ BO BS BW BZ CD CF CG CI CK CM DJ DM ER FJ GA GD GH GM GQ GY HK KI KM KN KP LC ML " +
    "MO MR MS MW NR NU QA RW SB SC SL SO SR ST SY TD TG TK TL TO TT TV UG VU YE ZW"
  ).split(" "),
);

/** Where the region is required and is one of a closed list of codes (ISO 3166-2 subdivisions). */
export const REGION_CODES: Readonly<Record<string, ReadonlySet<string>>> = {
  US: new Set(
    (
      "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC " +
      "ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY AS GU MP PR VI UM AA AE AP"
    ).split(" "),
  ),
  CA: new Set("AB BC MB NB NL NS NT NU ON PE QC SK YT".split(" ")),
  AU: new Set("ACT NSW NT QLD SA TAS VIC WA".split(" ")),
};

/** Postal codes elsewhere: optional, letters, digits, spaces and dashes. */
const OTHER_POSTAL = /^[A-Z0-9][A-Z0-9 -]{0,10}[A-Z0-9]$|^[A-Z0-9]$/;

export const LIMITS = { name: 100, line1: 200, line2: 200, city: 100, region: 100, postal_code: 20 } as const;

/** What the body may carry; lengths are checked generously here and exactly (after trimming) below. */
export const ShippingAddressBody = z
  .strictObject({
    name: z.string().max(400),
    line1: z.string().max(400),
    line2: z.string().max(400).optional(),
    city: z.string().max(400),
    region: z.string().max(400).optional().openapi({
      description:
        "State, province or county. Required in the US, Canada and Australia: its code (CA, ON, NSW).",
    }),
    postal_code: z.string().max(400).optional().openapi({
      description:
        "Required and checked where the country has postal codes (an Eircode is optional); refused where it has none.",
    }),
    country: z.string().max(400).openapi({ description: "ISO 3166-1 alpha-2, e.g. GB." }),
  })
  .openapi("ShippingAddressInput");
export type ShippingAddressInput = z.infer<typeof ShippingAddressBody>;

export const ShippingAddressSchema = z
  .object({
    name: z.string(),
    line1: z.string(),
    line2: z.string().nullable(),
    city: z.string(),
    region: z.string().nullable(),
    postal_code: z.string().nullable(),
    country: z.string(),
  })
  .openapi("ShippingAddress");
/** The normalised address, as stored on the order and shown. */
export type ShippingAddress = z.infer<typeof ShippingAddressSchema>;

// C0 and C1 controls, DEL, line and paragraph separators, and bidirectional overrides and isolates.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** The address normalised, or the field errors (paths under `base`) that refuse it. */
export function normaliseAddress(
  input: ShippingAddressInput,
  base = "/shipping_address",
): { address: ShippingAddress } | { errors: FieldError[] } {
  const errors: FieldError[] = [];
  const fail = (field: string, message: string) =>
    errors.push({ in: "body", path: `${base}/${field}`, message });
  const text = (field: keyof typeof LIMITS, value: string | undefined, required: boolean) => {
    if (value === undefined) {
      if (required) fail(field, "Required");
      return null;
    }
    if (CONTROL.test(value)) {
      fail(field, "Must not contain control characters");
      return null;
    }
    const trimmed = value.trim();
    if (trimmed.length === 0) {
      if (required) fail(field, "Required");
      return null;
    }
    if (trimmed.length > LIMITS[field]) {
      fail(field, `At most ${LIMITS[field]} characters`);
      return null;
    }
    return trimmed;
  };
  const name = text("name", input.name, true);
  const line1 = text("line1", input.line1, true);
  const line2 = text("line2", input.line2, false);
  const city = text("city", input.city, true);
  const rawRegion = text("region", input.region, false);
  const rawPostal = text("postal_code", input.postal_code, false);

  const country = input.country.trim().toUpperCase();
  if (!COUNTRIES.has(country)) {
    fail("country", "Not an ISO 3166-1 alpha-2 country code");
    return { errors };
  }
  const region = regionOf(country, rawRegion, fail);
  const postal = postalOf(country, rawPostal, fail);
  if (errors.length > 0 || name === null || line1 === null || city === null) return { errors };
  return { address: { name, line1, line2, city, region, postal_code: postal, country } };
}

function regionOf(country: string, raw: string | null, fail: (f: string, m: string) => void) {
  const codes = REGION_CODES[country];
  if (codes === undefined) return raw;
  if (raw === null) {
    fail("region", `Required in ${country}: the state or province code`);
    return null;
  }
  const code = raw.toUpperCase();
  if (!codes.has(code)) fail("region", `Not a ${country} state or province code`);
  return code;
}

function postalOf(country: string, raw: string | null, fail: (f: string, m: string) => void) {
  if (NO_POSTAL_CODES.has(country)) {
    if (raw !== null) fail("postal_code", `${country} has no postal codes: leave it out`);
    return null;
  }
  const rule = POSTAL_RULES[country];
  if (raw === null) {
    if (rule !== undefined && !rule.optional) fail("postal_code", `Required in ${country}`);
    return null;
  }
  const upper = raw.toUpperCase();
  if (rule === undefined) {
    if (!OTHER_POSTAL.test(upper)) fail("postal_code", "Letters, digits, spaces and dashes only");
    return upper;
  }
  const match = upper.match(rule.pattern);
  if (match === null) {
    fail("postal_code", `Not a valid ${country} postal code`);
    return null;
  }
  return rule.format ? rule.format(match) : upper;
}

/** The region key routing rules match ("US-CA"), or null when the address names none. */
export const regionKey = (address: Pick<ShippingAddress, "country" | "region">): string | null =>
  address.region === null ? null : `${address.country}-${address.region.toUpperCase()}`;
