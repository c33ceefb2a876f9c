/**
 * The dashboard session's cookie. Over HTTPS it is `__Host-cc_dashboard` (Secure, no Domain, Path=/:
 * the prefix requires that path, and it keeps a sibling host from planting a session of its own).
 * A local run over plain http on 127.0.0.1 or localhost (development or test only) gets `cc_dashboard`
 * with Path=/dashboard and no Secure, which Chromium would otherwise refuse to store from http. Either
 * way HttpOnly and SameSite=Strict, and the worker reads it only on /dashboard routes.
 */
import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { allowsLocalStandIns } from "../config";
import type { AppEnv } from "../http/context";
import { SESSION_TTL_MS } from "./session";

interface CookieShape {
  name: string;
  attributes: string;
}

const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

export function cookieShape(c: Context<AppEnv>): CookieShape {
  const url = new URL(c.req.url);
  const local =
    url.protocol === "http:" && LOCAL_HOSTS.has(url.hostname) && allowsLocalStandIns(c.get("config"));
  return local
    ? { name: "cc_dashboard", attributes: "Path=/dashboard; HttpOnly; SameSite=Strict" }
    : { name: "__Host-cc_dashboard", attributes: "Path=/; Secure; HttpOnly; SameSite=Strict" };
}

export const readSessionCookie = (c: Context<AppEnv>): string => getCookie(c, cookieShape(c).name) ?? "";

export function setSessionCookie(c: Context<AppEnv>, secret: string): string {
  const { name, attributes } = cookieShape(c);
  return `${name}=${secret}; Max-Age=${SESSION_TTL_MS / 1000}; ${attributes}`;
}

export function clearSessionCookie(c: Context<AppEnv>): string {
  const { name, attributes } = cookieShape(c);
  return `${name}=; Max-Age=0; ${attributes}`;
}
