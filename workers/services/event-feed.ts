/**
 * What follows every batch that appends invoice events: both sides' organizations are told that their
 * feed moved, so their realtime notifications (the Notifications Durable Object) and their outgoing
 * webhooks pick the new events up now rather than at the hourly sweep. Both read the events table from
 * their own cursors, so an announcement that is lost only delays what it announced.
 */
import type { ServiceContext } from "./context";
import { pokeNotifications } from "./notifications";
import { requestWebhookPublish } from "./webhook-deliveries";

type Sides = { organizationId: string | null; providerId: string | null };

export function announceInvoiceEvents(ctx: ServiceContext, invoices: readonly Sides[]): void {
  const ids = [...new Set(invoices.flatMap((i) => [i.organizationId, i.providerId]))].filter(
    (id): id is string => id !== null,
  );
  if (ids.length === 0) return;
  pokeNotifications(ctx, ids);
  requestWebhookPublish(ctx, ids);
}
