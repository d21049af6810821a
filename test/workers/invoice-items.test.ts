// Item and item-tax edits: PATCH /v1/invoice-items/{id} and POST, PATCH, DELETE /v1/invoice-item-taxes
// recalculate the item, its taxes, the invoice's taxes and totals exactly, on accepted EXT invoices
// only. The EXT invoice is seeded straight into the database (seedExtInvoice: no route creates one):
// Licencia 1 × 1000.00 + IVA 16 % = 1160.00; Soporte 3 × 33.333333 = 100.00 + IVA 16 % 16.00 − ISR
// 10 % 10.00 = 106.00; total 1100.00 + 176.00 − 10.00 = 1266.00, in USD.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { invoiceEvents, invoiceItems, invoiceItemTaxes, invoices, invoiceTaxes } from "../../db/schema";
import { addMember, call, createOrg, db, signUp, type TestUser } from "./harness";
import { seedExtInvoice } from "./security-matrix";

async function ext(over: Parameters<typeof seedExtInvoice>[2] = {}) {
  const owner = await signUp("items");
  const org = await createOrg(owner);
  const ids = await seedExtInvoice("", org.id, over);
  return { owner, org, ids };
}

const send = (user: TestUser, method: string, path: string, body?: unknown) =>
  call(method, path, { token: user.token, body });

async function invoiceRow(id: string) {
  const [row] = await db().select().from(invoices).where(eq(invoices.id, id));
  return row!;
}

/** The invoice as GET /v1/invoices/{id} shows it: totals, items with their taxes, document taxes. */
async function read(user: TestUser, id: string) {
  const res = await call("GET", `/v1/invoices/${id}`, { token: user.token });
  expect(res.status).toBe(200);
  return res.json as {
    netPriceAmount: number;
    transferredTaxAmount: number;
    withheldTaxAmount: number;
    grossPriceAmount: number;
    dueAmount: number;
    items: Array<{
      id: string;
      quantity: number;
      description: string;
      netUnitPriceAmount: number;
      netPriceAmount: number;
      grossPriceAmount: number;
      taxes: Array<{ id: string; taxId: string; rate: number; baseAmount: number; value: number }>;
    }>;
    taxes: Array<{
      id: string;
      taxId: string;
      isWithholding: boolean;
      rate: number | null;
      baseAmount: number | null;
      value: number;
    }>;
  };
}

const documentTaxes = (invoice: Awaited<ReturnType<typeof read>>) =>
  invoice.taxes
    .map((t) => ({
      taxId: t.taxId,
      isWithholding: t.isWithholding,
      rate: t.rate,
      base: t.baseAmount,
      value: t.value,
    }))
    .sort((a, b) => `${a.taxId}${a.rate}`.localeCompare(`${b.taxId}${b.rate}`));

async function updatedEvents(invoiceId: string) {
  return (await db().select().from(invoiceEvents).where(eq(invoiceEvents.invoiceId, invoiceId))).filter(
    (e) => e.type === "invoice.updated",
  );
}

