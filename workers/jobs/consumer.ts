/**
 * The JOBS queue consumer. Messages are at-least-once: every handler is idempotent (delivery checks the
 * outbox row's status first). A handler that throws has its message retried, then dead-lettered.
 */
import { createDb } from "../../db/client";
import type { AppBindings, JobMessage } from "../env";
import { createLogger } from "../middleware/logger";
import type { ServiceContext } from "../services/context";
import { deliverOutboxMessage } from "../services/outbox";

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
  }
}

export async function consumeJobs(batch: MessageBatch<JobMessage>, env: AppBindings, exec: ExecutionContext) {
  if (batch.queue.endsWith("-dlq")) {
    // Dead letters are kept for inspection in the logs, then acknowledged.
    for (const message of batch.messages) {
      createLogger({ queue: batch.queue, messageId: message.id })("error", "dead-lettered job", {
        body: message.body,
      });
      message.ack();
    }
    return;
  }
  for (const message of batch.messages) {
    const ctx = jobContext(env, exec, { queue: batch.queue, messageId: message.id, job: message.body.type });
    try {
      const result = await handleJob(ctx, message.body);
      ctx.log("info", "job done", { result });
      message.ack();
    } catch (e) {
      ctx.log("warn", "job failed; will retry", { error: String(e), attempts: message.attempts });
      message.retry({ delaySeconds: Math.min(300, 2 ** message.attempts) });
    }
  }
}
