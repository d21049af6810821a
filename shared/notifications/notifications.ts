/**
 * What an organization's members are notified of, and how an appended invoice event reads as a
 * notification for one side of the invoice. Pure: the Notifications Durable Object feeds it the
 * events it reads past its cursor; the ledger, ZIP imports and billing send their own notifications
 * with a `sourceId` that makes each one unique (a retried source never notifies twice).
 */

export const NOTIFICATION_TYPES = [
  "invoice.received",
  "invoice.stamped",
  "invoice.paid",
  "invoice.cancelled",
  "import.progress",
  "import.completed",
  "import.failed",
  "balance.credited",
  "balance.low",
  "billing.payment_failed",
  "stamp.failed",
] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

/** A notification's `data`: flat ids and figures, as JSON (RPC, storage and the socket carry it). */
export type NotificationData = Record<string, string | number | boolean | null>;

/** A notification as its source hands it in; the object gives it an id, a sequence and a time. */
export interface NotificationInput {
  /** Unique per organization: the event id, a ledger entry id, `task:<id>:completed`, … */
  sourceId: string;
  type: NotificationType;
  title: string;
  body: string;
  data?: NotificationData;
}

/** The invoice columns a notification mentions. */
export interface InvoiceSummary {
  series: string | null;
  folioNumber: string | null;
  uuid: string | null;
  issuerName: string | null;
  issuerTaxIdentifier: string | null;
  recipientName: string | null;
  recipientTaxIdentifier: string | null;
  grossPriceAmount: string;
  currencyCode: string;
}

export interface FeedEvent {
  id: string;
  type: string;
  invoiceId: string;
  organizationId: string | null;
  providerId: string | null;
  data: Record<string, unknown>;
}

const reference = (invoice: InvoiceSummary) => {
  const folio = `${invoice.series ?? ""}${invoice.folioNumber ?? ""}`;
  return folio || invoice.uuid || "without folio";
};
const issuer = (invoice: InvoiceSummary) => invoice.issuerName || invoice.issuerTaxIdentifier || "A provider";
const recipient = (invoice: InvoiceSummary) =>
  invoice.recipientName || invoice.recipientTaxIdentifier || "the client";
const amount = (invoice: InvoiceSummary) => `${invoice.grossPriceAmount} ${invoice.currencyCode}`;

/**
 * The notification an event makes for `organizationId` (one side of the invoice), or null when it
 * makes none: edits, status moves and removed payments are not news, and documents of a ZIP import
 * are announced by the import's own progress and completion instead of one by one.
 */
export function invoiceEventNotification(
  organizationId: string,
  event: FeedEvent,
  invoice: InvoiceSummary | null,
): NotificationInput | null {
  if (!invoice) return null;
  const side =
    event.organizationId === organizationId
      ? "receiver"
      : event.providerId === organizationId
        ? "issuer"
        : null;
  if (side === null) return null;
  const base = {
    sourceId: event.id,
    data: {
      invoiceId: event.invoiceId,
      uuid: invoice.uuid,
      eventId: event.id,
      eventType: event.type,
      side,
    },
  };
  const ref = reference(invoice);
  const counterparty = side === "receiver" ? issuer(invoice) : recipient(invoice);
  switch (event.type) {
    case "invoice.received": {
      const source = event.data.source;
      if (source === "zip") return null;
      if (side === "receiver") {
        return {
          ...base,
          type: "invoice.received",
          title: "Invoice received",
          body: `${issuer(invoice)} sent invoice ${ref} for ${amount(invoice)}`,
        };
      }
      // The issuer's own upload of an invoice to a client is its own act; a stamp is news to its team.
      if (source !== "stamp") return null;
      return {
        ...base,
        type: "invoice.stamped",
        title: "Invoice stamped",
        body: `Invoice ${ref} to ${recipient(invoice)} for ${amount(invoice)} was stamped`,
      };
    }
    case "invoice.paid":
      return {
        ...base,
        type: "invoice.paid",
        title: "Invoice paid",
        body: `Invoice ${ref} (${counterparty}, ${amount(invoice)}) is paid`,
      };
    case "invoice.cancelled":
      return {
        ...base,
        type: "invoice.cancelled",
        title: "Invoice cancelled",
        body: `Invoice ${ref} (${counterparty}, ${amount(invoice)}) was cancelled`,
      };
    default:
      return null;
  }
}

/** Quarters of an import announced while it runs (25, 50 and 75 %), so a long import is not a flood. */
export function importProgressQuarter(processed: number, total: number): number | null {
  if (total <= 0 || processed >= total) return null;
  const quarter = Math.floor((processed * 4) / total);
  return quarter >= 1 ? quarter : null;
}

/**
 * True when a charge of `chargedCents` took the balance from at or above `thresholdCents` to below
 * it: the low-balance warning is sent once per crossing, not after every stamp below the line.
 */
export const crossedBelow = (balanceCents: number, chargedCents: number, thresholdCents: number) =>
  chargedCents > 0 && balanceCents < thresholdCents && balanceCents + chargedCents >= thresholdCents;

/** A credit of the organization's balance (a direct top-up, or a paid Stripe checkout). */
export const balanceCreditedNotification = (credit: {
  /** The ledger entry: a repeated credit returns the same entry, so it notifies once. */
  entryId: string;
  amount: string;
  balanceAmount: string;
}): NotificationInput => ({
  sourceId: `ledger:${credit.entryId}`,
  type: "balance.credited",
  title: "Balance credited",
  body: `${credit.amount} MXN were added to the balance; it is now ${credit.balanceAmount} MXN`,
  data: { ...credit },
});

/**
 * A stamp the provider refused after the request had answered (a `processing` invoice that the
 * reconcile found refused): nobody is waiting on the request any more, so the organization is told.
 */
export const stampFailedNotification = (failed: {
  invoiceId: string;
  code: string;
  message: string;
}): NotificationInput => ({
  sourceId: `stamp.failed:${failed.invoiceId}`,
  type: "stamp.failed",
  title: "Stamp refused",
  body: `The provider refused the invoice that was waiting to be stamped: ${failed.message}`,
  data: { ...failed },
});

/** The warning of a balance that a stamp took below the threshold, keyed by that stamp's capture. */
export const lowBalanceNotification = (low: {
  captureId: string;
  balanceAmount: string;
  thresholdAmount: string;
}): NotificationInput => ({
  sourceId: `balance.low:${low.captureId}`,
  type: "balance.low",
  title: "Low balance",
  body: `The balance is ${low.balanceAmount} MXN, below ${low.thresholdAmount} MXN: top it up to keep stamping`,
  data: { ...low },
});
