/**
 * The billing notifications of an organization that Stripe's events cause, keyed so that a
 * redelivered event never notifies twice. (A paid top-up notifies through
 * shared/notifications `balanceCreditedNotification`, keyed by its ledger entry.)
 */
import { formatMxn } from "../ledger/money";
import type { NotificationInput } from "../notifications/notifications";
import type { PaymentFailedEventData } from "./stripe-events";

export function paymentFailedNotification(
  eventId: string,
  failed: PaymentFailedEventData,
): NotificationInput {
  const amount =
    failed.amountDue === null
      ? null
      : `${formatMxn(failed.amountDue)} ${(failed.currency ?? "").toUpperCase()}`;
  return {
    sourceId: `stripe:${eventId}`,
    type: "billing.payment_failed",
    title: "Payment failed",
    body: amount
      ? `The payment of ${amount.trim()} for your Timbre subscription failed: update your payment method`
      : "A payment for your Timbre subscription failed: update your payment method",
    data: {
      invoiceId: failed.invoiceId,
      subscriptionId: failed.subscriptionId,
      amountDue: failed.amountDue === null ? null : formatMxn(failed.amountDue),
      currency: failed.currency,
      attemptCount: failed.attemptCount,
      hostedInvoiceUrl: failed.hostedInvoiceUrl,
    },
  };
}
