import { DurableObject } from "cloudflare:workers";
import { createDb } from "../db/client";
import {
  invoiceEventNotification,
  NOTIFICATION_TYPES,
  type NotificationInput,
} from "../shared/notifications/notifications";
import type { Page } from "../shared/pagination";
import { initMeta, recordMeta } from "./meta";
import { readFeed } from "./notifications-feed";
import {
  advanceFeedCursor,
  createNotificationTables,
  feedCursor,
  insertNotification,
  listForUser,
  markForUser,
  missedSince,
  type Notification,
  sequenceOf,
} from "./notifications-store";

const FEED_PAGE = 100;
/** At most this many missed notifications are replayed on a connection; older ones are in the list. */
export const REPLAY_LIMIT = 500;

/** Frames a client receives. Every one is JSON with a `type`. */
export type ServerFrame =
  | { type: "notification"; notification: Notification & { isRead: boolean; readAt: string | null } }
  | { type: "ready"; replayed: number; more: boolean }
  | { type: "error"; code: string; message: string };

/**
 * One per organization: its notifications, persisted in SQLite (notifications-store.ts) before they
 * are pushed to every WebSocket of the organization. Sockets use the Hibernation API, so an idle
 * organization costs nothing while its clients stay connected; each socket is tagged with its user.
 *
 * Sources: `poke` reads the organization's invoice events past the stored cursor from the database
 * (a lost poke is made up by the next one), `notify` takes any other source's notification. Both are
 * idempotent by source id. A client connecting or resuming with the last notification id it saw gets
 * what it missed, in order, then a `ready` frame.
 */
export class Notifications extends DurableObject<Cloudflare.Env> {
  private readonly sql: SqlStorage;
  /** The feed run in progress: pokes arriving meanwhile join it and make it read once more. */
  private feedRun: Promise<number> | null = null;
  private feedAgain = false;

  constructor(ctx: DurableObjectState, env: Cloudflare.Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => {
      initMeta(ctx.storage);
      createNotificationTables(this.sql);
    });
    // Answered by the runtime itself: keep-alives never wake a hibernated object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('{"type":"ping"}', '{"type":"pong"}'));
  }

  async health(organizationId: string) {
    return {
      ok: true as const,
      object: "Notifications" as const,
      ...recordMeta(this.ctx.storage, organizationId),
      connections: this.ctx.getWebSockets().length,
    };
  }

  /** Turns the organization's new invoice events into notifications; resolves with how many. */
  poke(organizationId: string): Promise<number> {
    if (this.feedRun) {
      this.feedAgain = true;
      return this.feedRun;
    }
    const run = async () => {
      let created = 0;
      do {
        this.feedAgain = false;
        created += await this.drainFeed(organizationId);
      } while (this.feedAgain);
      return created;
    };
    this.feedRun = run().finally(() => {
      this.feedRun = null;
    });
    return this.feedRun;
  }

  private async drainFeed(organizationId: string) {
    const db = createDb(this.env);
    let created = 0;
    for (;;) {
      const rows = await readFeed(db, organizationId, feedCursor(this.sql), FEED_PAGE);
      if (rows.length === 0) return created;
      const now = new Date().toISOString();
      const fresh = this.ctx.storage.transactionSync(() => {
        const out: Notification[] = [];
        for (const row of rows) {
          const input = invoiceEventNotification(organizationId, row.event, row.invoice);
          const saved = input && insertNotification(this.sql, input, now);
          if (saved) out.push(saved);
        }
        advanceFeedCursor(this.sql, rows[rows.length - 1]!.offset);
        return out;
      });
      for (const notification of fresh) this.broadcast(notification);
      created += fresh.length;
      if (rows.length < FEED_PAGE) return created;
    }
  }

  /** Stores and pushes one notification; null when its source already notified. */
  notify(input: NotificationInput): Notification | null {
    if (!NOTIFICATION_TYPES.includes(input.type)) throw new Error(`unknown notification type ${input.type}`);
    if (!input.sourceId || !input.title) throw new Error("a notification needs a sourceId and a title");
    const saved = insertNotification(this.sql, input, new Date().toISOString());
    if (saved) this.broadcast(saved);
    return saved;
  }

  list(userId: string, page: Page) {
    return listForUser(this.sql, userId, page);
  }

  mark(userId: string, notificationIds: string[], mark: "read" | "cleared") {
    return this.ctx.storage.transactionSync(() =>
      markForUser(this.sql, userId, notificationIds, mark, new Date().toISOString()),
    );
  }

  /** The feed cursor and the notification count, for operators and tests. */
  feedState() {
    const notifications = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM notifications").one().n;
    return { cursor: feedCursor(this.sql), notifications };
  }

  /**
   * A WebSocket connection of `user_id`, forwarded by the Worker once it verified the capability
   * token (only the Worker holds this object's binding). `last_id` replays what came after it.
   */
  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const userId = url.searchParams.get("user_id");
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket" || !userId) {
      return new Response("Expected a WebSocket upgrade", { status: 426 });
    }
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server, [userId]);
    this.resume(server, userId, url.searchParams.get("last_id"));
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer) {
    const userId = this.ctx.getTags(ws)[0];
    let frame: { type?: unknown; lastId?: unknown } | null = null;
    try {
      frame = typeof message === "string" ? JSON.parse(message) : null;
    } catch {
      frame = null;
    }
    if (
      userId &&
      frame?.type === "resume" &&
      (frame.lastId === undefined || typeof frame.lastId === "string")
    ) {
      this.resume(ws, userId, frame.lastId ?? null);
      return;
    }
    send(ws, {
      type: "error",
      code: "unknown_message",
      message: 'Send {"type":"resume","lastId":"<notificationId>"} or {"type":"ping"}',
    });
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string) {
    try {
      // 1005/1006 are reserved: they report an absent code, and may not be sent back.
      ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      // Already closed by the runtime's automatic reply.
    }
  }

  /** Replays what the user missed after `lastId` (nothing without one), then says the socket is live. */
  private resume(ws: WebSocket, userId: string, lastId: string | null) {
    if (lastId === null) {
      send(ws, { type: "ready", replayed: 0, more: false });
      return;
    }
    const after = sequenceOf(this.sql, lastId);
    if (after === null) {
      send(ws, {
        type: "error",
        code: "unknown_last_id",
        message: "No notification of this organization has that id; nothing was replayed",
      });
      send(ws, { type: "ready", replayed: 0, more: false });
      return;
    }
    const missed = missedSince(this.sql, userId, after, REPLAY_LIMIT + 1);
    const replayed = missed.slice(0, REPLAY_LIMIT);
    for (const notification of replayed) send(ws, { type: "notification", notification });
    send(ws, { type: "ready", replayed: replayed.length, more: missed.length > REPLAY_LIMIT });
  }

  private broadcast(notification: Notification) {
    const frame: ServerFrame = {
      type: "notification",
      notification: { ...notification, isRead: false, readAt: null },
    };
    for (const ws of this.ctx.getWebSockets()) send(ws, frame);
  }
}

function send(ws: WebSocket, frame: ServerFrame) {
  try {
    ws.send(JSON.stringify(frame));
  } catch {
    // A socket closing under us: its client reconnects with its last id.
  }
}
