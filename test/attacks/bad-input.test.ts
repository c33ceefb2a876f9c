/**
 * The attack suite for one promise. Bad input gets one problem+json 4xx, never a 5xx, and writes nothing.
 * Each area is a module of `describe` blocks in ./bad-input/, named after the attacks it stops.
 */
import "./bad-input/amounts";
import "./bad-input/checkout";
import "./bad-input/creator-reads";
import "./bad-input/dashboard";
import "./bad-input/drop-ids";
import "./bad-input/fulfilment";
import "./bad-input/http";
import "./bad-input/metrics-checkout";
import "./bad-input/metrics-revenue";
import "./bad-input/pos";
import "./bad-input/surfaces";
import "./bad-input/webhooks";
import "./bad-input/webhook-endpoints";
