import * as getAllowedOrigins from "./allowed-origins/get";
import * as putAllowedOrigins from "./allowed-origins/put";
import * as createApiKey from "./api-keys/create";
import * as getApiKey from "./api-keys/get";
import * as listApiKeys from "./api-keys/list";
import * as revokeApiKey from "./api-keys/revoke";
import * as rotateApiKey from "./api-keys/rotate";
import * as listAuditEvents from "./audit-events/list";
import * as buyerTokenChallenge from "./buyer-tokens/challenge";
import * as mintBuyerToken from "./buyer-tokens/create";
import * as confirmCheckout from "./checkouts/confirm";
import * as createCheckout from "./checkouts/create";
import * as getCheckout from "./checkouts/get";
import * as listCheckouts from "./checkouts/list";
import * as getCohortRules from "./cohort-rules/get";
import * as putCohortRules from "./cohort-rules/put";
import * as linkConnectAccount from "./connect/account-create";
import * as getConnectAccount from "./connect/account-get";
import * as connectAccountLinks from "./connect/account-links";
import * as connectRefreshPage from "./connect/refresh-page";
import * as connectReturnPage from "./connect/return-page";
import * as createCoupon from "./coupons/create";
import * as getCoupon from "./coupons/get";
import * as listCoupons from "./coupons/list";
import * as updateCoupon from "./coupons/update";
import * as devClock from "./dev/clock";
import * as devOutbox from "./dev/outbox";
import * as createDrop from "./drops/create";
import * as getDrop from "./drops/get";
import * as listDrops from "./drops/list";
import * as rotateOverlayToken from "./drops/overlay-token";
import * as dropStock from "./drops/stock";
import * as dropStream from "./drops/stream";
import * as updateDrop from "./drops/update";
import * as revokeEntitlement from "./entitlements/delete";
import * as getEntitlement from "./entitlements/get";
import * as grantEntitlement from "./entitlements/grant";
import * as exchangeToken from "./entitlements/token";
import * as introspectToken from "./entitlements/verify";
import * as createExperiment from "./experiments/create";
import * as getExperiment from "./experiments/get";
import * as listExperiments from "./experiments/list";
import * as experimentResults from "./experiments/results";
import * as startExperiment from "./experiments/start";
import * as stopExperiment from "./experiments/stop";
import * as listBatches from "./fulfilment/batches";
import * as createHub from "./fulfilment/hubs-create";
import * as getHub from "./fulfilment/hubs-get";
import * as listHubs from "./fulfilment/hubs-list";
import * as updateHub from "./fulfilment/hubs-update";
import * as getFulfilmentRules from "./fulfilment/rules-get";
import * as putFulfilmentRules from "./fulfilment/rules-put";
import * as createHold from "./holds/create";
import * as releaseHold from "./holds/delete";
import * as getHold from "./holds/get";
import * as archiveLink from "./links/archive";
import * as createLink from "./links/create";
import * as getLink from "./links/get";
import * as listLinks from "./links/list";
import * as quoteMyTierChange from "./me/change-quote";
import * as convertTillTier from "./me/subscriptions-create";
import * as mySubscriptions from "./me/subscriptions-list";
import * as updateMySubscription from "./me/subscriptions-update";
import * as changeMyTier from "./me/tier-change";
import * as getMember from "./members/get";
import * as listMembers from "./members/list";
import * as startSession from "./members/sessions";
import * as memberSummary from "./members/summary";
import * as conversionMetrics from "./metrics/conversion";
import * as dropFunnelMetrics from "./metrics/drop-funnel";
import * as enrolmentMetrics from "./metrics/enrolments";
import * as ltvMetrics from "./metrics/ltv";
import * as mrrMetrics from "./metrics/mrr";
import * as paymentMetrics from "./metrics/payments";
import * as retentionMetrics from "./metrics/retention";
import * as subscriptionMetrics from "./metrics/subscriptions";
import * as timeToEntitlementMetrics from "./metrics/time-to-entitlement";
import * as upsellMetrics from "./metrics/upsells";
import * as createOffer from "./offers/create";
import * as getOffer from "./offers/get";
import * as listOffers from "./offers/list";
import * as offerPrice from "./offers/price";
import * as getPriceTable from "./offers/price-table-get";
import * as putPriceTable from "./offers/price-table-put";
import * as updateOffer from "./offers/update";
import * as createCreator from "./operator/create";
import * as getCreator from "./operator/get";
import * as listCreators from "./operator/list";
import * as reinstateCreator from "./operator/reinstate";
import * as suspendCreator from "./operator/suspend";
import * as updateCreator from "./operator/update";
import * as cancelOrder from "./orders/cancel";
import * as collectOrder from "./orders/collect";
import * as exportOrders from "./orders/export";
import * as moveFulfilment from "./orders/fulfilment";
import * as getOrder from "./orders/get";
import * as listOrders from "./orders/list";
import * as orderReceipt from "./orders/receipt";
import * as refundOrder from "./orders/refund";
import * as embedScript from "./pages/embed";
import * as overlayPage from "./pages/overlay";
import * as claimAllotment from "./pos/allotments-create";
import * as releaseAllotment from "./pos/allotments-delete";
import * as getAllotment from "./pos/allotments-get";
import * as registerDevice from "./pos/devices-create";
import * as revokeDevice from "./pos/devices-delete";
import * as getDevice from "./pos/devices-get";
import * as reconcile from "./pos/reconcile";
import * as getQueueTicket from "./queue/get";
import * as joinQueue from "./queue/join";
import * as createQuote from "./quotes/create";
import * as verifyQuote from "./quotes/verify";
import * as requestSignInCode from "./sign-in/request";
import * as verifySignInCode from "./sign-in/verify";
import * as getSubscriptionSettings from "./subscription-settings/get";
import * as putSubscriptionSettings from "./subscription-settings/put";
import * as cancelSubscription from "./subscriptions/cancel";
import * as quoteTierChange from "./subscriptions/change-quote";
import * as getSubscription from "./subscriptions/get";
import * as listSubscriptions from "./subscriptions/list";
import * as refundSubscription from "./subscriptions/refund";
import * as changeTier from "./subscriptions/tier-change";
import * as updateSubscription from "./subscriptions/update";
import * as createWebhookEndpoint from "./webhook-endpoints/create";
import * as webhookDeliveries from "./webhook-endpoints/deliveries";
import * as getWebhookEndpoint from "./webhook-endpoints/get";
import * as listWebhookEndpoints from "./webhook-endpoints/list";
import * as redeliverWebhook from "./webhook-endpoints/redeliver";
import * as rotateWebhookSecret from "./webhook-endpoints/rotate-secret";
import * as webhookSecret from "./webhook-endpoints/secret";
import * as testWebhookEndpoint from "./webhook-endpoints/test";
import * as updateWebhookEndpoint from "./webhook-endpoints/update";
import * as stripeWebhook from "./webhooks/stripe";
import * as jwks from "./well-known/jwks";

