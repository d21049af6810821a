/**
 * The events an organization can subscribe to with an outgoing webhook, and the envelope each one is
 * delivered in. The invoice events are those the inbox appends to `invoice_events` (and that issuing
 * appends when it stamps or cancels); the import and balance events are named by the product for
 * the same feed. A subscription to a type that nothing has appended yet simply receives nothing.
 */

export const WEBHOOK_EVENT_TYPES = [
  "invoice.received",
  "invoice.status_changed",
  "invoice.updated",
  "invoice.paid",
  "invoice.payment_removed",
  "invoice.stamped",
  "invoice.cancelled",
  "import.progress",
  "import.completed",
  "balance.credited",
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export interface WebhookEnvelope {
  /** The event's id: the same on every attempt, so receivers deduplicate by it. */
  id: string;
  type: string;
  created_at: string;
  /** The subscribing organization. */
  organization_id: string;
  data: Record<string, unknown>;
}

/** An appended invoice event as delivered: the invoice and both of its sides, then what the event recorded. */
export function invoiceEventEnvelope(
  organizationId: string,
  event: {
    id: string;
    type: string;
    createdAt: string;
    invoiceId: string;
    organizationId: string | null;
    providerId: string | null;
    data: Record<string, unknown>;
  },
): WebhookEnvelope {
  return {
    id: event.id,
    type: event.type,
    created_at: event.createdAt,
    organization_id: organizationId,
    data: {
      ...event.data,
      invoice_id: event.invoiceId,
      receiver_organization_id: event.organizationId,
      issuer_organization_id: event.providerId,
    },
  };
}
