/**
 * The attack suite for one promise. Never grant access without money: no token, session or discount that was not paid for.
 * Each area is a module of `describe` blocks in ./access-without-money/, named after the attacks it stops.
 */
import "./access-without-money/checkout";
import "./access-without-money/deploy";
import "./access-without-money/disputes";
import "./access-without-money/pos";
import "./access-without-money/pricing";
import "./access-without-money/sign-in";
import "./access-without-money/subscriptions";
