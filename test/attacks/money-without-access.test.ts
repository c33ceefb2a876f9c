/**
 * The attack suite for one promise. Never take money without granting access: a payment that lands ends in access or a refund.
 * Each area is a module of `describe` blocks in ./money-without-access/, named after the attacks it stops.
 */
import "./money-without-access/checkout";
import "./money-without-access/refunds";
import "./money-without-access/sweep";
import "./money-without-access/at-once";
import "./money-without-access/subscriptions";
