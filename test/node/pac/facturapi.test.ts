// The Facturapi stamping provider against the fake Facturapi on a real local HTTP port: stamped XML
// that verifies end to end, Facturapi's errors mapped to ours, Retry-After honoured, retries that never
// stamp twice, cancellation with and without the receiver's acceptance.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { computeCfdi, type InvoiceInput, parseInvoiceInput } from "../../../shared/cfdi/build/index";
import { type Csd, loadCsd } from "../../../shared/cfdi/csd/index";
import type { Cfdi } from "../../../shared/cfdi/model";
import { parseCfdi } from "../../../shared/cfdi/parse";
import { verifyCfdi } from "../../../shared/cfdi/verify";
import { isAppError } from "../../../shared/errors";
import {
  cancellationOf,
  type FacturapiOptions,
  FacturapiProvider,
  facturapiInvoiceInput,
} from "../../../shared/pac/facturapi";
import { isStampRefusal, type StampResult } from "../../../shared/pac/provider";
import { FakeFacturapi } from "../../fakes/facturapi";
import { type Served, serve } from "../../fakes/serve";
import { readFixture } from "../helpers/fixtures";

const API_KEY = "sk_test_fake0123456789";
const ISSUER = { rfc: "EKU9003173C9", name: "ESCUELA KEMPER URGATE", taxRegime: "601", postalCode: "42501" };

let csd: Csd;
let fake: FakeFacturapi;
let server: Served;

/** The computed, unsealed document Timbre hands a document provider. */
function document(fields: Partial<InvoiceInput> = {}): Cfdi {
  return computeCfdi(
    parseInvoiceInput({
      type: "I",
      series: "F",
      folio: "17",
      issuer: { rfc: ISSUER.rfc, name: ISSUER.name, taxRegime: ISSUER.taxRegime },
      receptor: {
        rfc: "MCI7306249Y1",
        name: "MUNICIPIO DE CUAUTITLAN IZCALLI",
        taxRegime: "603",
        postalCode: "54700",
        cfdiUse: "G03",
      },
      expeditionPostalCode: ISSUER.postalCode,
      paymentForm: "03",
      paymentMethod: "PUE",
      items: [
        {
          productKey: "84111506",
          quantity: "2",
          unitKey: "E48",
          unit: "Servicio",
          description: "Mantenimiento anual",
          unitPrice: "1250.50",
          discount: "100.25",
          taxes: [
            { tax: "IVA", factor: "Tasa", rate: "0.16" },
            { tax: "ISR", factor: "Tasa", rate: "0.10", withholding: true },
          ],
        },
      ],
      ...fields,
    } satisfies InvoiceInput),
  );
}

function provider(options: Partial<FacturapiOptions> = {}) {
  const delays: number[] = [];
  const client = new FacturapiProvider({
    apiKey: API_KEY,
    baseUrl: `${server.url}/v2`,
    sleep: async (ms) => {
      delays.push(ms);
    },
    ...options,
  });
  return { client, delays };
}

let keyCounter = 0;
const key = () => `stamp-${++keyCounter}`;

/** The AppError `promise` rejects with. */
async function failure(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    if (isAppError(error)) return error as typeof error & { details: Record<string, any> };
    throw error;
  }
  throw new Error("expected an AppError");
}

beforeAll(async () => {
  csd = await loadCsd({
    cer: readFixture("csd/EKU9003173C9/EKU9003173C9.cer"),
    key: readFixture("csd/EKU9003173C9/EKU9003173C9.key"),
    password: readFixture("csd/EKU9003173C9/password.txt").toString("utf8").trim(),
  });
  fake = new FakeFacturapi({ apiKey: API_KEY, issuer: ISSUER, csd });
  server = await serve(fake.fetch);
});
afterAll(() => server.close());
beforeEach(() => {
  fake.rateLimit(0);
  fake.fail(0);
  fake.stall(0);
  fake.cancellationNeedsAcceptance = false;
  fake.requests.length = 0;
});

