/**
 * The Notifications object's SQLite tables and the queries over them:
 * - `notifications`: one row per notification, `sequence` monotonic per organization (the order of
 *   delivery and the replay position), `source_id` unique so that a retried source adds nothing;
 * - `notification_states`: per user, when they read or cleared one (notifications are the
 *   organization's; what a user did with them is theirs);
 * - `feed_cursor`: the last `invoice_events.offset` turned into notifications.
 * Rows are never deleted, so a sequence is never reused.
 */
import type { NotificationData, NotificationInput } from "../shared/notifications/notifications";
import type { Page } from "../shared/pagination";

export interface Notification {
  notificationId: string;
  sequence: number;
  type: string;
  title: string;
  body: string;
  data: NotificationData;
  createdAt: string;
}

export interface UserNotification extends Notification {
  isRead: boolean;
  readAt: string | null;
}

type Row = {
  sequence: number;
  id: string;
  type: string;
  title: string;
  body: string;
  data: string;
  created_at: string;
  read_at?: string | null;
};

export function createNotificationTables(sql: SqlStorage) {
  sql.exec(`CREATE TABLE IF NOT EXISTS notifications (
    sequence INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    source_id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL
  )`);
  sql.exec(`CREATE TABLE IF NOT EXISTS notification_states (
    user_id TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    read_at TEXT,
    cleared_at TEXT,
    PRIMARY KEY (user_id, sequence)
  ) WITHOUT ROWID`);
  sql.exec(
    "CREATE TABLE IF NOT EXISTS feed_cursor (id INTEGER PRIMARY KEY CHECK (id = 1), event_offset INTEGER NOT NULL)",
  );
}

const toNotification = (row: Row): Notification => ({
  notificationId: row.id,
  sequence: row.sequence,
  type: row.type,
  title: row.title,
  body: row.body,
  data: JSON.parse(row.data) as Notification["data"],
  createdAt: row.created_at,
});

const toUserNotification = (row: Row): UserNotification => ({
  ...toNotification(row),
  isRead: row.read_at != null,
  readAt: row.read_at ?? null,
});

/** Stores a notification unless its source already made one; returns it only when it is new. */
export function insertNotification(
  sql: SqlStorage,
  input: NotificationInput,
  now: string,
): Notification | null {
  const rows = sql
    .exec<Row>(
      `INSERT INTO notifications (sequence, id, source_id, type, title, body, data, created_at)
       VALUES ((SELECT COALESCE(MAX(sequence), 0) + 1 FROM notifications), ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (source_id) DO NOTHING
       RETURNING sequence, id, type, title, body, data, created_at`,
      crypto.randomUUID(),
      input.sourceId,
      input.type,
      input.title,
      input.body,
      JSON.stringify(input.data ?? {}),
      now,
    )
    .toArray();
  return rows[0] ? toNotification(rows[0]) : null;
}

export function feedCursor(sql: SqlStorage): number {
  return (
    sql.exec<{ event_offset: number }>("SELECT event_offset FROM feed_cursor WHERE id = 1").toArray()[0]
      ?.event_offset ?? 0
  );
}

/** Moves the cursor forward only: a slower run that read older events never moves it back. */
export function advanceFeedCursor(sql: SqlStorage, offset: number) {
  sql.exec(
    `INSERT INTO feed_cursor (id, event_offset) VALUES (1, ?)
     ON CONFLICT (id) DO UPDATE SET event_offset = excluded.event_offset
     WHERE excluded.event_offset > feed_cursor.event_offset`,
    offset,
  );
}

/** The sequence of a notification id, or null when this organization never had it. */
export function sequenceOf(sql: SqlStorage, notificationId: string): number | null {
  return (
    sql
      .exec<{ sequence: number }>("SELECT sequence FROM notifications WHERE id = ?", notificationId)
      .toArray()[0]?.sequence ?? null
  );
}

/** What a user missed after `sequence`, oldest first, without what they cleared meanwhile. */
export function missedSince(sql: SqlStorage, userId: string, sequence: number, limit: number) {
  return sql
    .exec<Row>(
      `SELECT n.*, s.read_at FROM notifications n
         LEFT JOIN notification_states s ON s.user_id = ? AND s.sequence = n.sequence
        WHERE n.sequence > ? AND s.cleared_at IS NULL
        ORDER BY n.sequence LIMIT ?`,
      userId,
      sequence,
      limit,
    )
    .toArray()
    .map(toUserNotification);
}

/** A user's notifications, newest first, without the ones they cleared. */
export function listForUser(sql: SqlStorage, userId: string, page: Page) {
  const counts = sql
    .exec<{ total: number; unread: number }>(
      `SELECT COUNT(*) AS total, COALESCE(SUM(s.read_at IS NULL), 0) AS unread FROM notifications n
         LEFT JOIN notification_states s ON s.user_id = ? AND s.sequence = n.sequence
        WHERE s.cleared_at IS NULL`,
      userId,
    )
    .one();
  const data = sql
    .exec<Row>(
      `SELECT n.*, s.read_at FROM notifications n
         LEFT JOIN notification_states s ON s.user_id = ? AND s.sequence = n.sequence
        WHERE s.cleared_at IS NULL
        ORDER BY n.sequence DESC LIMIT ? OFFSET ?`,
      userId,
      page.limit,
      (page.page - 1) * page.limit,
    )
    .toArray()
    .map(toUserNotification);
  return { data, totalCount: counts.total, unreadCount: counts.unread };
}

/**
 * Marks the user's notifications read or cleared; returns how many changed (one already read, or
 * already cleared, or not of this organization, counts for nothing). Clearing also reads.
 */
export function markForUser(
  sql: SqlStorage,
  userId: string,
  notificationIds: string[],
  mark: "read" | "cleared",
  now: string,
): number {
  let changed = 0;
  for (const id of new Set(notificationIds)) {
    const sequence = sequenceOf(sql, id);
    if (sequence === null) continue;
    const cursor =
      mark === "read"
        ? sql.exec(
            `INSERT INTO notification_states (user_id, sequence, read_at) VALUES (?, ?, ?)
             ON CONFLICT (user_id, sequence) DO UPDATE SET read_at = excluded.read_at
             WHERE notification_states.read_at IS NULL AND notification_states.cleared_at IS NULL`,
            userId,
            sequence,
            now,
          )
        : sql.exec(
            `INSERT INTO notification_states (user_id, sequence, read_at, cleared_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (user_id, sequence) DO UPDATE
               SET read_at = COALESCE(notification_states.read_at, excluded.read_at),
                   cleared_at = excluded.cleared_at
             WHERE notification_states.cleared_at IS NULL`,
            userId,
            sequence,
            now,
            now,
          );
    changed += cursor.rowsWritten > 0 ? 1 : 0;
  }
  return changed;
}
