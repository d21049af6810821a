/**
 * The printed representation of a CFDI stamped through the sandbox PAC: the stamp stores a PDF beside
 * the XML, and GET /v1/invoices/{id}/download serves it (format=pdf, and inside the default ZIP) to
 * both sides of the invoice, saying what the stamped XML says.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { timbre } from "../../shared/cfdi/model";
import { parseCfdi } from "../../shared/cfdi/parse";
import { listEntries, readEntry } from "../../shared/zip";
import { allText, inspectPdf } from "../node/pdf/inspect";
import { call } from "./harness";
import { setUpIssuer } from "./issuer-fixture";

const { owner, issuer, client, clientOwner, topUp } = await setUpIssuer();
await topUp(100);

const follow = (url: string) => exports.default.fetch(new Request(url));

async function download(token: string, invoiceId: string, format?: string) {
  const res = await call("GET", `/v1/invoices/${invoiceId}/download${format ? `?format=${format}` : ""}`, {
    token,
  });
  expect(res.status, res.text).toBe(200);
  const file = await follow(res.json.downloadUrl);
  expect(file.status).toBe(200);
  return { meta: res.json, file, bytes: new Uint8Array(await file.arrayBuffer()) };
}

describe("the PDF of a stamped invoice", () => {
  it("is stored with the XML and served as application/pdf, saying what the XML says", async () => {
    const res = await call("POST", `/v1/invoices/stamp?provider_id=${issuer.id}`, {
      token: owner.token,
      body: {
        recipient: {
          name: "CLIENTE DE PRUEBA",
          taxIdentifier: client.taxIdentifier,
          taxRegime: "601",
          postalCode: "54700",
        },
        items: [
          {
            description: "Curso de actualización en facturación electrónica",
            itemKey: "86121600",
            unitKey: "E48",
            quantity: 2,
            netUnitPriceAmount: "1500.00",
          },
        ],
        paymentForm: "03",
        cfdiUse: "G03",
        paymentMethod: "PUE",
        series: "A",
      },
    });
    expect(res.status, res.text).toBe(201);
    const invoice = res.json.invoice as { id: string; uuid: string };

    const { meta, file, bytes } = await download(owner.token, invoice.id, "pdf");
    expect(meta).toMatchObject({ contentType: "application/pdf", type: "invoice_pdf" });
    expect(file.headers.get("content-type")).toBe("application/pdf");
    expect(new TextDecoder().decode(bytes.subarray(0, 5))).toBe("%PDF-");

    const xml = new TextDecoder().decode((await download(owner.token, invoice.id, "xml")).bytes);
    const cfdi = parseCfdi(xml);
    const pdf = inspectPdf(bytes);
    const text = allText(pdf);
    expect(pdf.pageCount).toBe(1);
    for (const expected of [
      invoice.uuid,
      timbre(cfdi)!.SelloSAT.slice(0, 40),
      "ESCUELA KEMPER URGATE",
      client.taxIdentifier,
      "Curso de actualización en facturación electrónica",
      "$3,480.00",
      "(TRES MIL CUATROCIENTOS OCHENTA PESOS 00/100 M.N.)",
      `A ${cfdi.Folio}`,
    ]) {
      expect(text).toContain(expected);
    }

    // The receiving organization gets both files in the default ZIP.
    const zip = (await download(clientOwner.token, invoice.id)).bytes;
    const entries = listEntries(zip);
    expect(entries.map((e) => e.name).sort()).toEqual([`${invoice.uuid}.pdf`, `${invoice.uuid}.xml`]);
    const zipped = await readEntry(zip, entries.find((e) => e.name.endsWith(".pdf"))!);
    expect(Buffer.from(zipped).equals(Buffer.from(bytes))).toBe(true);
  });
});