describe("PATCH /v1/invoice-items/{id}", () => {
  it("recalculates the item, its taxes, the document taxes and the totals exactly", async () => {
    const { owner, ids } = await ext();
    const res = await send(owner, "PATCH", `/v1/invoice-items/${ids.item2Id}`, {
      netPriceAmount: "200.50",
      quantity: 4,
    });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toEqual({ success: true, message: "Invoice item updated successfully" });

    const invoice = await read(owner, ids.invoiceId);
    const soporte = invoice.items.find((i) => i.id === ids.item2Id)!;
    // 200.50 / 4 = 50.125; IVA 200.50 × 0.16 = 32.08; ISR 200.50 × 0.10 = 20.05;
    // gross 200.50 + 32.08 − 20.05 = 212.53.
    expect(soporte).toMatchObject({ quantity: 4, netUnitPriceAmount: 50.125, netPriceAmount: 200.5 });
    expect(soporte.grossPriceAmount).toBe(212.53);
    expect(soporte.taxes.map((t) => [t.taxId, t.baseAmount, t.value]).sort()).toEqual([
      ["001", 200.5, 20.05],
      ["002", 200.5, 32.08],
    ]);
    // The other item is untouched.
    expect(invoice.items.find((i) => i.id === ids.item1Id)!.grossPriceAmount).toBe(1160);
    // Subtotal 1000 + 200.50 = 1200.50; IVA 160 + 32.08 = 192.08; ISR 20.05;
    // total 1200.50 + 192.08 − 20.05 = 1372.53, all of it due.
    expect(invoice).toMatchObject({
      netPriceAmount: 1200.5,
      transferredTaxAmount: 192.08,
      withheldTaxAmount: 20.05,
      grossPriceAmount: 1372.53,
      dueAmount: 1372.53,
    });
    expect(documentTaxes(invoice)).toEqual([
      { taxId: "001", isWithholding: true, rate: null, base: null, value: 20.05 },
      { taxId: "002", isWithholding: false, rate: 0.16, base: 1200.5, value: 192.08 },
    ]);
    // The groups that stay keep their ids.
    expect(invoice.taxes.map((t) => t.id).sort()).toEqual([ids.ivaGroupId, ids.isrGroupId].sort());

    const row = await invoiceRow(ids.invoiceId);
    expect([row.grossPriceAmount, row.grossPriceMicros, row.netPriceMicros, row.taxMicros]).toEqual([
      "1372.53",
      1_372_530_000,
      1_200_500_000,
      172_030_000,
    ]);
    const [event] = await updatedEvents(ids.invoiceId);
    expect(event!.data).toMatchObject({ invoiceItemId: ids.item2Id, action: "item_updated" });
  });

  it("changes only the description when only the description is sent", async () => {
    const { owner, ids } = await ext();
    const before = await invoiceRow(ids.invoiceId);
    const res = await send(owner, "PATCH", `/v1/invoice-items/${ids.item1Id}`, {
      description: "Licencia anual",
    });
    expect(res.status, res.text).toBe(200);
    const invoice = await read(owner, ids.invoiceId);
    expect(invoice.items.find((i) => i.id === ids.item1Id)!.description).toBe("Licencia anual");
    expect(invoice.grossPriceAmount).toBe(1266);
    expect((await invoiceRow(ids.invoiceId)).grossPriceAmount).toBe(before.grossPriceAmount);
    expect(await updatedEvents(ids.invoiceId)).toHaveLength(1);
  });

  it("refuses items of CFDIs (invalid_payment_method) and of EXT invoices not accepted (invalid_status)", async () => {
    const sent = await ext({ status: "sent", statusCode: 10 });
    const notAccepted = await send(sent.owner, "PATCH", `/v1/invoice-items/${sent.ids.item1Id}`, {
      quantity: 2,
    });
    expect(notAccepted.status).toBe(400);
    expect(notAccepted.json.error).toBe("invalid_status");
    const ppd = await ext({ paymentMethod: "PPD" });
    const notExt = await send(ppd.owner, "PATCH", `/v1/invoice-items/${ppd.ids.item1Id}`, { quantity: 2 });
    expect(notExt.json.error).toBe("invalid_payment_method");
    for (const { ids } of [sent, ppd]) {
      const [item] = await db().select().from(invoiceItems).where(eq(invoiceItems.id, ids.item1Id));
      expect(item!.quantity).toBe("1");
      expect(await updatedEvents(ids.invoiceId)).toHaveLength(0);
    }
  });

  it("validates amounts and quantities with stable codes", async () => {
    const { owner, ids } = await ext();
    for (const body of [
      { netPriceAmount: 0 },
      { netPriceAmount: "1.1234567" },
      { quantity: 0 },
      { quantity: 1.5 },
      {},
    ]) {
      const res = await send(owner, "PATCH", `/v1/invoice-items/${ids.item1Id}`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.error).toBe("validation_failed");
    }
    expect((await invoiceRow(ids.invoiceId)).grossPriceAmount).toBe("1266.00");
  });

  it("answers 404 for another organization's item or an unknown one, 403 for a role without invoices.write", async () => {
    const { org, ids } = await ext();
    const outsider = await signUp("outsider");
    await createOrg(outsider);
    expect((await send(outsider, "PATCH", `/v1/invoice-items/${ids.item1Id}`, { quantity: 2 })).status).toBe(
      404,
    );
    expect(
      (await send(outsider, "PATCH", `/v1/invoice-items/${crypto.randomUUID()}`, { quantity: 2 })).status,
    ).toBe(404);
    const readonly = await signUp("readonly");
    await addMember(org.id, readonly.id, "readonly");
    expect((await send(readonly, "PATCH", `/v1/invoice-items/${ids.item1Id}`, { quantity: 2 })).status).toBe(
      403,
    );
    expect((await invoiceRow(ids.invoiceId)).grossPriceAmount).toBe("1266.00");
  });
});

