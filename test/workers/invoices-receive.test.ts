// Receiving invoices: POST /v1/invoices stores what the XML holds, refuses what it must, and
// GET /v1/invoices/{id} shows it only to the two organizations it concerns.
import { count, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { files, invoiceEvents, invoices } from "../../db/schema";
import { complemento, timbre } from "../../shared/cfdi/model";
import { parseCfdi } from "../../shared/cfdi/parse";
import { isGenericRfc } from "../../shared/rfc";
import {
  addMember,
  call,
  cfdiFixture,
  cfdiFixturePaths,
  createOrg,
  createOrgWithRfc,
  db,
  signUp,
  uploadInvoice,
} from "./harness";

const num = (s: string | undefined) => (s === undefined ? 0 : Number(s));

async function invoiceCount(orgId: string) {
  const [row] = await db().select({ n: count() }).from(invoices).where(eq(invoices.organizationId, orgId));
  return row!.n;
}

describe("POST /v1/invoices stores the values each fixture holds", () => {
  const fixtures = cfdiFixturePaths().filter((path) => {
    if (path.startsWith("retenciones/")) return false; // not a Comprobante
    return parseCfdi(cfdiFixture(path)).TipoDeComprobante !== "P";
  });

  it("has fixtures to upload", () => expect(fixtures.length).toBeGreaterThanOrEqual(12));

  it.each(fixtures)("%s", async (path) => {
    const xml = cfdiFixture(path);
    const cfdi = parseCfdi(xml);
    const owner = await signUp("receive");
    // Invoices to the general public have no receiver organization: the issuer uploads them.
    const generic = isGenericRfc(cfdi.Receptor.Rfc);
    const org = generic
      ? await createOrgWithRfc(owner, cfdi.Emisor.Rfc, cfdi.Emisor.RegimenFiscal)
      : await createOrgWithRfc(owner, cfdi.Receptor.Rfc, cfdi.Receptor.RegimenFiscalReceptor);
    const res = await uploadInvoice(
      owner.token,
      generic ? { providerId: org.id } : { organizationId: org.id },
      xml,
    );
    expect(res.status, res.text).toBe(201);
    const invoice = res.json.invoice;
    const tfd = timbre(cfdi);
    expect(invoice.uuid).toBe(tfd ? tfd.UUID.toUpperCase() : null);
    expect(invoice.cfdiVersion).toBe(cfdi.Version);
    expect(invoice.cfdiType).toBe(cfdi.TipoDeComprobante);
    expect(invoice.series).toBe(cfdi.Serie ?? null);
    expect(invoice.folioNumber).toBe(cfdi.Folio ?? null);
    expect(invoice.grossPriceAmount).toBe(num(cfdi.Total));
    expect(invoice.netPriceAmount).toBe(num(cfdi.SubTotal));
    expect(invoice.discount).toBe(num(cfdi.Descuento));
    expect(invoice.transferredTaxAmount).toBe(num(cfdi.Impuestos?.TotalImpuestosTrasladados));
    expect(invoice.withheldTaxAmount).toBe(num(cfdi.Impuestos?.TotalImpuestosRetenidos));
    expect(invoice.localTransferredTaxAmount).toBe(
      num(complemento(cfdi, "ImpuestosLocales")?.TotaldeTraslados),
    );
    expect(invoice.currencyCode).toBe(cfdi.Moneda);
    expect(invoice.issuerTaxIdentifier).toBe(cfdi.Emisor.Rfc);
    expect(invoice.issuerName).toBe(cfdi.Emisor.Nombre ?? null);
    expect(invoice.recipientTaxIdentifier).toBe(cfdi.Receptor.Rfc);
    expect(invoice.recipientName).toBe(cfdi.Receptor.Nombre ?? null);
    expect(invoice.issuedAt).toBe(cfdi.Fecha);
    expect(invoice.stampedAt).toBe(tfd?.FechaTimbrado ?? null);
    expect(invoice.paymentMethod).toBe(cfdi.MetodoPago ?? null);
    expect(invoice.cfdiUse).toBe(cfdi.Receptor.UsoCFDI);
    expect(invoice.items).toHaveLength(cfdi.Conceptos.length);
    cfdi.Conceptos.forEach((c, i) => {
      const item = invoice.items[i];
      expect(item.itemKey).toBe(c.ClaveProdServ);
      expect(item.description).toBe(c.Descripcion);
      expect(item.netPriceAmount).toBe(num(c.Importe));
      expect(item.taxes).toHaveLength(
        (c.Impuestos?.Traslados?.length ?? 0) + (c.Impuestos?.Retenciones?.length ?? 0),
      );
    });
    expect(invoice.taxes).toHaveLength(
      (cfdi.Impuestos?.Traslados?.length ?? 0) + (cfdi.Impuestos?.Retenciones?.length ?? 0),
    );
    expect(invoice.xmlFile.contentType).toBe("application/xml");
    expect(res.json.isValid).toBe(invoice.status !== "not_valid");
    expect(invoice.status === "not_valid").toBe((invoice.validationErrors ?? []).length > 0);

    // The same document read back is the same document.
    const read = await call("GET", `/v1/invoices/${invoice.id}`, { token: owner.token });
    expect(read.status).toBe(200);
    expect(read.json).toEqual(invoice);
  });
});

describe("receiving rules", () => {
  const STAMPED = "40/real-ingreso-CSM190311AH6-2022-stamped.xml";
  const TAMPERED = "40/NEGATIVE-test-ingreso-tampered-sello-invalid.xml";

  async function receiver(path = STAMPED) {
    const cfdi = parseCfdi(cfdiFixture(path));
    const owner = await signUp("rules");
    const org = await createOrgWithRfc(owner, cfdi.Receptor.Rfc, cfdi.Receptor.RegimenFiscalReceptor);
    return { owner, org, cfdi };
  }

  it("stores the tampered fixture as not_valid with the reason, outside balances", async () => {
    const { owner, org } = await receiver(TAMPERED);
    const res = await uploadInvoice(owner.token, { organizationId: org.id }, cfdiFixture(TAMPERED));
    expect(res.status).toBe(201);
    expect(res.json.isValid).toBe(false);
    expect(res.json.invoice.status).toBe("not_valid");
    expect(res.json.invoice.validationErrors.map((e: { code: string }) => e.code)).toContain("sello_invalid");
    expect(res.json.invoice.dueAmount).toBe(0);
    expect(res.json.invoice.paidAmount).toBe(0);
  });

  it("answers a second upload of the same UUID with 409 and the existing id", async () => {
    const { owner, org } = await receiver();
    const first = await uploadInvoice(owner.token, { organizationId: org.id }, cfdiFixture(STAMPED));
    expect(first.status).toBe(201);
    const second = await uploadInvoice(owner.token, { organizationId: org.id }, cfdiFixture(STAMPED));
    expect(second.status).toBe(409);
    expect(second.json.error).toBe("duplicate_invoice");
    expect(second.json.details.existingId).toBe(first.json.invoice.id);
    expect(await invoiceCount(org.id)).toBe(1);
  });

  it("recognizes an unstamped CFDI uploaded again by its bytes (it has no UUID yet)", async () => {
    const UNSTAMPED = "40/test-ingreso-USD-descuentos-signed.xml";
    const { owner, org } = await receiver(UNSTAMPED);
    const first = await uploadInvoice(owner.token, { organizationId: org.id }, cfdiFixture(UNSTAMPED));
    expect(first.status).toBe(201);
    expect(first.json.invoice.uuid).toBeNull();
    expect(first.json.invoice.validationWarnings.map((w: { code: string }) => w.code)).toContain(
      "cfdi_not_stamped",
    );
    const again = await uploadInvoice(owner.token, { organizationId: org.id }, cfdiFixture(UNSTAMPED));
    expect(again.status).toBe(409);
    expect(again.json.details.existingId).toBe(first.json.invoice.id);
    expect(await invoiceCount(org.id)).toBe(1);
  });

  it("lets two organizations with the same RFC each hold their copy", async () => {
    const a = await receiver();
    const b = await receiver();
    expect(
      (await uploadInvoice(a.owner.token, { organizationId: a.org.id }, cfdiFixture(STAMPED))).status,
    ).toBe(201);
    expect(
      (await uploadInvoice(b.owner.token, { organizationId: b.org.id }, cfdiFixture(STAMPED))).status,
    ).toBe(201);
  });

  it("refuses a CFDI addressed to another RFC, storing nothing", async () => {
    const owner = await signUp("mismatch");
    const org = await createOrg(owner);
    const res = await uploadInvoice(owner.token, { organizationId: org.id }, cfdiFixture(STAMPED));
    expect(res.status).toBe(400);
    expect(res.json.error).toBe("recipient_mismatch");
    expect(await invoiceCount(org.id)).toBe(0);
    const [stored] = await db().select({ n: count() }).from(files).where(eq(files.organizationId, org.id));
    expect(stored!.n).toBe(0);
  });

  it("refuses malformed XML, payment complements and missing parts with 4xx codes", async () => {
    const { owner, org } = await receiver();
    const bad = await uploadInvoice(owner.token, { organizationId: org.id }, "<cfdi:Comprobante");
    expect(bad.status).toBe(400);
    expect(bad.json.error).toBe("xml_malformed");
    const doctype = await uploadInvoice(
      owner.token,
      { organizationId: org.id },
      '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>',
    );
    expect(doctype.json.error).toBe("xml_doctype_forbidden");
    const pago = await uploadInvoice(
      owner.token,
      { organizationId: org.id },
      cfdiFixture("40/pagos/test-pago20-signed.xml"),
    );
    expect(pago.status).toBe(400);
    expect(pago.json.error).toBe("payment_complement_not_invoice");
    const none = await call("POST", `/v1/invoices?organization_id=${org.id}`, {
      token: owner.token,
      body: {},
    });
    expect(none.status).toBe(400);
    const noSide = await uploadInvoice(owner.token, {}, cfdiFixture(STAMPED));
    expect(noSide.status).toBe(400);
    expect(noSide.json.error).toBe("validation_failed");
    expect(await invoiceCount(org.id)).toBe(0);
  });

  it("enforces the organization's invoice preferences with the rule's code", async () => {
    const { owner, org, cfdi } = await receiver();
    const put = await call("PUT", `/v1/organizations/${org.id}/invoice-preferences`, {
      token: owner.token,
      body: { cfdiUses: ["G01"], currencyCodes: ["USD"], isPurchaseOrderMandatory: true },
    });
    expect(put.status).toBe(200);
    expect(cfdi.Receptor.UsoCFDI).not.toBe("G01");
    const res = await uploadInvoice(owner.token, { organizationId: org.id }, cfdiFixture(STAMPED));
    expect(res.status).toBe(400);
    expect(res.json.error).toBe("cfdi_use_not_allowed");
    expect(res.json.details.violations.map((v: { code: string }) => v.code)).toEqual([
      "cfdi_use_not_allowed",
      "currency_not_allowed",
      "purchase_order_required",
    ]);
    expect(await invoiceCount(org.id)).toBe(0);

    // Relaxed preferences let it in, with the purchase order stored beside it.
    await call("PUT", `/v1/organizations/${org.id}/invoice-preferences`, {
      token: owner.token,
      body: { cfdiUses: null, currencyCodes: ["MXN"] },
    });
    const ok = await uploadInvoice(owner.token, { organizationId: org.id }, cfdiFixture(STAMPED), {
      purchaseOrderPdf: "%PDF-1.4\n%%EOF\n",
    });
    expect(ok.status, ok.text).toBe(201);
    expect(ok.json.invoice.purchaseOrderFile.type).toBe("purchase_order_pdf");
    const prefs = await call("GET", `/v1/organizations/${org.id}/invoice-preferences`, {
      token: owner.token,
    });
    expect(prefs.json.invoicePreferences).toMatchObject({
      cfdiUses: null,
      currencyCodes: ["MXN"],
      isPurchaseOrderMandatory: true,
      paymentDay: null,
    });
  });

  it("validates preferences against SAT's catalogs", async () => {
    const { owner, org } = await receiver();
    const res = await call("PUT", `/v1/organizations/${org.id}/invoice-preferences`, {
      token: owner.token,
      body: { cfdiUses: ["Z99"], paymentDay: 9 },
    });
    expect(res.status).toBe(400);
    expect(res.json.error).toBe("validation_failed");
  });

  it("links the issuer when it is one of the organization's providers, and both sides see the invoice", async () => {
    const { owner, org, cfdi } = await receiver();
    const providerOwner = await signUp("provider");
    const provider = await createOrgWithRfc(providerOwner, cfdi.Emisor.Rfc, cfdi.Emisor.RegimenFiscal);
    const { providerOrganizations } = await import("../../db/schema");
    const now = new Date().toISOString();
    await db()
      .insert(providerOrganizations)
      .values({ organizationId: org.id, providerId: provider.id, createdAt: now, updatedAt: now });

    const res = await uploadInvoice(owner.token, { organizationId: org.id }, cfdiFixture(STAMPED));
    expect(res.status).toBe(201);
    expect(res.json.invoice.provider).toEqual({
      id: provider.id,
      name: expect.any(String),
      taxIdentifier: cfdi.Emisor.Rfc,
    });
    const asProvider = await call("GET", `/v1/invoices/${res.json.invoice.id}`, {
      token: providerOwner.token,
    });
    expect(asProvider.status).toBe(200);
    // The provider uploading the same document finds it already there.
    const again = await uploadInvoice(providerOwner.token, { providerId: provider.id }, cfdiFixture(STAMPED));
    expect(again.status).toBe(409);
    expect(again.json.details.existingId).toBe(res.json.invoice.id);
  });

  it("refuses a provider_id that is not a linked provider, and an issuer RFC that is not the provider's", async () => {
    const { owner, org } = await receiver();
    const stranger = await createOrg(await signUp("stranger"));
    const unlinked = await uploadInvoice(
      owner.token,
      { organizationId: org.id, providerId: stranger.id },
      cfdiFixture(STAMPED),
    );
    expect(unlinked.status).toBe(404);
    const ownProvider = await createOrg(owner);
    const mismatch = await uploadInvoice(owner.token, { providerId: ownProvider.id }, cfdiFixture(STAMPED));
    expect(mismatch.status).toBe(400);
    expect(mismatch.json.error).toBe("issuer_mismatch");
  });

  it("records an invoice.received event with the invoice", async () => {
    const { owner, org } = await receiver();
    const res = await uploadInvoice(owner.token, { organizationId: org.id }, cfdiFixture(STAMPED));
    const events = await db()
      .select()
      .from(invoiceEvents)
      .where(eq(invoiceEvents.invoiceId, res.json.invoice.id));
    expect(events.map((e) => e.type)).toEqual(["invoice.received"]);
    expect(events[0]!.organizationId).toBe(org.id);
  });

  it("shows an invoice to nobody outside its two organizations (404, not data)", async () => {
    const { owner, org } = await receiver();
    const res = await uploadInvoice(owner.token, { organizationId: org.id }, cfdiFixture(STAMPED));
    const outsider = await signUp("outsider");
    await createOrg(outsider);
    const read = await call("GET", `/v1/invoices/${res.json.invoice.id}`, { token: outsider.token });
    expect(read.status).toBe(404);
    expect(read.json.error).toBe("not_found");
    expect(read.text).not.toContain(res.json.invoice.uuid);
    // A member whose role cannot read invoices gets 403; a client (customer view) can read.
    const member = await signUp("member");
    await addMember(org.id, member.id, "client");
    expect((await call("GET", `/v1/invoices/${res.json.invoice.id}`, { token: member.token })).status).toBe(
      200,
    );
  });
});
