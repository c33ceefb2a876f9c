import { randomToken } from "./crypto";

/** Prefixed ids say what they name (`off_…` is an offer) and carry 120 random bits. */
export const idPrefixes = {
  creator: "cre",
  apiKey: "key",
  offer: "off",
  drop: "drp",
  member: "mem",
  order: "ord",
  entitlement: "ent",
  hold: "hld",
  audit: "aud",
  experiment: "exp",
  coupon: "cpn",
  quote: "qte",
  refreshCredential: "rfc",
  token: "tok",
  device: "dev",
  signInCode: "sic",
  mailMessage: "msg",
  subscription: "sub",
  invoice: "inv",
  mrrMovement: "mrr",
  link: "lnk",
  overlayToken: "ovl",
  webhookEndpoint: "we",
  webhookEvent: "evt",
  webhookDelivery: "whd",
  hub: "hub",
  queueTicket: "qtk",
} as const;

export type IdKind = keyof typeof idPrefixes;

export const newId = (kind: IdKind): string => `${idPrefixes[kind]}_${randomToken(24)}`;

/** The subscription a membership order starts: `sub_` and the order's own random part. */
export const subscriptionIdFor = (orderId: string): string =>
  `${idPrefixes.subscription}_${orderId.slice(orderId.indexOf("_") + 1)}`;