describe("stamping", () => {
  it("creates the invoice at Facturapi and returns its stamped XML, which verifies with the TFD", async () => {
    const { client } = provider();
    const sent = document();
    const result = await client.stamp({ document: sent, idempotencyKey: key() });

    expect(fake.requests).toEqual(["POST /v2/invoices", `GET /v2/invoices/${result.providerReference}/xml`]);
    const stored = fake.invoices.get(result.providerReference!)!;
    expect(stored.invoice.uuid).toBe(result.uuid.toLowerCase());
    expect(result.xml).toBe(stored.xml);

    const cfdi = parseCfdi(result.xml);
    const report = await verifyCfdi(cfdi);
    expect(report.valid).toBe(true);
    expect(report.checks.find((c) => c.check === "tfd_sello_sat")).toMatchObject({ ok: true });
    // Facturapi sealed what Timbre computed: same parties, series, folio and amounts.
    expect(cfdi.Emisor.Rfc).toBe(ISSUER.rfc);
    expect(cfdi.Receptor).toMatchObject({
      Rfc: sent.Receptor.Rfc,
      UsoCFDI: "G03",
      RegimenFiscalReceptor: "603",
    });
    expect([cfdi.Serie, cfdi.Folio]).toEqual(["F", "17"]);
    expect([cfdi.SubTotal, cfdi.Descuento, cfdi.Total]).toEqual([sent.SubTotal, sent.Descuento, sent.Total]);
    expect(cfdi.Impuestos).toEqual(sent.Impuestos);

    const tfd = cfdi.Complemento.find((c) => c.kind === "TimbreFiscalDigital")!.data as {
      UUID: string;
      RfcProvCertif: string;
    };
    expect(result).toMatchObject({ uuid: tfd.UUID.toUpperCase(), pacRfc: tfd.RfcProvCertif });
    expect(Math.abs(Date.parse(result.stampedAt) - Date.now())).toBeLessThan(60_000);
  });

  it("maps a document Facturapi refuses to a refusal with Facturapi's code", async () => {
    const { client } = provider();
    // Use G03 is not allowed to a receiver in regime 605 (salaries): SAT's CFDI 4.0 rules refuse it.
    const refused = await failure(
      client.stamp({
        document: document({
          receptor: {
            rfc: "XAXX010101000",
            name: "PUBLICO EN GENERAL",
            taxRegime: "605",
            postalCode: "42501",
            cfdiUse: "G03",
          },
        }),
        idempotencyKey: key(),
      }),
    );
    expect(isStampRefusal(refused)).toBe(true);
    expect(refused).toMatchObject({ status: 422, code: "invoice_stamping_validation_error" });
    expect(refused.details).toMatchObject({ provider: "facturapi", status: 400 });

    const invalid = await failure(
      client.createInvoice({
        ...facturapiInvoiceInput(document(), key()),
        payment_form: "3",
      }),
    );
    expect(isStampRefusal(invalid)).toBe(true);
    expect(invalid).toMatchObject({ code: "invalid_request" });
    expect(invalid.details).toMatchObject({ path: "payment_form", status: 400 });
  });

  it("a rejected API key is provider_auth_failed, not a refusal of the document", async () => {
    const { client } = provider({ apiKey: "sk_test_wrong" });
    const before = fake.invoices.size;
    const error = await failure(client.stamp({ document: document(), idempotencyKey: key() }));
    expect(error).toMatchObject({ status: 502, code: "provider_auth_failed" });
    expect(isStampRefusal(error)).toBe(false);
    expect(fake.invoices.size).toBe(before);
  });

  it("honours Retry-After on 429 and then stamps", async () => {
    const { client, delays } = provider();
    fake.rateLimit(2, 3);
    const before = fake.invoices.size;
    const result = await client.stamp({ document: document(), idempotencyKey: key() });
    expect(delays).toEqual([3000, 3000]);
    expect(fake.requests.filter((r) => r === "POST /v2/invoices")).toHaveLength(3);
    expect(fake.invoices.size).toBe(before + 1);
    expect(result.uuid).toMatch(/^[0-9A-F-]{36}$/);
  });

  it("gives up after the bounded 429 retries with 503 provider_rate_limited and retryAfter", async () => {
    const { client, delays } = provider();
    fake.rateLimit(10, 7);
    const before = fake.invoices.size;
    const error = await failure(client.stamp({ document: document(), idempotencyKey: key() }));
    expect(error).toMatchObject({ status: 503, code: "provider_rate_limited" });
    expect(error.details).toMatchObject({ retryAfter: 7 });
    expect(isStampRefusal(error)).toBe(false);
    expect(delays).toEqual([7000, 7000, 7000]);
    expect(fake.requests).toHaveLength(4);
    expect(fake.invoices.size).toBe(before);
  });

  it("does not wait for a Retry-After beyond its limit", async () => {
    const { client, delays } = provider({ maxRetryAfterMs: 5_000 });
    fake.rateLimit(1, 60);
    const error = await failure(client.stamp({ document: document(), idempotencyKey: key() }));
    expect(error.details).toMatchObject({ retryAfter: 60 });
    expect(delays).toEqual([]);
  });

  it("a retry with the same idempotency key gets the same invoice, never a second one", async () => {
    const { client } = provider();
    const idempotencyKey = key();
    const before = fake.invoices.size;
    const first = await client.stamp({ document: document(), idempotencyKey });
    const again = await client.stamp({ document: document(), idempotencyKey });
    expect(again).toEqual(first);
    expect(fake.invoices.size).toBe(before + 1);

    // Concurrent retries share the one creation.
    const concurrentKey = key();
    const results = await Promise.all(
      [1, 2, 3].map(() => client.stamp({ document: document(), idempotencyKey: concurrentKey })),
    );
    expect(new Set(results.map((r: StampResult) => r.uuid)).size).toBe(1);
    expect(fake.invoices.size).toBe(before + 2);
  });

  it("5xx and timeouts are retryable failures; the retry with the same key stamps once", async () => {
    const { client } = provider({ timeoutMs: 300 });
    const before = fake.invoices.size;
    fake.fail(1, 502);
    const idempotencyKey = key();
    const unavailable = await failure(client.stamp({ document: document(), idempotencyKey }));
    expect(unavailable).toMatchObject({ status: 502, code: "provider_unavailable" });
    expect(isStampRefusal(unavailable)).toBe(false);

    fake.stall(1);
    const timeout = await failure(client.stamp({ document: document(), idempotencyKey }));
    expect(timeout).toMatchObject({ status: 504, code: "provider_timeout" });
    expect(isStampRefusal(timeout)).toBe(false);

    await client.stamp({ document: document(), idempotencyKey });
    await client.stamp({ document: document(), idempotencyKey });
    expect(fake.invoices.size).toBe(before + 1);
  });

  it("an unreachable Facturapi is provider_unreachable", async () => {
    const { client } = provider({ baseUrl: "http://127.0.0.1:1/v2" });
    const error = await failure(client.stamp({ document: document(), idempotencyKey: key() }));
    expect(error).toMatchObject({ status: 502, code: "provider_unreachable" });
  });

  it("downloads the PDF", async () => {
    const { client } = provider();
    const { providerReference } = await client.stamp({ document: document(), idempotencyKey: key() });
    const pdf = await client.downloadPdf(providerReference!);
    const text = new TextDecoder().decode(pdf);
    expect(text.startsWith("%PDF-1.")).toBe(true);
    expect(text.trimEnd().endsWith("%%EOF")).toBe(true);
  });
});

