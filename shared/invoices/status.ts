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