/** Every API route, in the order the reference lists them. */
export const routes = [
  listOffers,
  createOffer,
  getOffer,
  updateOffer,
  getPriceTable,
  putPriceTable,
  offerPrice,
  createQuote,
  verifyQuote,
  listCheckouts,
  createCheckout,
  getCheckout,
  confirmCheckout,
  listLinks,
  createLink,
  getLink,
  archiveLink,
  listOrders,
  exportOrders,
  getOrder,
  refundOrder,
  collectOrder,
  cancelOrder,
  moveFulfilment,
  orderReceipt,
  stripeWebhook,
  linkConnectAccount,
  getConnectAccount,
  connectAccountLinks,
  connectReturnPage,
  connectRefreshPage,
  registerDevice,
  getDevice,
  revokeDevice,
  claimAllotment,
  getAllotment,
  releaseAllotment,
  reconcile,
  listDrops,
  createDrop,
  getDrop,
  updateDrop,
  dropStock,
  dropStream,
  rotateOverlayToken,
  joinQueue,
  getQueueTicket,
  createHold,
  getHold,
  releaseHold,
  buyerTokenChallenge,
  mintBuyerToken,
  listMembers,
  getMember,
  memberSummary,
  startSession,
  requestSignInCode,
  verifySignInCode,
  getCohortRules,
  putCohortRules,
  grantEntitlement,
  exchangeToken,
  introspectToken,
  getEntitlement,
  revokeEntitlement,
  jwks,
  listExperiments,
  createExperiment,
  getExperiment,
  startExperiment,
  stopExperiment,
  experimentResults,
  listCoupons,
  createCoupon,
  getCoupon,
  updateCoupon,
  listSubscriptions,
  getSubscriptionSettings,
  putSubscriptionSettings,
  getSubscription,
  updateSubscription,
  cancelSubscription,
  refundSubscription,
  quoteTierChange,
  changeTier,
  mySubscriptions,
  convertTillTier,
  updateMySubscription,
  quoteMyTierChange,
  changeMyTier,
  listHubs,
  createHub,
  getHub,
  updateHub,
  getFulfilmentRules,
  putFulfilmentRules,
  listBatches,
  listAuditEvents,
  listApiKeys,
  createApiKey,
  getApiKey,
  rotateApiKey,
  revokeApiKey,
  listWebhookEndpoints,
  createWebhookEndpoint,
  getWebhookEndpoint,
  updateWebhookEndpoint,
  webhookSecret,
  rotateWebhookSecret,
  testWebhookEndpoint,
  webhookDeliveries,
  redeliverWebhook,
  mrrMetrics,
  subscriptionMetrics,
  retentionMetrics,
  ltvMetrics,
  enrolmentMetrics,
  timeToEntitlementMetrics,
  dropFunnelMetrics,
  conversionMetrics,
  paymentMetrics,
  upsellMetrics,
  getAllowedOrigins,
  putAllowedOrigins,
  devOutbox,
  devClock,
  listCreators,
  createCreator,
  getCreator,
  updateCreator,
  suspendCreator,
  reinstateCreator,
  embedScript,
  overlayPage,
];
