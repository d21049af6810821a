/**
 * Folio numbering of one organization, inside its OrgLedger Durable Object (the only writer).
 * A numerator per series (seed 003's issuer profile: prefix, range min/max, current). A stamp reserves
 * a folio, then commits or releases it. Rules:
 * - a folio is never reserved or committed twice in a series: the partial unique index on live
 *   reservations enforces it under any bug above;
 * - released folios go to a free list and are handed out lowest first, so committed folios stay
 *   contiguous; past the free list the numerator moves to current + 1 (at least rangeMin), skipping
 *   folios callers requested ahead of it;
 * - a caller-requested folio is accepted only when no live reservation holds it;
 * - one idempotency key is one reservation, whatever happened to it since.
 * Every function runs inside the caller's `transactionSync`; refusals throw LedgerRefusal.
 */
import { refuse, requireCount, requireText } from "../shared/ledger/result";

export const RESERVATION_TTL_MS = 10 * 60_000;

export interface SeriesInput {
  series: string;
  prefix?: string;
  rangeMin?: number;
  /** null: unbounded. */
  rangeMax?: number | null;
}

export interface Numerator {
  series: string;
  prefix: string;
  rangeMin: number;
  rangeMax: number | null;
  current: number;
}

export interface ReserveInput {
  series: string;
  requested?: number;
  idempotencyKey: string;
  /** How long the reservation holds before the alarm releases it (default 10 minutes). */
  ttlMs?: number;
}

export type ReservationState = "reserved" | "committed" | "released" | "expired";

export interface FolioReservation {
  reservationId: string;
  series: string;
  folio: number;
  prefix: string;
  state: ReservationState;
  createdAt: string;
  expiresAt: string;
}

type SeriesRow = {
  series: string;
  prefix: string;
  range_min: number;
  range_max: number | null;
  current: number;
};
type ReservationRow = {
  id: string;
  idempotency_key: string;
  series: string;
  folio: number;
  requested_folio: number | null;
  state: ReservationState;
  created_at: string;
  expires_at: number;
};

export function createFolioTables(sql: SqlStorage) {
  sql.exec(`CREATE TABLE IF NOT EXISTS folio_series (
    series TEXT PRIMARY KEY,
    prefix TEXT NOT NULL DEFAULT '',
    range_min INTEGER NOT NULL DEFAULT 1,
    range_max INTEGER,
    current INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
  )`);
  sql.exec(`CREATE TABLE IF NOT EXISTS folio_reservations (
    id TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    series TEXT NOT NULL,
    folio INTEGER NOT NULL,
    requested_folio INTEGER,
    state TEXT NOT NULL CHECK (state IN ('reserved', 'committed', 'released', 'expired')),
    created_at TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    settled_at TEXT
  )`);
  sql.exec(`CREATE UNIQUE INDEX IF NOT EXISTS folio_reservations_live
    ON folio_reservations (series, folio) WHERE state IN ('reserved', 'committed')`);
  sql.exec(`CREATE INDEX IF NOT EXISTS folio_reservations_open
    ON folio_reservations (expires_at) WHERE state = 'reserved'`);
  sql.exec(`CREATE TABLE IF NOT EXISTS folio_free (
    series TEXT NOT NULL,
    folio INTEGER NOT NULL,
    PRIMARY KEY (series, folio)
  ) WITHOUT ROWID`);
}

const toNumerator = (row: SeriesRow): Numerator => ({
  series: row.series,
  prefix: row.prefix,
  rangeMin: row.range_min,
  rangeMax: row.range_max,
  current: row.current,
});

/** The series' numerator, created with the defaults (no prefix, 1..∞) on first use. */
function seriesRow(sql: SqlStorage, series: unknown, now: string): SeriesRow {
  if (typeof series !== "string" || series.length > 25) {
    refuse("invalid_argument", "series must be a string of at most 25 characters");
  }
  // Read first: the series exists on every use but the first, and each statement costs (allocations/s).
  const existing = sql.exec<SeriesRow>("SELECT * FROM folio_series WHERE series = ?", series).toArray()[0];
  if (existing) return existing;
  return sql
    .exec<SeriesRow>(
      "INSERT INTO folio_series (series, prefix, range_min, range_max, current, updated_at) VALUES (?, '', 1, NULL, 0, ?) RETURNING *",
      series,
      now,
    )
    .one();
}