describe("cancelling", () => {
  const cancelRequest = (stamped: StampResult, fields: Record<string, unknown>) => ({
    uuid: stamped.uuid,
    issuerRfc: ISSUER.rfc,
    receiverRfc: "MCI7306249Y1",
    total: "2900.25",
    stampedAt: stamped.stampedAt,
    providerReference: stamped.providerReference!,
    idempotencyKey: key(),
    motive: "02" as const,
    ...fields,
  });

  it("motive 01 with the substituting invoice cancels at once; a retry finds the same cancellation", async () => {
    const { client } = provider();
    const original = await client.stamp({ document: document(), idempotencyKey: key() });
    // Another folio: two identical documents sealed within one second are one document to a PAC.
    const replacement = await client.stamp({ document: document({ folio: "18" }), idempotencyKey: key() });

    const request = cancelRequest(original, { motive: "01", substitution: replacement.uuid });
    const result = await client.cancel(request);
    expect(result).toMatchObject({ status: "accepted", providerStatus: "canceled" });
    expect(Date.parse(result.requestedAt)).not.toBeNaN();
    expect(fake.requests).toContain(`DELETE /v2/invoices/${original.providerReference}`);
    expect(fake.invoices.get(original.providerReference!)!.invoice).toMatchObject({
      status: "canceled",
      cancellation: { motive: "01", substitution: replacement.uuid },
    });

    const retried = await client.cancel(request);
    expect(retried).toEqual(result);
  });

  it("motive 01 without a substitution is refused", async () => {
    const { client } = provider();
    const stamped = await client.stamp({ document: document(), idempotencyKey: key() });
    const refused = await failure(client.cancel(cancelRequest(stamped, { motive: "01" })));
    expect(isStampRefusal(refused)).toBe(true);
    expect(refused.code).toBe("substitution_invoice_required");
    expect(fake.invoices.get(stamped.providerReference!)!.invoice.status).toBe("valid");
  });

  it("motive 02 waiting for the receiver is pending, and the refreshed status shows the answer", async () => {
    const { client } = provider();
    const stamped = await client.stamp({ document: document(), idempotencyKey: key() });
    fake.cancellationNeedsAcceptance = true;
    const result = await client.cancel(cancelRequest(stamped, { motive: "02" }));
    expect(result).toMatchObject({ status: "pending", providerStatus: "pending" });

    fake.resolveCancellation(stamped.providerReference!, "accepted");
    const refreshed = await client.refreshStatus(stamped.providerReference!);
    expect(refreshed.status).toBe("canceled");
    expect(cancellationOf(refreshed)).toBe("accepted");
  });

  it("a cancellation without Facturapi's invoice id is refused before any request", async () => {
    const { client } = provider();
    const stamped = await client.stamp({ document: document(), idempotencyKey: key() });
    fake.requests.length = 0;
    const refused = await failure(client.cancel(cancelRequest(stamped, { providerReference: undefined })));
    expect(refused.code).toBe("provider_reference_missing");
    expect(fake.requests).toEqual([]);
  });
});
