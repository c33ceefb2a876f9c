/** What the worker hands the checkout page's script, in the page's `#cc-config` JSON block. */
export interface PageConfig {
  link_id: string;
  offer_id: string;
  drop_id: string | null;
  quantity: number;
  currency: string | null;
  coupon: string | null;
  source: "link" | "overlay" | "pos" | "api";
  attribution: Record<string, string> | null;
  success_url: string | null;
  /** A fresh anonymous buyer id for this page load (the script keeps one per tab in sessionStorage). */
  buyer_id: string;
  /** The origin of the embedding page, when the page is embedded (and that origin is allowed). */
  parent: string | null;
  /** Stripe's publishable key when the Payment Element is used; null: the sandbox's card form. */
  stripe_key: string | null;
  /** Where the drop's live stock comes from: the WebSocket stream, or polling the stock route. */
  stock: "stream" | "poll" | null;
}