describe("invoice item taxes", () => {
  it("creates a tax and recalculates (IEPS 8 % on Licencia)", async () => {
    const { owner, ids } = await ext();
    const res = await send(owner, "POST", "/v1/invoice-item-taxes", {
      invoiceItemId: ids.item1Id,
      taxId: "003",
      rate: 0.08,
    });
    expect(res.status, res.text).toBe(201);
    // 1000.00 × 0.08 = 80.00.
    expect(res.json.data).toMatchObject({
      invoiceItemId: ids.item1Id,
      taxId: "003",
      code: "IEPS",
      isWithholding: false,
      factor: "Tasa",
      rate: 0.08,
      baseAmount: 1000,
      value: 80,
    });
    const invoice = await read(owner, ids.invoiceId);
    // Licencia 1000 + 160 + 80 = 1240; transferred 176 + 80 = 256; total 1100 + 256 − 10 = 1346.
    expect(invoice.items.find((i) => i.id === ids.item1Id)!.grossPriceAmount).toBe(1240);
    expect(invoice).toMatchObject({
      transferredTaxAmount: 256,
      withheldTaxAmount: 10,
      grossPriceAmount: 1346,
    });
    expect(documentTaxes(invoice)).toEqual([
      { taxId: "001", isWithholding: true, rate: null, base: null, value: 10 },
      { taxId: "002", isWithholding: false, rate: 0.16, base: 1100, value: 176 },
      { taxId: "003", isWithholding: false, rate: 0.08, base: 1000, value: 80 },
    ]);
    const [stored] = await db()
      .select()
      .from(invoiceItemTaxes)
      .where(eq(invoiceItemTaxes.id, res.json.data.id));
    expect([stored!.rate, stored!.baseAmount, stored!.value]).toEqual(["0.080000", "1000.00", "80.00"]);
  });

  it("updates a tax's rate (IVA of Licencia to 8 %), splitting the document's IVA by rate", async () => {
    const { owner, ids } = await ext();
    const res = await send(owner, "PATCH", `/v1/invoice-item-taxes/${ids.tax1Id}`, { rate: "0.08" });
    expect(res.status, res.text).toBe(200);
    expect(res.json.data).toMatchObject({ id: ids.tax1Id, rate: 0.08, baseAmount: 1000, value: 80 });
    const invoice = await read(owner, ids.invoiceId);
    // Licencia 1000 + 80 = 1080; transferred 80 + 16 = 96; total 1100 + 96 − 10 = 1186.
    expect(invoice.items.find((i) => i.id === ids.item1Id)!.grossPriceAmount).toBe(1080);
    expect(invoice).toMatchObject({ transferredTaxAmount: 96, grossPriceAmount: 1186, dueAmount: 1186 });
    expect(documentTaxes(invoice)).toEqual([
      { taxId: "001", isWithholding: true, rate: null, base: null, value: 10 },
      { taxId: "002", isWithholding: false, rate: 0.08, base: 1000, value: 80 },
      { taxId: "002", isWithholding: false, rate: 0.16, base: 100, value: 16 },
    ]);
    const groups = await db().select().from(invoiceTaxes).where(eq(invoiceTaxes.invoiceId, ids.invoiceId));
    expect(groups.find((g) => g.rate === "0.160000")!.id).toBe(ids.ivaGroupId);
  });

  it("changes a tax's kind: a new taxId fills code and isWithholding", async () => {
    const { owner, ids } = await ext();
    const res = await send(owner, "PATCH", `/v1/invoice-item-taxes/${ids.tax2Id}`, {
      taxId: "001",
      rate: 0.1,
    });
    expect(res.status, res.text).toBe(200);
    expect(res.json.data).toMatchObject({ taxId: "001", code: "ISR", isWithholding: true, value: 10 });
    // Soporte 100 − 10 (ISR) − 10 (ISR) = 80; transferred 160; withheld 20; total 1100 + 160 − 20 = 1240.
    const invoice = await read(owner, ids.invoiceId);
    expect(invoice.items.find((i) => i.id === ids.item2Id)!.grossPriceAmount).toBe(80);
    expect(invoice).toMatchObject({
      transferredTaxAmount: 160,
      withheldTaxAmount: 20,
      grossPriceAmount: 1240,
    });
  });

  it("deletes a tax and recalculates (ISR of Soporte)", async () => {
    const { owner, ids } = await ext();
    const res = await send(owner, "DELETE", `/v1/invoice-item-taxes/${ids.tax3Id}`);
    expect(res.status, res.text).toBe(200);
    expect(res.json).toEqual({ success: true });
    const invoice = await read(owner, ids.invoiceId);
    // Soporte 100 + 16 = 116; no withholding left; total 1100 + 176 = 1276.
    expect(invoice.items.find((i) => i.id === ids.item2Id)!.grossPriceAmount).toBe(116);
    expect(invoice).toMatchObject({ withheldTaxAmount: 0, grossPriceAmount: 1276, dueAmount: 1276 });
    expect(documentTaxes(invoice)).toEqual([
      { taxId: "002", isWithholding: false, rate: 0.16, base: 1100, value: 176 },
    ]);
    expect(
      await db().select().from(invoiceItemTaxes).where(eq(invoiceItemTaxes.id, ids.tax3Id)),
    ).toHaveLength(0);
    expect((await send(owner, "DELETE", `/v1/invoice-item-taxes/${ids.tax3Id}`)).status).toBe(404);
  });

  it("appends one invoice.updated event per change", async () => {
    const { owner, ids } = await ext();
    await send(owner, "PATCH", `/v1/invoice-item-taxes/${ids.tax1Id}`, { rate: 0.08 });
    await send(owner, "DELETE", `/v1/invoice-item-taxes/${ids.tax3Id}`);
    const created = await send(owner, "POST", "/v1/invoice-item-taxes", {
      invoiceItemId: ids.item2Id,
      taxId: "003",
      rate: 0.265,
    });
    const actions = (await updatedEvents(ids.invoiceId)).map((e) => e.data.action);
    expect(actions).toEqual(["item_tax_updated", "item_tax_deleted", "item_tax_created"]);
    // Soporte: 100 × 0.265 = 26.50 IEPS; 100 + 16 + 26.50 = 142.50; total 1000 + 100 + 80 + 16 + 26.50 = 1222.50.
    expect(created.json.data.value).toBe(26.5);
    expect((await invoiceRow(ids.invoiceId)).grossPriceAmount).toBe("1222.50");
  });

  it("refuses bad taxes and taxes on invoices that cannot change", async () => {
    const { owner, org, ids } = await ext();
    const cases: Array<[unknown, string]> = [
      [{ invoiceItemId: ids.item1Id, taxId: "009", rate: 0.16 }, "validation_failed"],
      [{ invoiceItemId: ids.item1Id, taxId: "002", rate: -1 }, "validation_failed"],
      [{ invoiceItemId: ids.item1Id, taxId: "001", rate: 0.1, isWithholding: false }, "validation_failed"],
      [{ invoiceItemId: ids.item1Id, taxId: "002" }, "validation_failed"],
    ];
    for (const [body, code] of cases) {
      const res = await send(owner, "POST", "/v1/invoice-item-taxes", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.error).toBe(code);
    }
    const ppd = await seedExtInvoice("", org.id, { paymentMethod: "PPD" });
    const notExt = await send(owner, "POST", "/v1/invoice-item-taxes", {
      invoiceItemId: ppd.item1Id,
      taxId: "002",
      rate: 0.16,
    });
    expect(notExt.json.error).toBe("invalid_payment_method");
    expect(
      await db().select().from(invoiceItemTaxes).where(eq(invoiceItemTaxes.invoiceId, ids.invoiceId)),
    ).toHaveLength(3);
  });

  it("keeps other organizations out (404) and needs invoices.write (403)", async () => {
    const { org, ids } = await ext();
    const outsider = await signUp("outsider");
    await createOrg(outsider);
    const body = { invoiceItemId: ids.item1Id, taxId: "003", rate: 0.08 };
    expect((await send(outsider, "POST", "/v1/invoice-item-taxes", body)).status).toBe(404);
    expect((await send(outsider, "PATCH", `/v1/invoice-item-taxes/${ids.tax1Id}`, { rate: 0 })).status).toBe(
      404,
    );
    expect((await send(outsider, "DELETE", `/v1/invoice-item-taxes/${ids.tax1Id}`)).status).toBe(404);
    const client = await signUp("client");
    await addMember(org.id, client.id, "client");
    expect((await send(client, "DELETE", `/v1/invoice-item-taxes/${ids.tax1Id}`)).status).toBe(403);
    expect(
      await db().select().from(invoiceItemTaxes).where(eq(invoiceItemTaxes.invoiceId, ids.invoiceId)),
    ).toHaveLength(3);
  });
});
