/**
 * /v1/items (the product catalog) end to end: keys and taxes checked on write, one item per
 * description, listing filters, sort and pages, tenancy and roles; then stamping lines that name an
 * `itemId` of the issuing organization.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { items } from "../../db/schema";
import { addMember, call, createOrg, db, signUp } from "./harness";
import { setUpIssuer } from "./issuer-fixture";

const owner = await signUp("catalog");
const org = await createOrg(owner);

const create = (body: Record<string, unknown>, token = owner.token, orgId = org.id) =>
  call("POST", `/v1/items?organization_id=${orgId}`, { token, body });

const item = (over: Record<string, unknown> = {}) => ({
  description: "Consultoría fiscal",
  itemKey: "84111506",
  unitKey: "E48",
  netUnitPriceAmount: "1500.50",
  ...over,
});

const list = (query: string, token = owner.token) =>
  call("GET", `/v1/items?organization_id=${org.id}${query ? `&${query}` : ""}`, { token });

const rowsOf = async (orgId = org.id) => db().select().from(items).where(eq(items.organizationId, orgId));

describe("creating items", () => {
  it("creates an item with the unit's description and the stamp's default taxes", async () => {
    const res = await create(item());
    expect(res.status, res.text).toBe(201);
    expect(res.json).toMatchObject({
      organizationId: org.id,
      description: "Consultoría fiscal",
      itemKey: "84111506",
      unitKey: "E48",
      unitDescription: "Unidad de servicio",
      netUnitPriceAmount: 1500.5,
      taxes: null,
    });
    expect(res.json.id).toMatch(/^[0-9a-f-]{36}$/);
    const got = await call("GET", `/v1/items/${res.json.id}`, { token: owner.token });
    expect(got.status).toBe(200);
    expect(got.json).toEqual(res.json);
  });

  it("keeps the stamp body's taxes, completed with their defaults", async () => {
    const res = await create(
      item({
        description: "Honorarios",
        taxes: [
          { type: "IVA", rate: 0.16 },
          { type: "ISR", rate: "0.10", withholding: true },
        ],
      }),
    );
    expect(res.status, res.text).toBe(201);
    expect(res.json.taxes).toEqual([
      { type: "IVA", factor: "Tasa", rate: 0.16, withholding: false },
      { type: "ISR", factor: "Tasa", rate: 0.1, withholding: true },
    ]);
    const exempt = await create(item({ description: "Libro", taxes: [] }));
    expect(exempt.status, exempt.text).toBe(201);
    expect(exempt.json.taxes).toEqual([]);
  });

  it("refuses bad keys, prices and taxes with 400 and the field's path, writing nothing", async () => {
    const before = (await rowsOf()).length;
    const cases: Array<[Record<string, unknown>, string]> = [
      [item({ description: "A", unitKey: "ZZZ" }), "unitKey"],
      [item({ description: "B", itemKey: "1234" }), "itemKey"],
      [item({ description: "B2", itemKey: "99999999" }), "itemKey"],
      [item({ description: "C", netUnitPriceAmount: "1.1234567" }), "netUnitPriceAmount"],
      [item({ description: "D", netUnitPriceAmount: -1 }), "netUnitPriceAmount"],
      [item({ description: "E", taxes: [{ type: "IVA", rate: 0.17 }] }), "taxes.0.rate"],
      [item({ description: "F", taxes: [{ type: "ISR", rate: 0.1 }] }), "taxes.0.withholding"],
      [item({ description: "G", taxes: [{ type: "IVA", factor: "Exento", rate: 0 }] }), "taxes.0.rate"],
      [item({ description: "H", taxes: [{ type: "IVA", factor: "Tasa" }] }), "taxes.0.rate"],
      [item({ description: "   " }), "description"],
      [{ ...item({ description: "I" }), sku: "x" }, ""],
    ];
    for (const [body, path] of cases) {
      const res = await create(body);
      expect(res.status, `${path}: ${res.text}`).toBe(400);
      expect(res.json.error).toBe("validation_failed");
      if (path) expect(res.json.details.map((d: { path: string }) => d.path)).toContain(path);
    }
    const huge = await create(item({ description: "J", netUnitPriceAmount: "9000000001" }));
    expect(huge.status).toBe(400);
    expect(huge.json.error).toBe("amount_out_of_range");
    expect(await rowsOf()).toHaveLength(before);
  });

  it("holds one item per description (case and spacing aside): a second → 409", async () => {
    const again = await create(item({ description: "  CONSULTORÍA   fiscal ", itemKey: "84111500" }));
    expect(again.status, again.text).toBe(409);
    expect(again.json.error).toBe("item_already_exists");
    expect((await rowsOf()).filter((r) => r.descriptionKey === "consultoría fiscal")).toHaveLength(1);
    // Another organization's catalog is its own.
    const other = await createOrg(owner);
    expect((await create(item(), owner.token, other.id)).status).toBe(201);
  });
});

describe("listing items", () => {
  it("pages, filters and sorts the organization's catalog", async () => {
    for (let i = 0; i < 12; i++) {
      const res = await create(
        item({
          description: `Producto ${String(i).padStart(2, "0")}`,
          itemKey: "43211500",
          unitKey: "H87",
          netUnitPriceAmount: 10 + i,
        }),
      );
      expect(res.status, res.text).toBe(201);
    }
    const all = await list("");
    expect(all.status, all.text).toBe(200);
    expect(all.json.totalCount).toBe(15);
    expect(all.json.data[0].description).toBe("Consultoría fiscal");

    const page2 = await list("limit=10&page=2");
    expect(page2.json).toMatchObject({ totalCount: 15, totalPages: 2 });
    expect(page2.json.data).toHaveLength(5);

    const products = await list("description=producto&sort=netUnitPriceAmount&order=desc&limit=10");
    expect(products.json.totalCount).toBe(12);
    expect(products.json.data.map((i: { netUnitPriceAmount: number }) => i.netUnitPriceAmount)).toEqual([
      21, 20, 19, 18, 17, 16, 15, 14, 13, 12,
    ]);
    expect((await list("item_key=4321")).json.totalCount).toBe(12);
    expect((await list("unit_key=E48")).json.totalCount).toBe(3);
    expect((await list("description=CONSULTORÍA")).json.totalCount).toBe(1);

    for (const bad of ["limit=7", "sort=price", "order=up", "item_key=abc", "page=0", "colour=red"]) {
      const res = await list(bad);
      expect(res.status, bad).toBe(400);
      expect(res.json.error).toBe("validation_failed");
    }
  });
});

describe("updating and deleting items", () => {
  it("updates the fields sent, re-checking them; a taken description → 409", async () => {
    const created = (await create(item({ description: "Mantenimiento", unitKey: "E48" }))).json;
    const res = await call("PATCH", `/v1/items/${created.id}`, {
      token: owner.token,
      body: { netUnitPriceAmount: 99, unitKey: "H87", taxes: [{ type: "IVA", rate: "0.08" }] },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({
      description: "Mantenimiento",
      unitKey: "H87",
      unitDescription: "Pieza",
      netUnitPriceAmount: 99,
      taxes: [{ type: "IVA", factor: "Tasa", rate: 0.08, withholding: false }],
    });
    expect(res.json.updatedAt >= created.updatedAt).toBe(true);

    const taken = await call("PATCH", `/v1/items/${created.id}`, {
      token: owner.token,
      body: { description: "consultoría FISCAL" },
    });
    expect(taken.status).toBe(409);
    expect(taken.json.error).toBe("item_already_exists");

    const bad = await call("PATCH", `/v1/items/${created.id}`, {
      token: owner.token,
      body: { unitKey: "QQQ" },
    });
    expect(bad.status).toBe(400);
    expect((await call("PATCH", `/v1/items/${created.id}`, { token: owner.token, body: {} })).status).toBe(
      400,
    );
    const cleared = await call("PATCH", `/v1/items/${created.id}`, {
      token: owner.token,
      body: { taxes: null },
    });
    expect(cleared.json.taxes).toBeNull();
    const [row] = await db().select().from(items).where(eq(items.id, created.id));
    expect(row).toMatchObject({ unitKey: "H87", netUnitPriceAmount: "99", netUnitPriceMicros: 99_000_000 });
  });

  it("deletes an item once; then it is not found", async () => {
    const created = (await create(item({ description: "Temporal" }))).json;
    const del = await call("DELETE", `/v1/items/${created.id}`, { token: owner.token });
    expect(del.status, del.text).toBe(200);
    expect(del.json).toEqual({ success: true });
    for (const method of ["GET", "DELETE", "PATCH"]) {
      const res = await call(method, `/v1/items/${created.id}`, {
        token: owner.token,
        body: method === "PATCH" ? { netUnitPriceAmount: 1 } : undefined,
      });
      expect(res.status, method).toBe(404);
    }
    expect((await call("GET", "/v1/items/not-a-uuid", { token: owner.token })).status).toBe(404);
  });
});

describe("tenancy and roles", () => {
  it("hides another organization's items (404) and its catalog (404)", async () => {
    const theirs = (await create(item({ description: "Privado" }))).json;
    const outsider = await signUp("outsider");
    await createOrg(outsider);
    for (const method of ["GET", "PATCH", "DELETE"]) {
      const res = await call(method, `/v1/items/${theirs.id}`, {
        token: outsider.token,
        body: method === "PATCH" ? { netUnitPriceAmount: 1 } : undefined,
      });
      expect(res.status, method).toBe(404);
    }
    expect((await list("", outsider.token)).status).toBe(404);
    expect((await create(item({ description: "Intruso" }), outsider.token)).status).toBe(404);
    const [row] = await db().select().from(items).where(eq(items.id, theirs.id));
    expect(row!.netUnitPriceAmount).toBe("1500.5");
  });

  it("lets readers read and only managers write (403 otherwise)", async () => {
    const readonly = await signUp("readonly");
    await addMember(org.id, readonly.id, "readonly");
    const assistant = await signUp("assistant");
    await addMember(org.id, assistant.id, "assistant");
    const some = (await list("")).json.data[0];
    expect((await list("", readonly.token)).status).toBe(200);
    expect((await call("GET", `/v1/items/${some.id}`, { token: readonly.token })).status).toBe(200);
    expect((await create(item({ description: "No" }), readonly.token)).status).toBe(403);
    expect(
      (
        await call("PATCH", `/v1/items/${some.id}`, {
          token: readonly.token,
          body: { netUnitPriceAmount: 1 },
        })
      ).status,
    ).toBe(403);
    expect((await call("DELETE", `/v1/items/${some.id}`, { token: readonly.token })).status).toBe(403);
    const denied = await list("", assistant.token);
    expect(denied.status).toBe(403);
    expect(denied.json.error).toBe("forbidden");
  });
});

const s = await setUpIssuer();
await s.topUp(100);
const catalogItem = (
  await create(
    item({
      description: "Curso de actualización",
      itemKey: "86121600",
      unitKey: "E48",
      netUnitPriceAmount: "1500",
      taxes: [{ type: "IVA", rate: "0.16" }],
    }),
    s.owner.token,
    s.issuer.id,
  )
).json;

describe("stamping from the catalog", () => {
  it("fills a line from its itemId", async () => {
    const res = await s.stamp({ items: [{ itemId: catalogItem.id, quantity: 2 }] });
    expect(res.status, res.text).toBe(201);
    const [line] = res.json.invoice.items;
    expect(line).toMatchObject({
      description: "Curso de actualización",
      netUnitPriceAmount: 1500,
      quantity: 2,
    });
    expect(res.json.invoice.grossPriceAmount).toBe(3480);
  });

  it("lets the line override what it gives", async () => {
    const res = await s.stamp({
      items: [
        { itemId: catalogItem.id, quantity: 1, description: "Curso intensivo", netUnitPriceAmount: 100 },
      ],
    });
    expect(res.status, res.text).toBe(201);
    expect(res.json.invoice.items[0]).toMatchObject({
      description: "Curso intensivo",
      netUnitPriceAmount: 100,
    });
    expect(res.json.invoice.grossPriceAmount).toBe(116);
  });

  it("refuses another organization's item or an unknown one with 400 item_not_found, charging nothing", async () => {
    const before = await s.balance();
    const foreign = (await create(item({ description: "Ajeno" }))).json;
    for (const itemId of [foreign.id, crypto.randomUUID()]) {
      const res = await s.stamp({
        items: [s.body().items[0], { itemId, quantity: 1 }],
      });
      expect(res.status, res.text).toBe(400);
      expect(res.json.error).toBe("item_not_found");
      expect(res.json.details).toEqual([expect.objectContaining({ path: "items.1.itemId" })]);
    }
    expect(await s.balance()).toBe(before);
  });

  it("requires the line's fields without an itemId", async () => {
    const res = await s.stamp({ items: [{ quantity: 1, itemKey: "86121600", unitKey: "E48" }] });
    expect(res.status).toBe(400);
    expect(res.json.error).toBe("validation_failed");
    const paths = res.json.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(["items.0.description", "items.0.netUnitPriceAmount"]));
    expect((await s.stamp({ items: [{ itemId: "nope", quantity: 1 }] })).status).toBe(400);
  });
});