export function configureSeries(sql: SqlStorage, input: SeriesInput, now: string): Numerator {
  const row = seriesRow(sql, input.series, now);
  const prefix = input.prefix ?? row.prefix;
  if (typeof prefix !== "string" || prefix.length > 25) {
    refuse("invalid_argument", "prefix must be a string of at most 25 characters");
  }
  const rangeMin = input.rangeMin === undefined ? row.range_min : requireCount(input.rangeMin, "rangeMin");
  let rangeMax = row.range_max;
  if (input.rangeMax === null) rangeMax = null;
  else if (input.rangeMax !== undefined) rangeMax = requireCount(input.rangeMax, "rangeMax");
  if (rangeMax !== null) {
    if (rangeMax < rangeMin) refuse("folio_range_invalid", "rangeMax must not be below rangeMin");
    const highest = sql
      .exec<{ top: number | null }>(
        "SELECT MAX(folio) AS top FROM folio_reservations WHERE series = ? AND state IN ('reserved', 'committed')",
        row.series,
      )
      .one().top;
    if (Math.max(row.current, highest ?? 0) > rangeMax) {
      refuse("folio_range_invalid", `rangeMax is below folios already issued in series "${row.series}"`);
    }
  }
  sql.exec(
    "UPDATE folio_series SET prefix = ?, range_min = ?, range_max = ?, updated_at = ? WHERE series = ?",
    prefix,
    rangeMin,
    rangeMax,
    now,
    row.series,
  );
  return toNumerator({ ...row, prefix, range_min: rangeMin, range_max: rangeMax });
}

export const listNumerators = (sql: SqlStorage): Numerator[] =>
  sql.exec<SeriesRow>("SELECT * FROM folio_series ORDER BY series").toArray().map(toNumerator);

/** A reservation as callers see it, with its series' prefix (`row.prefix` when the caller has it). */
function view(sql: SqlStorage, row: ReservationRow & { prefix?: string | null }): FolioReservation {
  const prefix =
    row.prefix ??
    sql.exec<{ prefix: string }>("SELECT prefix FROM folio_series WHERE series = ?", row.series).toArray()[0]
      ?.prefix ??
    "";
  return {
    reservationId: row.id,
    series: row.series,
    folio: row.folio,
    prefix,
    state: row.state,
    createdAt: row.created_at,
    expiresAt: new Date(row.expires_at).toISOString(),
  };
}

const isLive = (sql: SqlStorage, series: string, folio: number) =>
  sql
    .exec(
      "SELECT 1 FROM folio_reservations WHERE series = ? AND folio = ? AND state IN ('reserved', 'committed')",
      series,
      folio,
    )
    .toArray().length > 0;

export function reserveFolio(sql: SqlStorage, input: ReserveInput, nowMs: number): FolioReservation {
  const key = requireText(input.idempotencyKey, "idempotencyKey");
  const requested = input.requested === undefined ? null : requireCount(input.requested, "requested");
  const ttlMs = input.ttlMs === undefined ? RESERVATION_TTL_MS : requireCount(input.ttlMs, "ttlMs");
  const previous = sql
    .exec<ReservationRow & { prefix: string | null }>(
      "SELECT r.*, s.prefix FROM folio_reservations r LEFT JOIN folio_series s USING (series) WHERE r.idempotency_key = ?",
      key,
    )
    .toArray()[0];
  if (previous) {
    if (previous.series !== input.series || previous.requested_folio !== requested) {
      refuse("idempotency_key_reused", "This idempotency key was used for a different folio reservation");
    }
    return view(sql, previous);
  }

  const now = new Date(nowMs).toISOString();
  const numerator = seriesRow(sql, input.series, now);
  const { series } = numerator;
  let folio: number;
  if (requested !== null) {
    if (
      requested < numerator.range_min ||
      (numerator.range_max !== null && requested > numerator.range_max)
    ) {
      refuse("folio_out_of_range", `Folio ${requested} is outside the range of series "${series}"`);
    }
    if (isLive(sql, series, requested)) {
      refuse("folio_in_use", `Folio ${requested} is already used in series "${series}"`);
    }
    folio = requested;
  } else {
    const free = sql
      .exec<{ folio: number }>(
        "SELECT folio FROM folio_free WHERE series = ? AND folio >= ? ORDER BY folio LIMIT 1",
        series,
        numerator.range_min,
      )
      .toArray()[0];
    if (free) {
      folio = free.folio;
    } else {
      folio = Math.max(numerator.current + 1, numerator.range_min);
      while (isLive(sql, series, folio)) folio++;
      if (numerator.range_max !== null && folio > numerator.range_max) {
        refuse("folio_range_exhausted", `Series "${series}" has no folio left in its range`);
      }
      sql.exec("UPDATE folio_series SET current = ?, updated_at = ? WHERE series = ?", folio, now, series);
    }
  }
  // The free list only holds folios at or below the numerator (see `free`): a folio past it is not there.
  if (folio <= numerator.current) {
    sql.exec("DELETE FROM folio_free WHERE series = ? AND folio = ?", series, folio);
  }
  const row: ReservationRow = {
    id: crypto.randomUUID(),
    idempotency_key: key,
    series,
    folio,
    requested_folio: requested,
    state: "reserved",
    created_at: now,
    expires_at: nowMs + ttlMs,
  };
  sql.exec(
    "INSERT INTO folio_reservations (id, idempotency_key, series, folio, requested_folio, state, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    row.id,
    row.idempotency_key,
    row.series,
    row.folio,
    row.requested_folio,
    row.state,
    row.created_at,
    row.expires_at,
  );
  return view(sql, { ...row, prefix: numerator.prefix });
}

