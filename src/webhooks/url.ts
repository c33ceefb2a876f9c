/**
 * Where an endpoint may point. Production: https only, and never a private, loopback or link-local
 * host (the worker must not be a way to reach a network it can see and the creator cannot). Development
 * and tests: https to any public host, and http or https to this machine (the local receiver of the
 * walkthrough); still never another private or link-local address.
 * A check on the name as written: Workers' fetch reaches only public addresses anyway.
 */
const LOCAL_NAMES = /^(localhost|.*\.localhost|.*\.local|.*\.internal)$/i;

function privateIPv4(host: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    a >= 224
  );
}

function privateIPv6(host: string): boolean {
  if (!host.startsWith("[")) return false;
  const h = host.slice(1, -1).toLowerCase();
  return (
    h === "::" ||
    h === "::1" ||
    h.startsWith("fc") ||
    h.startsWith("fd") ||
    h.startsWith("fe8") ||
    h.startsWith("fe9") ||
    h.startsWith("fea") ||
    h.startsWith("feb") ||
    h.startsWith("::ffff:")
  );
}

const isLoopback = (host: string) =>
  host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);

/** Why `url` cannot be an endpoint, or null when it can. */
export function endpointUrlProblem(url: string, production: boolean): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "Not a URL";
  }
  if (parsed.username !== "" || parsed.password !== "") return "Must not carry a user name or password";
  if (parsed.hash !== "") return "Must not carry a #fragment";
  const host = parsed.hostname;
  if (production) {
    if (parsed.protocol !== "https:") return "Must be an https URL";
    if (LOCAL_NAMES.test(host) || privateIPv4(host) || privateIPv6(host)) {
      return "Must be a public host, not a private, loopback or link-local one";
    }
    return null;
  }
  if (isLoopback(host))
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? null : "Must be an https URL";
  if (parsed.protocol !== "https:")
    return "Must be an https URL (plain http only to localhost outside production)";
  if (privateIPv4(host) || privateIPv6(host)) return "Must be a public host, not a private or link-local one";
  return null;
}
