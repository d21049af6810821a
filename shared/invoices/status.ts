/**
 * The invoice lifecycle. The seed lists the statuses and a few rules but not the transitions
 * (digest §5.16), so these are ours, written down once and used by every writer:
 *
 * - `processing`: being stamped or imported; becomes `sent`, `draft` or `not_valid`.
 * - `draft`: issued by us but not yet delivered to the receiver; becomes `sent`.
 * - `sent`: delivered to the receiver, waiting for review; the receiver `accepted` or `rejected` it.
 * - `accepted`: the receiver owes it; a manual payment or complements covering it make it `paid`.
 * - `paid`: money received; a payment complement (invoicePaymentId) makes it `completed`; deleting the
 *   payment rolls it back to `accepted`.
 * - `rejected`: the receiver refused it; it may be reconsidered (`accepted`) or resent (`sent`).
 * - `completed` and `not_valid` are final.
 *
 * `statusCode` orders statuses by how urgently someone must act (the seed's default sort key): things
 * to review first, then money owed, then settled, then the rest.
 *
 * Cancellation is not a status: the seed keeps it beside the lifecycle as the `isCancelled` flag, so a
 * cancelled invoice keeps the status it had and stops counting in balances through the flag (see
 * COUNTS_IN_BALANCES). Its request at SAT has its own small lifecycle (`cancellationStatus`, below).
 */
export const INVOICE_STATUSES = [
  "draft",
  "sent",
  "accepted",
  "paid",
  "completed",
  "rejected",
  "processing",
  "not_valid",
] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

export const STATUS_CODES: Record<InvoiceStatus, number> = {
  sent: 10,
  accepted: 20,
  paid: 30,
  draft: 40,
  processing: 50,
  completed: 60,
  rejected: 70,
  not_valid: 80,
};

const TRANSITIONS: Record<InvoiceStatus, readonly InvoiceStatus[]> = {
  processing: ["sent", "draft", "not_valid"],
  draft: ["sent"],
  sent: ["accepted", "rejected"],
  accepted: ["paid", "rejected"],
  paid: ["completed", "accepted"],
  rejected: ["accepted", "sent"],
  completed: [],
  not_valid: [],
};

export const canTransition = (from: InvoiceStatus, to: InvoiceStatus): boolean =>
  TRANSITIONS[from].includes(to);

export const allowedTransitions = (from: InvoiceStatus): readonly InvoiceStatus[] => TRANSITIONS[from];

/** Statuses whose amounts count in balances (amount due, past due, paid). */
export const COUNTS_IN_BALANCES: readonly InvoiceStatus[] = ["sent", "accepted", "paid", "completed"];

/**
 * Where an issued invoice's cancellation request stands at SAT (null: never requested):
 * - `pending`: waiting for the receiver's answer; becomes `accepted`, `rejected` or `expired`;
 * - `accepted`: cancelled (the invoice's `isCancelled`); final;
 * - `rejected` (the receiver refused) and `expired` (no answer in time): the invoice stays valid and
 *   a new request may be made (`pending`, or `accepted` at once when no acceptance is needed).
 * A provider may report a later state without the earlier ones (a missed webhook): from no request
 * any state is possible.
 */
export const CANCELLATION_STATUSES = ["pending", "accepted", "rejected", "expired"] as const;
export type InvoiceCancellationStatus = (typeof CANCELLATION_STATUSES)[number];

const CANCELLATION_TRANSITIONS: Record<InvoiceCancellationStatus, readonly InvoiceCancellationStatus[]> = {
  pending: ["accepted", "rejected", "expired"],
  accepted: [],
  rejected: ["pending", "accepted"],
  expired: ["pending", "accepted"],
};

export const canChangeCancellation = (
  from: InvoiceCancellationStatus | null,
  to: InvoiceCancellationStatus,
): boolean => (from === null ? true : CANCELLATION_TRANSITIONS[from].includes(to));

/** Whether a new cancellation request may be made: none yet, or the last one came to nothing. */
export const canRequestCancellation = (current: InvoiceCancellationStatus | null): boolean =>
  current === null || current === "rejected" || current === "expired";
