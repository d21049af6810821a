/**
 * The balance and consumables ledger of one organization, inside its OrgLedger Durable Object (the
 * only writer). Money is integer centavos (shared/ledger/money).
 * - `ledger_entries` is append-only: credit (top-up), hold (one consumption reserved before the
 *   provider call), capture / release (settle a hold: exactly one per hold, by a unique index),
 *   charge (a consumption without a hold). Each write carries an idempotency key, unique per kind, so
 *   a retried operation returns the entry it made the first time and never has a second effect.
 * - A plan per consumable sets the units included per period and the unit price; a consumption uses
 *   the period's included units first and charges only the rest to the balance.
 * - `ledger_account` and `ledger_usage` are running totals of the entries, written in the same
 *   transaction as each entry so that a hold reads them instead of summing history.
 * Every function runs inside the caller's `transactionSync`; refusals throw LedgerRefusal.
 */
import { formatMxn, parseMxn } from "../shared/ledger/money";
import { PERIOD, periodOf } from "../shared/ledger/period";
import { refuse, requireCount, requireText } from "../shared/ledger/result";
import { type Page, pageEnvelope, pageOffset } from "../shared/pagination";

export const DEFAULT_CONSUMABLE = "stamp";
/** Until a plan is configured, a stamp costs 1.00 MXN and none is included. */
const DEFAULT_PLAN = { included_units: 0, unit_price_cents: 100 };

export type EntryKind = "credit" | "hold" | "capture" | "release" | "charge";

export interface CreditInput {
  amount: string;
  idempotencyKey: string;
  reference?: string;
}

export interface ConsumeInput {
  units: number;
  idempotencyKey: string;
  reference?: string;
  consumableKey?: string;
}

export interface PlanInput {
  consumableKey?: string;
  includedUnits: number;
  unitPrice: string;
}

export interface LedgerEntry {
  id: string;
  kind: EntryKind;
  amount: string;
  units: number;
  includedUnits: number;
  unitPrice: string;
  consumableKey: string | null;
  period: string | null;
  holdId: string | null;
  idempotencyKey: string;
  reference: string | null;
  createdAt: string;
}

export interface LedgerHold extends LedgerEntry {
  state: "held" | "captured" | "released";
}

export interface Balance {
  balanceAmount: string;
  availableAmount: string;
  heldAmount: string;
  lastTransactionAt: string | null;
}

export interface Consumable {
  consumableKey: string;
  period: string;
  includedUnits: number;
  remainingIncludedUnits: number;
  heldUnits: number;
  usedUnits: number;
  chargedUnits: number;
  unitPrice: string;
  chargedAmount: string;
}

type EntryRow = {
  id: string;
  kind: EntryKind;
  amount_cents: number;
  units: number;
  included_units: number;
  unit_price_cents: number;
  consumable_key: string | null;
  period: string | null;
  hold_id: string | null;
  idempotency_key: string;
  reference: string | null;
  created_at: string;
};
type AccountRow = { balance_cents: number; held_cents: number; last_transaction_at: string | null };
type UsageRow = {
  period: string;
  consumable_key: string;
  included_reserved: number;
  held_units: number;
  used_units: number;
  charged_units: number;
  charged_cents: number;
};
type PlanRow = { included_units: number; unit_price_cents: number };

export function createBalanceTables(sql: SqlStorage) {
  sql.exec(`CREATE TABLE IF NOT EXISTS ledger_entries (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('credit', 'hold', 'capture', 'release', 'charge')),
    amount_cents INTEGER NOT NULL CHECK (amount_cents >= 0),
    units INTEGER NOT NULL DEFAULT 0,
    included_units INTEGER NOT NULL DEFAULT 0,
    unit_price_cents INTEGER NOT NULL DEFAULT 0,
    consumable_key TEXT,
    period TEXT,
    hold_id TEXT,
    idempotency_key TEXT NOT NULL,
    reference TEXT,
    created_at TEXT NOT NULL
  )`);
  sql.exec("CREATE UNIQUE INDEX IF NOT EXISTS ledger_entries_key ON ledger_entries (kind, idempotency_key)");
  sql.exec(
    "CREATE UNIQUE INDEX IF NOT EXISTS ledger_entries_settlement ON ledger_entries (hold_id) WHERE hold_id IS NOT NULL",
  );
  sql.exec(
    "CREATE INDEX IF NOT EXISTS ledger_entries_consumption ON ledger_entries (kind) WHERE kind IN ('capture', 'charge')",
  );
  sql.exec(`CREATE TABLE IF NOT EXISTS ledger_account (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    balance_cents INTEGER NOT NULL DEFAULT 0,
    held_cents INTEGER NOT NULL DEFAULT 0,
    last_transaction_at TEXT
  )`);
  sql.exec("INSERT OR IGNORE INTO ledger_account (id) VALUES (1)");
  sql.exec(`CREATE TABLE IF NOT EXISTS ledger_plans (
    consumable_key TEXT PRIMARY KEY,
    included_units INTEGER NOT NULL,
    unit_price_cents INTEGER NOT NULL,
    updated_at TEXT NOT NULL
  )`);
  sql.exec(`CREATE TABLE IF NOT EXISTS ledger_usage (
    period TEXT NOT NULL,
    consumable_key TEXT NOT NULL,
    included_reserved INTEGER NOT NULL DEFAULT 0,
    held_units INTEGER NOT NULL DEFAULT 0,
    used_units INTEGER NOT NULL DEFAULT 0,
    charged_units INTEGER NOT NULL DEFAULT 0,
    charged_cents INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (period, consumable_key)
  ) WITHOUT ROWID`);
}

