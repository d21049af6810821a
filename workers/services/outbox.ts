/**
 * The message outbox: every email or WhatsApp message is first a row here, then a JOBS message asks the
 * consumer to deliver it. Without sender secrets (local runs) delivery is skipped and the row stays
 * `pending`, visible at GET /v1/dev/outbox when DEV_ROUTES is on, so a person can finish every flow.
 */
import { desc, eq } from "drizzle-orm";
import { outboxMessages } from "../../db/schema";
import type { AppBindings } from "../env";
import { nowIso, type ServiceContext } from "./context";

export type Channel = "email" | "whatsapp";
export interface OutgoingMessage {
  channel: Channel;
  recipient: string;
  template: string;
  subject?: string;
  body: string;
}

/** Builds the insert (so callers can put it in their batch) and the enqueue to run after it commits. */
export function outboxInsert(ctx: ServiceContext, message: OutgoingMessage) {
  const id = crypto.randomUUID();
  const statement = ctx.db.insert(outboxMessages).values({
    id,
    channel: message.channel,
    recipient: message.recipient,
    template: message.template,
    subject: message.subject ?? null,
    body: message.body,
    createdAt: nowIso(),
  });
  const enqueue = () => ctx.env.JOBS.send({ type: "outbox.deliver", messageId: id });
  return { id, statement, enqueue };
}

export async function sendMessage(ctx: ServiceContext, message: OutgoingMessage): Promise<string> {
  const { id, statement, enqueue } = outboxInsert(ctx, message);
  await statement;
  await enqueue();
  return id;
}

export interface Sender {
  send(message: { recipient: string; subject: string | null; body: string }): Promise<void>;
}

/** One HTTP implementation per channel; absent secrets mean "no sender configured". */
export function senderFor(env: AppBindings, channel: Channel): Sender | null {
  if (channel === "email" && env.EMAIL_API_URL && env.EMAIL_API_KEY) {
    const url = env.EMAIL_API_URL;
    const key = env.EMAIL_API_KEY;
    return {
      async send(m) {
        const res = await fetch(url, {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          body: JSON.stringify({ from: env.EMAIL_FROM, to: m.recipient, subject: m.subject, text: m.body }),
        });
        if (!res.ok) throw new Error(`email provider answered ${res.status}`);
      },
    };
  }
  if (channel === "whatsapp" && env.WHATSAPP_API_URL && env.WHATSAPP_API_TOKEN) {
    const url = env.WHATSAPP_API_URL;
    const token = env.WHATSAPP_API_TOKEN;
    return {
      async send(m) {
        const res = await fetch(url, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({
            messaging_product: "whatsapp",
            to: m.recipient,
            type: "text",
            text: { body: m.body },
          }),
        });
        if (!res.ok) throw new Error(`WhatsApp provider answered ${res.status}`);
      },
    };
  }
  return null;
}

export type DeliveryResult = "sent" | "no_sender" | "already_sent" | "missing";

/** Delivers one outbox row. Throws on provider failure so the queue retries (and finally dead-letters). */
export async function deliverOutboxMessage(ctx: ServiceContext, messageId: string): Promise<DeliveryResult> {
  const [message] = await ctx.db
    .select()
    .from(outboxMessages)
    .where(eq(outboxMessages.id, messageId))
    .limit(1);
  if (!message) return "missing";
  if (message.status === "sent") return "already_sent";
  const sender = senderFor(ctx.env, message.channel);
  if (!sender) return "no_sender";
  try {
    await sender.send({ recipient: message.recipient, subject: message.subject, body: message.body });
  } catch (e) {
    await ctx.db
      .update(outboxMessages)
      .set({ attempts: message.attempts + 1, lastError: String(e) })
      .where(eq(outboxMessages.id, messageId));
    throw e;
  }
  await ctx.db
    .update(outboxMessages)
    .set({ status: "sent", sentAt: nowIso(), attempts: message.attempts + 1 })
    .where(eq(outboxMessages.id, messageId));
  return "sent";
}

export async function listOutbox(ctx: ServiceContext, recipient: string | undefined, limit: number) {
  const query = ctx.db.select().from(outboxMessages).orderBy(desc(outboxMessages.createdAt)).limit(limit);
  return recipient ? query.where(eq(outboxMessages.recipient, recipient)) : query;
}
