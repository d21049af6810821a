/**
 * The Notifications object's read of the inbox's event log: an organization's invoice events (either
 * side of the invoice) after an offset, in offset order, each with the invoice columns a notification
 * mentions. Served by the `invoice_events_org_idx`/`invoice_events_provider_idx` indexes.
 */
import { and, asc, eq, gt, or } from "drizzle-orm";
import type { Db } from "../db/client";
import { invoiceEvents, invoices } from "../db/schema";
import type { FeedEvent, InvoiceSummary } from "../shared/notifications/notifications";

export interface FeedRow {
  offset: number;
  event: FeedEvent;
  invoice: InvoiceSummary | null;
}

export async function readFeed(db: Db, organizationId: string, after: number, limit: number) {
  const rows = await db
    .select({
      offset: invoiceEvents.offset,
      id: invoiceEvents.id,
      type: invoiceEvents.type,
      invoiceId: invoiceEvents.invoiceId,
      organizationId: invoiceEvents.organizationId,
      providerId: invoiceEvents.providerId,
      data: invoiceEvents.data,
      invoice: {
        id: invoices.id,
        series: invoices.series,
        folioNumber: invoices.folioNumber,
        uuid: invoices.uuid,
        issuerName: invoices.issuerName,
        issuerTaxIdentifier: invoices.issuerTaxIdentifier,
        recipientName: invoices.recipientName,
        recipientTaxIdentifier: invoices.recipientTaxIdentifier,
        grossPriceAmount: invoices.grossPriceAmount,
        currencyCode: invoices.currencyCode,
      },
    })
    .from(invoiceEvents)
    .leftJoin(invoices, eq(invoices.id, invoiceEvents.invoiceId))
    .where(
      and(
        or(eq(invoiceEvents.organizationId, organizationId), eq(invoiceEvents.providerId, organizationId)),
        gt(invoiceEvents.offset, after),
      ),
    )
    .orderBy(asc(invoiceEvents.offset))
    .limit(limit);
  return rows.map(
    ({ offset, invoice, ...event }): FeedRow => ({
      offset,
      event,
      invoice: invoice?.id ? invoice : null,
    }),
  );
}