const toEntry = (row: EntryRow): LedgerEntry => ({
  id: row.id,
  kind: row.kind,
  amount: formatMxn(row.amount_cents),
  units: row.units,
  includedUnits: row.included_units,
  unitPrice: formatMxn(row.unit_price_cents),
  consumableKey: row.consumable_key,
  period: row.period,
  holdId: row.hold_id,
  idempotencyKey: row.idempotency_key,
  reference: row.reference,
  createdAt: row.created_at,
});

function insertEntry(sql: SqlStorage, row: EntryRow) {
  sql.exec(
    `INSERT INTO ledger_entries (id, kind, amount_cents, units, included_units, unit_price_cents, consumable_key,
      period, hold_id, idempotency_key, reference, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    row.id,
    row.kind,
    row.amount_cents,
    row.units,
    row.included_units,
    row.unit_price_cents,
    row.consumable_key,
    row.period,
    row.hold_id,
    row.idempotency_key,
    row.reference,
    row.created_at,
  );
}

const entryByKey = (sql: SqlStorage, kind: EntryKind, key: string) =>
  sql
    .exec<EntryRow>("SELECT * FROM ledger_entries WHERE kind = ? AND idempotency_key = ?", kind, key)
    .toArray()[0];

const account = (sql: SqlStorage) =>
  sql.exec<AccountRow>("SELECT balance_cents, held_cents, last_transaction_at FROM ledger_account").one();

function moveAccount(sql: SqlStorage, balanceDelta: number, heldDelta: number, now: string | null) {
  sql.exec(
    "UPDATE ledger_account SET balance_cents = balance_cents + ?, held_cents = held_cents + ?, last_transaction_at = COALESCE(?, last_transaction_at)",
    balanceDelta,
    heldDelta,
    now,
  );
}

/** The period's running totals, created on the period's first consumption (read first: it exists after). */
function usage(sql: SqlStorage, period: string, consumableKey: string): UsageRow {
  const existing = sql
    .exec<UsageRow>(
      "SELECT * FROM ledger_usage WHERE period = ? AND consumable_key = ?",
      period,
      consumableKey,
    )
    .toArray()[0];
  if (existing) return existing;
  return sql
    .exec<UsageRow>(
      "INSERT INTO ledger_usage (period, consumable_key) VALUES (?, ?) RETURNING *",
      period,
      consumableKey,
    )
    .one();
}

function moveUsage(
  sql: SqlStorage,
  row: Pick<EntryRow, "period" | "consumable_key">,
  d: { included?: number; held?: number; used?: number; charged?: number; chargedCents?: number },
) {
  sql.exec(
    `UPDATE ledger_usage SET included_reserved = included_reserved + ?, held_units = held_units + ?,
      used_units = used_units + ?, charged_units = charged_units + ?, charged_cents = charged_cents + ?
      WHERE period = ? AND consumable_key = ?`,
    d.included ?? 0,
    d.held ?? 0,
    d.used ?? 0,
    d.charged ?? 0,
    d.chargedCents ?? 0,
    row.period,
    row.consumable_key,
  );
}

function plan(sql: SqlStorage, consumableKey: string): PlanRow {
  const row = sql
    .exec<PlanRow>(
      "SELECT included_units, unit_price_cents FROM ledger_plans WHERE consumable_key = ?",
      consumableKey,
    )
    .toArray()[0];
  if (row) return row;
  return consumableKey === DEFAULT_CONSUMABLE
    ? DEFAULT_PLAN
    : refuse("invalid_argument", `No plan for consumable "${consumableKey}"`);
}

export function configurePlan(sql: SqlStorage, input: PlanInput, now: string) {
  const consumableKey = requireText(input.consumableKey ?? DEFAULT_CONSUMABLE, "consumableKey", 64);
  const includedUnits = requireCount(input.includedUnits, "includedUnits", 0);
  const unitPriceCents = parseMxn(String(input.unitPrice));
  if (unitPriceCents === undefined) {
    refuse("invalid_argument", "unitPrice must be a non-negative amount with at most 2 decimals");
  }
  sql.exec(
    `INSERT INTO ledger_plans (consumable_key, included_units, unit_price_cents, updated_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (consumable_key) DO UPDATE SET included_units = excluded.included_units,
      unit_price_cents = excluded.unit_price_cents, updated_at = excluded.updated_at`,
    consumableKey,
    includedUnits,
    unitPriceCents,
    now,
  );
  return { consumableKey, includedUnits, unitPrice: formatMxn(unitPriceCents!) };
}

export function credit(sql: SqlStorage, input: CreditInput, now: string): LedgerEntry {
  const key = requireText(input.idempotencyKey, "idempotencyKey");
  const cents = parseMxn(String(input.amount));
  if (cents === undefined || cents === 0) {
    refuse("invalid_argument", "amount must be a positive amount with at most 2 decimals");
  }
  const previous = entryByKey(sql, "credit", key);
  if (previous) {
    if (previous.amount_cents !== cents) {
      refuse("idempotency_key_reused", "This idempotency key was used for a different top-up");
    }
    return toEntry(previous);
  }
  const row: EntryRow = {
    id: crypto.randomUUID(),
    kind: "credit",
    amount_cents: cents!,
    units: 0,
    included_units: 0,
    unit_price_cents: 0,
    consumable_key: null,
    period: null,
    hold_id: null,
    idempotency_key: key,
    reference: input.reference === undefined ? null : requireText(input.reference, "reference"),
    created_at: now,
  };
  insertEntry(sql, row);
  moveAccount(sql, cents!, 0, now);
  return toEntry(row);
}

const holdState = (sql: SqlStorage, holdId: string): LedgerHold["state"] => {
  const settled = sql
    .exec<{ kind: EntryKind }>("SELECT kind FROM ledger_entries WHERE hold_id = ?", holdId)
    .toArray()[0];
  if (!settled) return "held";
  return settled.kind === "capture" ? "captured" : "released";
};

/**
 * Prices a consumption of `units` now: the period's remaining included units first, the rest at the
 * plan's unit price, refused when that exceeds the available balance (balance minus open holds).
 */
function consume(sql: SqlStorage, kind: "hold" | "charge", input: ConsumeInput, now: string): EntryRow {
  const key = requireText(input.idempotencyKey, "idempotencyKey");
  const units = requireCount(input.units, "units");
  const consumableKey = requireText(input.consumableKey ?? DEFAULT_CONSUMABLE, "consumableKey", 64);
  const previous = entryByKey(sql, kind, key);
  if (previous) {
    if (previous.units !== units || previous.consumable_key !== consumableKey) {
      refuse("idempotency_key_reused", `This idempotency key was used for a different ${kind}`);
    }
    return previous;
  }
  const { included_units, unit_price_cents } = plan(sql, consumableKey);
  const period = periodOf(new Date(now));
  const used = usage(sql, period, consumableKey);
  const included = Math.min(units, Math.max(0, included_units - used.included_reserved));
  const amount = (units - included) * unit_price_cents;
  const { balance_cents, held_cents } = account(sql);
  if (amount > balance_cents - held_cents) {
    refuse(
      "insufficient_balance",
      `Insufficient balance: ${formatMxn(amount)} MXN needed, ${formatMxn(balance_cents - held_cents)} MXN available`,
    );
  }
  const row: EntryRow = {
    id: crypto.randomUUID(),
    kind,
    amount_cents: amount,
    units,
    included_units: included,
    unit_price_cents,
    consumable_key: consumableKey,
    period,
    hold_id: null,
    idempotency_key: key,
    reference: input.reference === undefined ? null : requireText(input.reference, "reference"),
    created_at: now,
  };
  insertEntry(sql, row);
  if (kind === "hold") {
    moveAccount(sql, 0, amount, null);
    moveUsage(sql, row, { included, held: units });
  } else {
    moveAccount(sql, -amount, 0, now);
    moveUsage(sql, row, { included, used: units, charged: units - included, chargedCents: amount });
  }
  return row;
}

export function hold(sql: SqlStorage, input: ConsumeInput, now: string): LedgerHold {
  const row = consume(sql, "hold", input, now);
  return { ...toEntry(row), state: holdState(sql, row.id) };
}

export const charge = (sql: SqlStorage, input: ConsumeInput, now: string): LedgerEntry =>
  toEntry(consume(sql, "charge", input, now));

/** Captures or releases a hold, once; repeating the same settlement answers the same. */
export function settle(
  sql: SqlStorage,
  kind: "capture" | "release",
  holdId: unknown,
  now: string,
): LedgerHold {
  const id = requireText(holdId, "holdId");
  const held =
    sql.exec<EntryRow>("SELECT * FROM ledger_entries WHERE id = ? AND kind = 'hold'", id).toArray()[0] ??
    refuse("hold_not_found", "Hold not found");
  const state = holdState(sql, held.id);
  const wanted = kind === "capture" ? "captured" : "released";
  if (state === wanted) return { ...toEntry(held), state };
  if (state !== "held") refuse("hold_already_settled", `The hold was already ${state}`);

  // The settlement's key is the hold's id: with the unique index, a hold settles once.
  const row: EntryRow = {
    ...held,
    id: crypto.randomUUID(),
    kind,
    hold_id: held.id,
    idempotency_key: held.id,
    created_at: now,
  };
  insertEntry(sql, row);
  const charged = row.units - row.included_units;
  if (kind === "capture") {
    moveAccount(sql, -row.amount_cents, -row.amount_cents, now);
    moveUsage(sql, row, { held: -row.units, used: row.units, charged, chargedCents: row.amount_cents });
  } else {
    moveAccount(sql, 0, -row.amount_cents, null);
    moveUsage(sql, row, { included: -row.included_units, held: -row.units });
  }
  return { ...toEntry(held), state: wanted };
}

export function balance(sql: SqlStorage): Balance {
  const a = account(sql);
  return {
    balanceAmount: formatMxn(a.balance_cents),
    availableAmount: formatMxn(a.balance_cents - a.held_cents),
    heldAmount: formatMxn(a.held_cents),
    lastTransactionAt: a.last_transaction_at,
  };
}

export function consumables(sql: SqlStorage, period: string): Consumable[] {
  if (!PERIOD.test(period)) refuse("invalid_argument", "period must be YYYY-MM");
  const keys = sql
    .exec<{ key: string }>(
      `SELECT ? AS key UNION SELECT consumable_key FROM ledger_plans
        UNION SELECT consumable_key FROM ledger_usage WHERE period = ? ORDER BY key`,
      DEFAULT_CONSUMABLE,
      period,
    )
    .toArray();
  return keys.map(({ key }) => {
    const p = plan(sql, key);
    const u = sql
      .exec<UsageRow>("SELECT * FROM ledger_usage WHERE period = ? AND consumable_key = ?", period, key)
      .toArray()[0];
    return {
      consumableKey: key,
      period,
      includedUnits: p.included_units,
      remainingIncludedUnits: Math.max(0, p.included_units - (u?.included_reserved ?? 0)),
      heldUnits: u?.held_units ?? 0,
      usedUnits: u?.used_units ?? 0,
      chargedUnits: u?.charged_units ?? 0,
      unitPrice: formatMxn(p.unit_price_cents),
      chargedAmount: formatMxn(u?.charged_cents ?? 0),
    };
  });
}

/** The seed's consumptions (captured holds and direct charges), newest first. */
export function consumptions(sql: SqlStorage, page: Page) {
  const limit = requireCount(page.limit, "limit");
  if (limit > 100) refuse("invalid_argument", "limit must be at most 100");
  const p = { page: requireCount(page.page, "page"), limit };
  const total = sql
    .exec<{ n: number }>("SELECT COUNT(*) AS n FROM ledger_entries WHERE kind IN ('capture', 'charge')")
    .one().n;
  const rows = sql
    .exec<EntryRow>(
      "SELECT * FROM ledger_entries WHERE kind IN ('capture', 'charge') ORDER BY rowid DESC LIMIT ? OFFSET ?",
      p.limit,
      pageOffset(p),
    )
    .toArray();
  const data = rows.map((row) => ({
    id: row.hold_id ?? row.id,
    consumableKey: row.consumable_key!,
    count: row.units,
    includedUnits: row.included_units,
    unitPrice: formatMxn(row.unit_price_cents),
    amount: formatMxn(row.amount_cents),
    period: row.period!,
    reference: row.reference,
    createdAt: row.created_at,
  }));
  return pageEnvelope(data, total, p);
}
