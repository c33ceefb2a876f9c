/** Money and price lines as the checkout page shows them; pure, shared by the worker's render and the script. */

export interface Line {
  type: string;
  amount: number;
  ref?: string | undefined;
}

const formatters = new Map<string, Intl.NumberFormat>();

function formatterFor(currency: string): Intl.NumberFormat {
  let f = formatters.get(currency);
  if (f === undefined) {
    f = new Intl.NumberFormat("en", { style: "currency", currency });
    formatters.set(currency, f);
  }
  return f;
}

/** Minor units as the currency writes them: 2000 USD is $20.00, 2000 JPY is ¥2,000. */
export function formatMoney(amount: number, currency: string): string {
  const f = formatterFor(currency);
  const digits = f.resolvedOptions().maximumFractionDigits ?? 2;
  return f.format(amount / 10 ** digits);
}

const labels: Record<string, string> = {
  base: "Price",
  localization: "Local price",
  bundle_discount: "Bundle discount",
  experiment: "Special price",
  member_discount: "Member discount",
  coupon: "Coupon",
  floor: "Minimum price",
};

export function lineLabel(line: Line): string {
  const label = labels[line.type] ?? line.type;
  return line.type === "coupon" && line.ref ? `${label} ${line.ref}` : label;
}

export interface StockFigures {
  available: number;
  stock: number;
  phase: string;
}

/** The drop's stock as one sentence: the page writes it only when it changes (a polite live region). */
export function stockText(s: StockFigures): string {
  if (s.phase === "ended" || s.phase === "closed") return "This drop has ended.";
  if (s.available <= 0) return "Sold out";
  const left = `${s.available} of ${s.stock} left`;
  return s.phase === "upcoming" ? `Not on sale yet · ${left}` : left;
}
