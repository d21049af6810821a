/**
 * The JOBS queue consumer. Messages are at-least-once: every handler is idempotent (delivery checks the
 * outbox row's status first). A handler that throws has its message retried, then dead-lettered.
 */
import { createDb } from "../../db/client";
import type { AppBindings, JobMessage } from "../env";
import { createLogger } from "../middleware/logger";
import type { ServiceContext } from "../services/context";
import { runNotificationsPoke } from "../services/notifications";
import { deliverOutboxMessage } from "../services/outbox";
import { settleStamp } from "../services/stamp-settlement";
import {
  deliverWebhook,
  isRetryLater,
  parkDeadLetter,
  publishWebhooks,
} from "../services/webhook-deliveries";
import { runFacturapiWebhook } from "./facturapi-webhook";
import { reconcileStamp } from "./reconcile-stamp";
import { runStripeEvent } from "./stripe-event";
import { abandonZipImportSlice, runZipImport } from "./zip-import";

export function jobContext(
  env: AppBindings,
  ctx: ExecutionContext,
  fields: Record<string, unknown>,
): ServiceContext {
  return {
    db: createDb(env),
    env,
    log: createLogger(fields),
    defer: (p) => ctx.waitUntil(p),
  };
}

export async function handleJob(ctx: ServiceContext, job: JobMessage): Promise<unknown> {
  switch (job.type) {
    case "outbox.deliver":
      return deliverOutboxMessage(ctx, job.messageId);
    case "ping":
      return "pong";
    case "invoices.zip_import":
      return runZipImport(ctx, job);
    case "facturapi.webhook":
      return runFacturapiWebhook(ctx, job.eventId);
    case "stripe.event":
      return runStripeEvent(ctx, job.eventId);
    case "webhooks.publish":
      return publishWebhooks(ctx, job.organizationId);
    case "webhooks.deliver":
      return deliverWebhook(ctx, job.deliveryId);
    case "notifications.poke":
      return runNotificationsPoke(ctx.env, job.organizationId);
    case "invoices.reconcile_stamp":
      return reconcileStamp(ctx, job);
    case "invoices.settle_stamp":
      return settleStamp(ctx, job);
  }
}

export async function consumeJobs(batch: MessageBatch<JobMessage>, env: AppBindings, exec: ExecutionContext) {
  if (batch.queue.endsWith("-dlq")) {
    // Dead letters are kept for inspection in the logs, then acknowledged. A ZIP import slice first
    // records its unprocessed entries as failed, so that its task can still complete.
    for (const message of batch.messages) {
      const ctx = jobContext(env, exec, {
        queue: batch.queue,
        messageId: message.id,
        job: message.body.type,
      });
      ctx.log("error", "dead-lettered job", { body: message.body });
      try {
        if (message.body.type === "invoices.zip_import") {
          ctx.log("info", "zip import slice abandoned", {
            result: await abandonZipImportSlice(ctx, message.body),
          });
        }
        if (message.body.type === "webhooks.deliver") {
          ctx.log("info", "webhook delivery parked", {
            result: await parkDeadLetter(ctx, message.body.deliveryId),
          });
        }
        message.ack();
      } catch (e) {
        ctx.log("warn", "dead letter not handled; will retry", { error: String(e) });
        message.retry({ delaySeconds: Math.min(300, 2 ** message.attempts) });
      }
    }
    return;
  }
  for (const message of batch.messages) {
    const ctx = jobContext(env, exec, { queue: batch.queue, messageId: message.id, job: message.body.type });
    try {
      const result = await handleJob(ctx, message.body);
      // A job may ask for its own retry delay (webhook backoff) instead of failing.
      if (isRetryLater(result)) {
        ctx.log("info", "job retries later", { result, attempts: message.attempts });
        message.retry({ delaySeconds: result.retryAfterSeconds });
        continue;
      }
      ctx.log("info", "job done", { result });
      message.ack();
    } catch (e) {
      ctx.log("warn", "job failed; will retry", { error: String(e), attempts: message.attempts });
      message.retry({ delaySeconds: Math.min(300, 2 ** message.attempts) });
    }
  }
}
