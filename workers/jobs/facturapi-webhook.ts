/**
 * The `facturapi.webhook` job: applies one stored Facturapi event to its invoice
 * (workers/services/facturapi-webhooks.ts). Idempotent: a redelivered message finds the event
 * processed, and an event whose state is already recorded changes nothing.
 */
import type { ServiceContext } from "../services/context";
import { applyFacturapiEvent } from "../services/facturapi-webhooks";

export async function runFacturapiWebhook(ctx: ServiceContext, eventId: string) {
  return { eventId, outcome: await applyFacturapiEvent(ctx, eventId) };
}