/** The reservation with its series' prefix, in one statement. */
function reservation(sql: SqlStorage, reservationId: unknown): ReservationRow & { prefix: string | null } {
  const id = requireText(reservationId, "reservationId");
  const row = sql
    .exec<ReservationRow & { prefix: string | null }>(
      "SELECT r.*, s.prefix FROM folio_reservations r LEFT JOIN folio_series s USING (series) WHERE r.id = ?",
      id,
    )
    .toArray()[0];
  return row ?? refuse("reservation_not_found", "Folio reservation not found");
}

/**
 * Commits a reservation; committing twice answers the same. A reservation past its expiry that the
 * alarm has not released yet still holds its folio exclusively, so it may still be committed.
 */
export function commitFolio(sql: SqlStorage, reservationId: unknown, now: string): FolioReservation {
  const row = reservation(sql, reservationId);
  if (row.state === "released" || row.state === "expired") {
    refuse(
      "folio_reservation_closed",
      `The reservation of folio ${row.folio} was ${row.state}; reserve again`,
    );
  }
  if (row.state === "reserved") {
    sql.exec("UPDATE folio_reservations SET state = 'committed', settled_at = ? WHERE id = ?", now, row.id);
  }
  return view(sql, { ...row, state: "committed" });
}

/** Returns a folio to the series: below the numerator it becomes the next one handed out. */
function free(sql: SqlStorage, row: ReservationRow, state: "released" | "expired", now: string) {
  sql.exec("UPDATE folio_reservations SET state = ?, settled_at = ? WHERE id = ?", state, now, row.id);
  // A requested folio ahead of the numerator is not a gap: the numerator reaches it in turn.
  sql.exec(
    "INSERT OR IGNORE INTO folio_free (series, folio) SELECT series, ? FROM folio_series WHERE series = ? AND current >= ?",
    row.folio,
    row.series,
    row.folio,
  );
}

export function releaseFolio(sql: SqlStorage, reservationId: unknown, now: string): FolioReservation {
  const row = reservation(sql, reservationId);
  if (row.state === "committed") {
    refuse("folio_already_committed", `Folio ${row.folio} is committed and cannot be released`);
  }
  if (row.state === "reserved") free(sql, row, "released", now);
  return view(sql, { ...row, state: row.state === "reserved" ? "released" : row.state });
}

/** Releases every reservation open past its expiry; returns when the next one expires (ms), if any. */
export function expireReservations(sql: SqlStorage, nowMs: number): number | null {
  const now = new Date(nowMs).toISOString();
  const due = sql
    .exec<ReservationRow>(
      "SELECT * FROM folio_reservations WHERE state = 'reserved' AND expires_at <= ? ORDER BY expires_at",
      nowMs,
    )
    .toArray();
  for (const row of due) free(sql, row, "expired", now);
  return nextExpiry(sql);
}

export const nextExpiry = (sql: SqlStorage): number | null =>
  sql
    .exec<{ next: number | null }>(
      "SELECT MIN(expires_at) AS next FROM folio_reservations WHERE state = 'reserved'",
    )
    .one().next;
