/**
 * The attack suite for one promise. Another creator's ids answer 404 and touch nothing.
 * Each area is a module of `describe` blocks in ./tenancy/, named after the attacks it stops.
 */
import "./tenancy/checkout";
import "./tenancy/fulfilment";
import "./tenancy/creator-reads";
import "./tenancy/metrics-checkout";
import "./tenancy/dashboard";
import "./tenancy/metrics-revenue";
import "./tenancy/pos";
import "./tenancy/subscriptions";
import "./tenancy/surfaces";
import "./tenancy/webhook-endpoints";
