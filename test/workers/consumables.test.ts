/**
 * GET /v1/consumables and GET /v1/consumables/consumptions end to end: stamps use the plan's included
 * units before the balance is charged, each captured stamp is copied into D1 exactly once (retries and
 * replays included), refused stamps leave no row, and the listing's filters, sort and pages. The tests
 * of this file run in order on one issuing organization.
 */
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { consumptions } from "../../db/schema";
import type { LedgerHold } from "../../durable-objects/org-ledger-balance";
import { periodOf } from "../../shared/ledger/period";
import { recordConsumption } from "../../workers/services/consumables";
import type { ActorContext } from "../../workers/services/context";
import { ledgerCall } from "../../workers/services/ledger";
import { addMember, call, createOrg, db, signUp } from "./harness";
import { setUpIssuer } from "./issuer-fixture";

const s = await setUpIssuer();
const orgId = s.issuer.id;
const period = periodOf(new Date());

const consumables = (query = "", token = s.owner.token) =>
  call("GET", `/v1/consumables?organization_id=${orgId}${query}`, { token });
const listed = (query = "", token = s.owner.token) =>
  call("GET", `/v1/consumables/consumptions?organization_id=${orgId}${query}`, { token });
const rows = () => db().select().from(consumptions).where(eq(consumptions.organizationId, orgId));

describe("consumables", () => {
  it("start with nothing included, nothing used and the default unit price", async () => {
    const res = await consumables();
    expect(res.status, res.text).toBe(200);
    expect(res.json).toEqual([
      {
        consumableKey: "stamp",
        period,
        includedUnits: 0,
        usedUnits: 0,
        remainingUnits: 0,
        heldUnits: 0,
        chargedUnits: 0,
        unitPrice: 1,
        chargedAmount: 0,
      },
    ]);
  });

  it("consume the plan's included units before charging the balance, one D1 row per stamp", async () => {
    await ledgerCall(env, orgId, (l) => l.configurePlan({ includedUnits: 2, unitPrice: "2.50" }));
    await s.topUp(100);
    const stamped: string[] = [];
    for (const expected of [100, 100, 97.5]) {
      const res = await s.stamp();
      expect(res.status, res.text).toBe(201);
      stamped.push(res.json.invoice.id);
      expect(await s.balance()).toBe(expected);
    }

    const now = await consumables();
    expect(now.json).toEqual([
      {
        consumableKey: "stamp",
        period,
        includedUnits: 2,
        usedUnits: 3,
        remainingUnits: 0,
        heldUnits: 0,
        chargedUnits: 1,
        unitPrice: 2.5,
        chargedAmount: 2.5,
      },
    ]);

    const res = await listed("&sort=createdAt&order=asc");
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ totalCount: 3, totalPages: 1 });
    expect(
      res.json.data.map((c: Record<string, unknown>) => [c.count, c.includedUnits, c.chargedUnits, c.amount]),
    ).toEqual([
      [1, 1, 0, 0],
      [1, 1, 0, 0],
      [1, 0, 1, 2.5],
    ]);
    expect(res.json.data.map((c: { invoiceId: string }) => c.invoiceId).sort()).toEqual([...stamped].sort());
    expect(res.json.data[0]).toMatchObject({ consumableKey: "stamp", unitPrice: 2.5, period });
  });

  it("answer for another period with its own usage", async () => {
    const res = await consumables("&period=2020-01");
    expect(res.status).toBe(200);
    expect(res.json[0]).toMatchObject({
      period: "2020-01",
      includedUnits: 2,
      usedUnits: 0,
      remainingUnits: 2,
    });
    for (const bad of ["2020-13", "2020-1", "now"]) {
      const r = await consumables(`&period=${bad}`);
      expect(r.status, bad).toBe(400);
      expect(r.json.error).toBe("validation_failed");
    }
  });
});

