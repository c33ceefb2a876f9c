/**
 * A tagged template for server-rendered HTML that escapes every interpolation unless it is already
 * markup built by this same tag (or `trusted`, for the worker's own generated assets). Creator-supplied
 * text (titles, descriptions) can only ever land as text.
 */
export class Markup {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const entities: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (ch) => entities[ch] ?? ch);

type Part = Markup | string | number | null | undefined | false | readonly Part[];

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return "";
  if (part instanceof Markup) return part.value;
  if (Array.isArray(part)) return part.map(render).join("");
  return escapeHtml(String(part));
}

export function html(strings: TemplateStringsArray, ...parts: Part[]): Markup {
  let out = strings[0] ?? "";
  for (const [i, part] of parts.entries()) out += render(part) + (strings[i + 1] ?? "");
  return new Markup(out);
}

/** Text the worker itself produced (its CSS, its bundled script): inserted as is. */
export const trusted = (text: string): Markup => new Markup(text);

/**
 * JSON for a `<script type="application/json">` block: `<`, `>`, `&` and the line separators are
 * escaped, so no value can close the element or start a comment.
 */
export const scriptJson = (value: unknown): Markup =>
  new Markup(
    JSON.stringify(value)
      .replace(/</g, "\\u003c")
      .replace(/>/g, "\\u003e")
      .replace(/&/g, "\\u0026")
      .replace(/\u2028/g, "\\u2028")
      .replace(/\u2029/g, "\\u2029"),
  );
