import { defineService } from "@donkeylabs/server";

export interface Quote {
  subtotalCents: number;
  shippingCents: number;
  totalCents: number;
}

// Shipping is free from this amount on.
const FREE_SHIPPING_FROM_CENTS = 5000;
const FLAT_SHIPPING_CENTS = 499;

export const pricingService = defineService("pricing", async (ctx) => {
  const logger = ctx.core.logger.child({ service: "pricing" });

  return {
    quote(lines: { unitPriceCents: number; quantity: number }[]): Quote {
      const subtotalCents = lines.reduce(
        (sum, line) => sum + line.unitPriceCents * line.quantity,
        0,
      );
      const shippingCents =
        subtotalCents === 0 || subtotalCents >= FREE_SHIPPING_FROM_CENTS
          ? 0
          : FLAT_SHIPPING_CENTS;
      logger.debug("quoted", { subtotalCents, shippingCents });
      return { subtotalCents, shippingCents, totalCents: subtotalCents + shippingCents };
    },
  };
});
