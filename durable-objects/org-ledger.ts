import { DurableObject } from "cloudflare:workers";
import { periodOf } from "../shared/ledger/period";
import { LedgerRefusal, type LedgerResult } from "../shared/ledger/result";
import type { Page } from "../shared/pagination";
import { initMeta, recordMeta } from "./meta";
import * as ledger from "./org-ledger-balance";
import * as folios from "./org-ledger-folios";

/**
 * One per organization: the only writer of its folio numbering (org-ledger-folios.ts) and of its
 * balance/consumables ledger (org-ledger-balance.ts). Every state that matters lives in SQLite; each
 * mutating RPC runs as one synchronous SQLite transaction, so requests are serialized, a refusal
 * leaves nothing behind, and an eviction at any point loses nothing acknowledged. Refusals come back as
 * `{ok: false, code}` values (shared/ledger/result.ts); workers/services/ledger.ts maps them.
 */
export class OrgLedger extends DurableObject {
  private readonly sql: SqlStorage;
  /** The alarm this instance knows to be set (ms), to skip a storage round trip per reservation. */
  private alarmAt: number | null = null;

  constructor(ctx: DurableObjectState, env: Cloudflare.Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => {
      initMeta(ctx.storage);
      folios.createFolioTables(this.sql);
      ledger.createBalanceTables(this.sql);
      // An eviction between a reservation's write and its alarm would leave it without expiry.
      this.alarmAt = await ctx.storage.getAlarm();
      const next = folios.nextExpiry(this.sql);
      if (next !== null && this.alarmAt === null) await this.armAlarm(next);
    });
  }

  /** Proves storage works: records the organization it serves on first call and reports it back. */
  async health(organizationId: string) {
    return {
      ok: true as const,
      object: "OrgLedger" as const,
      ...recordMeta(this.ctx.storage, organizationId),
    };
  }

  configureSeries(input: folios.SeriesInput) {
    return this.run(() => folios.configureSeries(this.sql, input, now()));
  }

  numerators() {
    return folios.listNumerators(this.sql);
  }

  async reserveFolio(input: folios.ReserveInput) {
    const result = this.run(() => folios.reserveFolio(this.sql, input, Date.now()));
    if (result.ok && result.value.state === "reserved") {
      const expiresAt = Date.parse(result.value.expiresAt);
      if (this.alarmAt === null || this.alarmAt > expiresAt) await this.armAlarm(expiresAt);
    }
    return result;
  }

  commitFolio(reservationId: string) {
    return this.run(() => folios.commitFolio(this.sql, reservationId, now()));
  }

  releaseFolio(reservationId: string) {
    return this.run(() => folios.releaseFolio(this.sql, reservationId, now()));
  }

  /** Releases the reservations left open past their expiry, then waits for the next one. */
  override async alarm() {
    this.alarmAt = null;
    const next = this.ctx.storage.transactionSync(() => folios.expireReservations(this.sql, Date.now()));
    if (next !== null) await this.armAlarm(next);
  }

  private async armAlarm(at: number) {
    this.alarmAt = at;
    await this.ctx.storage.setAlarm(at);
  }

  configurePlan(input: ledger.PlanInput) {
    return this.run(() => ledger.configurePlan(this.sql, input, now()));
  }

  credit(input: ledger.CreditInput) {
    return this.run(() => ledger.credit(this.sql, input, now()));
  }

  hold(input: ledger.ConsumeInput) {
    return this.run(() => ledger.hold(this.sql, input, now()));
  }

  charge(input: ledger.ConsumeInput) {
    return this.run(() => ledger.charge(this.sql, input, now()));
  }

  capture(holdId: string) {
    return this.run(() => ledger.settle(this.sql, "capture", holdId, now()));
  }

  release(holdId: string) {
    return this.run(() => ledger.settle(this.sql, "release", holdId, now()));
  }

  balance() {
    return ledger.balance(this.sql);
  }

  /** The period's consumables; the current Mexico City month when none is given. */
  consumables(input: { period?: string } = {}) {
    return this.run(() => ledger.consumables(this.sql, input.period ?? periodOf(new Date())));
  }

  consumptions(page: Page) {
    return this.run(() => ledger.consumptions(this.sql, page));
  }

  private run<T>(operation: () => T): LedgerResult<T> {
    try {
      return { ok: true, value: this.ctx.storage.transactionSync(operation) };
    } catch (error) {
      if (error instanceof LedgerRefusal) return { ok: false, code: error.code, message: error.message };
      throw error;
    }
  }
}

const now = () => new Date().toISOString();
