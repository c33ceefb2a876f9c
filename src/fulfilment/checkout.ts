/**
 * What checkout asks of fulfilment: the buyer's address when the offer ships (required, validated per
 * country) or none when it does not, and the decision written into the batch that marks the order paid.
 */
import type { OrderRow } from "../db/schema";
import { invalid } from "../errors";
import { normaliseAddress, type ShippingAddress, type ShippingAddressInput } from "./address";
import { type FulfilmentDecision, fulfilmentOnPaid } from "./rules";
import type { FulfilmentInputs } from "./store";

export type { ShippingAddressInput };

/** The normalised address for a checkout of an offer that `ships`, or null; 422 when it is missing or refused. */
export function shippingAddressFor(
  ships: boolean,
  input: ShippingAddressInput | undefined,
): ShippingAddress | null {
  if (!ships) {
    if (input === undefined) return null;
    throw invalid(
      [{ in: "body", path: "/shipping_address", message: "This offer does not ship: leave it out" }],
      "This offer is not a physical good: send no shipping_address.",
    );
  }
  if (input === undefined) {
    throw invalid(
      [{ in: "body", path: "/shipping_address", message: "Required: this offer ships to the buyer" }],
      "This offer is a physical good that ships to the buyer: send shipping_address " +
        "({ name, line1, line2?, city, region?, postal_code?, country }).",
    );
  }
  const result = normaliseAddress(input);
  if ("errors" in result) throw invalid(result.errors, "The shipping address is not valid for its country.");
  return result.address;
}

/** The address as the order row keeps it (JSON, absent fields left out). */
export function storedAddress(address: ShippingAddress | null): Record<string, string> | null {
  if (address === null) return null;
  return Object.fromEntries(
    Object.entries(address).filter((entry): entry is [string, string] => entry[1] !== null),
  );
}

/**
 * The fulfilment columns a paid order lands with: the rule's decision for a physical order (one with an
 * address), nothing for any other. `inputs` were read beside the pay path's other reads.
 */
export function fulfilmentColumns(
  order: OrderRow,
  inputs: FulfilmentInputs | undefined,
  paidAt: number,
): Partial<FulfilmentDecision> {
  const address = order.shippingAddress;
  if (address === null || address === undefined) return {};
  return fulfilmentOnPaid(
    inputs?.doc ?? null,
    inputs?.hubs ?? [],
    {
      address: { country: address.country ?? "", region: address.region ?? null },
      quantity: order.quantity,
      amount: order.amountTotal,
      currency: order.currency,
    },
    paidAt,
  );
}