describe("consumption rows", () => {
  it("are written once: a replayed stamp adds none, a repeated copy adds none", async () => {
    const first = await s.stamp({}, { key: "consumption-once" });
    expect(first.status, first.text).toBe(201);
    const replay = await s.stamp({}, { key: "consumption-once" });
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    const all = await rows();
    expect(all).toHaveLength(4);
    const row = all.find((r) => r.invoiceId === first.json.invoice.id)!;

    // Copying the same ledger entry again (a retried capture) finds it already there.
    const ctx = { db: db(), log: () => {} } as unknown as ActorContext;
    const entry = { id: row.ledgerEntryId, consumableKey: "stamp", period, units: 1, includedUnits: 0 };
    await recordConsumption(ctx, orgId, { ...entry, unitPrice: "2.50", amount: "2.50" } as LedgerHold, null);
    expect(await rows()).toHaveLength(4);
  });

  it("are not written for a stamp the provider refuses", async () => {
    const before = await s.balance();
    const refused = await s.stamp({ recipient: { ...s.body().recipient, taxRegime: "605" } });
    expect(refused.status, refused.text).toBe(422);
    expect(await rows()).toHaveLength(4);
    expect(await s.balance()).toBe(before);
  });
});

describe("GET /v1/consumables/consumptions", () => {
  it("filters by key and creation date, sorts and pages", async () => {
    expect((await listed("&consumable_key=STA")).json.totalCount).toBe(4);
    expect((await listed("&consumable_key=xyz")).json.totalCount).toBe(0);
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
    expect((await listed(`&created_at_from=2020-01-01&created_at_to=2099-12-31`)).json.totalCount).toBe(4);
    expect((await listed("&created_at_from=2099-01-01T00:00:00Z")).json.totalCount).toBe(0);
    expect((await listed("&created_at_to=2020-01-01")).json.totalCount).toBe(0);
    expect((await listed(`&created_at_from=${hourAgo}`)).json.totalCount).toBe(4);

    const byPrice = await listed("&sort=unitPrice&order=asc");
    expect(byPrice.json.data.map((c: { amount: number }) => c.amount)).toEqual([0, 0, 2.5, 2.5]);
    const page = await listed("&limit=3&page=2");
    expect(page.json).toMatchObject({ totalCount: 4, totalPages: 2 });
    expect(page.json.data).toHaveLength(1);
    const defaults = await listed();
    const created = defaults.json.data.map((c: { createdAt: string }) => c.createdAt);
    expect(created).toEqual([...created].sort().reverse());

    for (const bad of [
      "&limit=0",
      "&limit=101",
      "&limit=x",
      "&sort=amount",
      "&order=up",
      "&created_at_from=yesterday",
      "&page=0",
    ]) {
      const r = await listed(bad);
      expect(r.status, bad).toBe(400);
      expect(r.json.error).toBe("validation_failed");
    }
    expect((await listed("&limit=7")).status).toBe(200);
  });

  it("is the organization's: another organization → 404, a role without balance access → 403", async () => {
    const outsider = await signUp("outsider");
    const own = await createOrg(outsider);
    expect((await consumables("", outsider.token)).status).toBe(404);
    expect((await listed("", outsider.token)).status).toBe(404);
    const theirs = await call("GET", `/v1/consumables/consumptions?organization_id=${own.id}`, {
      token: outsider.token,
    });
    expect(theirs.json).toEqual({ data: [], totalPages: 0, totalCount: 0 });

    const collaborator = await signUp("collaborator");
    await addMember(orgId, collaborator.id, "collaborator");
    for (const res of [await consumables("", collaborator.token), await listed("", collaborator.token)]) {
      expect(res.status).toBe(403);
      expect(res.json.error).toBe("forbidden");
    }
    const readonly = await signUp("readonly");
    await addMember(orgId, readonly.id, "readonly");
    expect((await listed("", readonly.token)).json.totalCount).toBe(4);
  });
});
