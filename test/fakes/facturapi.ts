/**
 * A fake Facturapi v2 for the test suites, following seed 001's contract for the endpoints Timbre
 * uses: POST /invoices, GET /invoices/{id}, GET /invoices/{id}/xml|pdf, DELETE /invoices/{id}
 * (motive, substitution) and PUT /invoices/{id}/status. Bearer auth with one test key; errors in
 * Facturapi's body shape (`{ok:false, status, message, code?, path?}`).
 *
 * Its XML is real: the CFDI is built and sealed by the engine with the issuer's CSD (as Facturapi
 * seals with the CSD uploaded there) and stamped by the SandboxPac, so it verifies with `verifyCfdi`
 * including the TFD. Knobs: answer 429 with Retry-After, fail with a status, or stall, each for the
 * next N requests; cancellations that wait for the receiver's acceptance.
 *
 * Runs wherever Hono does: in Node behind ./serve, and in workerd called in-process.
 */
import { Hono } from "hono";
import { dec, roundSat } from "../../shared/cfdi/amounts";
import { computeCfdi, type InvoiceInput, parseInvoiceInput, sealCfdi } from "../../shared/cfdi/build/index";
import type { Csd } from "../../shared/cfdi/csd/index";
import { isAppError } from "../../shared/errors";
import type {
  FacturapiCancellationStatus,
  FacturapiInvoice,
  FacturapiInvoiceStatus,
} from "../../shared/pac/facturapi";
import { isStampRefusal } from "../../shared/pac/provider";
import { SandboxPac } from "../../shared/pac/sandbox";

export interface FakeFacturapiOptions {
  /** The only key accepted (e.g. "sk_test_…"). */
  apiKey: string;
  /** The organization set up at Facturapi: its legal data and its CSD. */
  issuer: { rfc: string; name: string; taxRegime: string; postalCode: string };
  csd: Csd;
  clock?: () => Date;
}

interface StoredInvoice {
  invoice: FacturapiInvoice & Record<string, unknown>;
  xml: string;
}

type Json = Record<string, unknown>;

/** A one-page PDF, with a cross-reference table whose offsets are right. */
function minimalPdf(): Uint8Array {
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
  ];
  let body = "%PDF-1.4\n";
  const offsets: number[] = [];
  objects.forEach((object, i) => {
    offsets.push(body.length);
    body += `${i + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) body += `${String(offset).padStart(10, "0")} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new TextEncoder().encode(body);
}
export const FAKE_PDF = minimalPdf();

const objectId = () =>
  Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, "0")).join("");

class FakeError extends Error {
  constructor(
    readonly status: 400 | 401 | 404 | 409 | 500,
    message: string,
    readonly code?: string,
    readonly path?: string,
  ) {
    super(message);
  }
}

const str = (value: unknown): value is string => typeof value === "string" && value.length > 0;
const numeric = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value);

export class FakeFacturapi {
  readonly app = new Hono();
  readonly invoices = new Map<string, StoredInvoice>();
  /** Every request received (after the knobs, before auth), e.g. "POST /v2/invoices". */
  readonly requests: string[] = [];
  /** When set, cancellations wait for the receiver: valid + cancellation_status pending. */
  cancellationNeedsAcceptance = false;

  private readonly options: FakeFacturapiOptions;
  private readonly clock: () => Date;
  private readonly pac: SandboxPac;
  private readonly byIdempotencyKey = new Map<string, Promise<StoredInvoice>>();
  private nextFolio = 1;
  private knobs: {
    rateLimited: number;
    retryAfter: string;
    failing: number;
    failStatus: number;
    stalling: number;
  } = {
    rateLimited: 0,
    retryAfter: "1",
    failing: 0,
    failStatus: 500,
    stalling: 0,
  };

  constructor(options: FakeFacturapiOptions) {
    this.options = options;
    this.clock = options.clock ?? (() => new Date());
    this.pac = new SandboxPac({ clock: this.clock });
    this.routes();
  }

  /** The next `times` requests get 429 with `Retry-After: retryAfter`. */
  rateLimit(times: number, retryAfter: string | number = 1) {
    this.knobs.rateLimited = times;
    this.knobs.retryAfter = String(retryAfter);
  }

  /** The next `times` requests get `status` (default 500). */
  fail(times: number, status = 500) {
    this.knobs.failing = times;
    this.knobs.failStatus = status;
  }

  /** The next `times` requests never get an answer (until the client gives up). */
  stall(times: number) {
    this.knobs.stalling = times;
  }

  /** The receiver answers a pending cancellation (what Facturapi learns from SAT). */
  resolveCancellation(
    id: string,
    status: Exclude<FacturapiCancellationStatus, "none" | "pending" | "verifying">,
  ) {
    const stored = this.invoices.get(id);
    if (stored?.invoice.cancellation_status !== "pending")
      throw new Error(`no pending cancellation of ${id}`);
    stored.invoice.cancellation_status = status;
    if (status === "accepted") stored.invoice.status = "canceled";
  }

  readonly fetch = (request: Request) => this.app.fetch(request);

  private routes() {
    const app = this.app;
    app.use("*", async (c, next) => {
      this.requests.push(`${c.req.method} ${new URL(c.req.url).pathname}`);
      if (this.knobs.stalling > 0) {
        this.knobs.stalling--;
        await new Promise<void>((resolve) => {
          c.req.raw.signal.addEventListener("abort", () => resolve());
          setTimeout(resolve, 60_000);
        });
        return c.json({ ok: false, status: 504, message: "stalled" }, 504);
      }
      if (this.knobs.failing > 0) {
        this.knobs.failing--;
        const status = this.knobs.failStatus as 500;
        return c.json({ ok: false, status, message: "Error inesperado" }, status);
      }
      if (this.knobs.rateLimited > 0) {
        this.knobs.rateLimited--;
        c.header("Retry-After", this.knobs.retryAfter);
        return c.json(
          { ok: false, status: 429, code: "rate_limit_exceeded", message: "Too many requests" },
          429,
        );
      }
      if (c.req.header("authorization") !== `Bearer ${this.options.apiKey}`) {
        return c.json({ ok: false, status: 401, message: "Invalid API key" }, 401);
      }
      await next();
    });
    app.onError((error, c) => {
      if (error instanceof FakeError) {
        return c.json(
          {
            ok: false,
            status: error.status,
            message: error.message,
            ...(error.code && { code: error.code }),
            ...(error.path && { path: error.path }),
          },
          error.status,
        );
      }
      return c.json({ ok: false, status: 500, message: String(error) }, 500);
    });

    app.post("/v2/invoices", async (c) => {
      const body = (await c.req.json().catch(() => {
        throw new FakeError(400, "El cuerpo de la petición no es JSON válido", "invalid_request");
      })) as Json;
      const key = str(body.idempotency_key) ? body.idempotency_key : undefined;
      const existing = key && this.byIdempotencyKey.get(key);
      if (existing) return c.json((await existing).invoice);
      const created = this.create(body);
      if (key) {
        this.byIdempotencyKey.set(key, created);
        // A failed creation leaves no document: the key may be used again.
        created.catch(() => this.byIdempotencyKey.delete(key));
      }
      return c.json((await created).invoice);
    });

    app.get("/v2/invoices/:id", (c) => c.json(this.find(c.req.param("id")).invoice));
    app.get("/v2/invoices/:id/xml", (c) =>
      c.body(this.find(c.req.param("id")).xml, 200, { "content-type": "application/xml" }),
    );
    app.get("/v2/invoices/:id/pdf", (c) => {
      this.find(c.req.param("id"));
      return c.body(FAKE_PDF.slice().buffer as ArrayBuffer, 200, { "content-type": "application/pdf" });
    });
    app.put("/v2/invoices/:id/status", (c) => c.json(this.find(c.req.param("id")).invoice));
    app.delete("/v2/invoices/:id", (c) =>
      c.json(this.cancel(c.req.param("id"), c.req.query("motive"), c.req.query("substitution"))),
    );
  }

  private find(id: string): StoredInvoice {
    const stored = this.invoices.get(id);
    if (!stored) throw new FakeError(404, `No se encontró la factura ${id}`);
    return stored;
  }

  private cancel(id: string, motive: string | undefined, substitution: string | undefined) {
    const stored = this.find(id);
    const invoice = stored.invoice;
    if (!motive || !["01", "02", "03", "04"].includes(motive)) {
      throw new FakeError(400, "motive debe ser 01, 02, 03 o 04", "invalid_request", "motive");
    }
    if (motive === "01" && !substitution) {
      throw new FakeError(
        400,
        "El motivo 01 requiere la factura que sustituye",
        "substitution_invoice_required",
        "substitution",
      );
    }
    if (motive !== "01" && substitution) {
      throw new FakeError(
        400,
        "substitution sólo se usa con el motivo 01",
        "invalid_request",
        "substitution",
      );
    }
    if (substitution) {
      const replacement = [...this.invoices.values()].find(
        (s) => s.invoice.id === substitution || s.invoice.uuid?.toUpperCase() === substitution.toUpperCase(),
      );
      if (replacement?.invoice.status !== "valid" || replacement === stored) {
        throw new FakeError(
          400,
          `La factura sustituta ${substitution} no existe o no está vigente`,
          "invalid_request",
          "substitution",
        );
      }
    }
    if (invoice.status === "canceled") throw new FakeError(409, "La factura ya fue cancelada");
    if (invoice.cancellation_status === "pending" || invoice.cancellation_status === "verifying") {
      throw new FakeError(409, "La cancelación ya está en proceso", "invoice_cancellation_in_progress");
    }
    const pending = this.cancellationNeedsAcceptance;
    invoice.status = pending ? "valid" : "canceled";
    invoice.cancellation_status = pending ? "pending" : "accepted";
    invoice.cancellation = {
      requested_at: this.clock().toISOString(),
      motive,
      status: invoice.cancellation_status,
      ...(substitution && { substitution }),
    };
    return invoice;
  }

  /** Validates like Facturapi, then builds, seals and stamps the CFDI. */
  private async create(body: Json): Promise<StoredInvoice> {
    const input = this.invoiceInput(body);
    let valid: ReturnType<typeof parseInvoiceInput>;
    try {
      valid = parseInvoiceInput(input);
    } catch (error) {
      if (!isAppError(error)) throw error;
      const first = (error.details as { path: string; message: string }[] | undefined)?.[0];
      throw new FakeError(400, error.message, "invalid_request", first?.path);
    }
    const now = this.clock();
    let stamped: Awaited<ReturnType<SandboxPac["stamp"]>>;
    try {
      const sealed = await sealCfdi(computeCfdi(valid, now), this.options.csd);
      stamped = await this.pac.stamp({ xml: sealed.xml, idempotencyKey: objectId() });
    } catch (error) {
      if (!isStampRefusal(error) && !isAppError(error)) throw error;
      throw new FakeError(400, error.message, "invoice_stamping_validation_error");
    }
    const id = objectId();
    const customer = body.customer as Json;
    const invoice = {
      id,
      created_at: now.toISOString(),
      livemode: false,
      status: "valid" as FacturapiInvoiceStatus,
      cancellation_status: "none" as FacturapiCancellationStatus,
      date: now.toISOString(),
      address: { zip: input.expeditionPostalCode },
      type: "I",
      customer: {
        id: objectId(),
        legal_name: customer.legal_name,
        tax_id: customer.tax_id,
        address: { country: "MEX" },
      },
      total: Number(stamped.xml.match(/ Total="([^"]+)"/)?.[1]),
      uuid: stamped.uuid.toLowerCase(),
      folio_number: Number(input.folio),
      series: input.series ?? null,
      external_id: (body.external_id as string | undefined) ?? null,
      idempotency_key: (body.idempotency_key as string | undefined) ?? null,
      payment_form: body.payment_form,
      payment_method: input.paymentMethod,
      use: input.receptor.cfdiUse,
      currency: input.currency,
      items: body.items,
      cancellation: null,
      stamp: {
        date: stamped.stampedAt,
        sat_cert_number: stamped.noCertificadoSat,
        rfc_provider_cert: stamped.pacRfc,
      },
    };
    const stored = { invoice, xml: stamped.xml };
    this.invoices.set(id, stored);
    return stored;
  }

  /** Facturapi's create-invoice body (type I) as the engine's input; shape errors are Facturapi's 400s. */
  private invoiceInput(body: Json): InvoiceInput {
    const customer = body.customer as Json | undefined;
    const address = customer?.address as Json | undefined;
    if (typeof customer !== "object" || customer === null) {
      throw new FakeError(400, "customer es requerido", "invalid_request", "customer");
    }
    for (const field of ["legal_name", "tax_id", "tax_system"] as const) {
      if (!str(customer[field]))
        throw new FakeError(400, `customer.${field} es requerido`, "invalid_request", `customer.${field}`);
    }
    if (!str(address?.zip))
      throw new FakeError(
        400,
        "customer.address.zip es requerido",
        "invalid_request",
        "customer.address.zip",
      );
    if ((body.type ?? "I") !== "I")
      throw new FakeError(400, "Este servidor sólo emite facturas de ingreso", "invalid_request", "type");
    if (!str(body.payment_form) || body.payment_form.length !== 2) {
      throw new FakeError(400, "payment_form debe tener 2 caracteres", "invalid_request", "payment_form");
    }
    const items = body.items;
    if (!Array.isArray(items) || items.length === 0 || items.length > 5000) {
      throw new FakeError(400, "items debe tener entre 1 y 5000 conceptos", "invalid_request", "items");
    }
    const issuer = this.options.issuer;
    const folio = body.folio_number;
    const series = body.series;
    const place = (body.address as Json | undefined)?.zip;
    return {
      type: "I",
      ...(str(series) && { series }),
      folio: String(numeric(folio) ? folio : this.nextFolio++),
      issuer: { rfc: issuer.rfc, name: issuer.name, taxRegime: issuer.taxRegime },
      receptor: {
        rfc: customer.tax_id as string,
        name: customer.legal_name as string,
        taxRegime: customer.tax_system as string,
        postalCode: address!.zip as string,
        cfdiUse: str(body.use) ? body.use : "G01",
      },
      expeditionPostalCode: str(place) ? place : issuer.postalCode,
      paymentForm: body.payment_form,
      paymentMethod: body.payment_method === "PPD" ? "PPD" : "PUE",
      ...(str(body.currency) && { currency: body.currency }),
      ...(numeric(body.exchange) && body.currency !== "MXN" && { exchangeRate: String(body.exchange) }),
      ...(str(body.export) && { exportation: body.export }),
      ...(str(body.conditions) && { paymentConditions: body.conditions }),
      ...(Array.isArray(body.related_documents) && {
        relatedDocuments: (body.related_documents as Json[]).map((g) => ({
          relationType: g.relationship as string,
          uuids: g.documents as string[],
        })),
      }),
      items: items.map((item: Json, i) => this.item(item, i)),
    };
  }

  private item(item: Json, i: number): NonNullable<InvoiceInput["items"]>[number] {
    const product = item.product as Json | undefined;
    if (typeof product !== "object" || product === null) {
      throw new FakeError(400, "product es requerido", "invalid_request", `items.${i}.product`);
    }
    if (!str(product.description))
      throw new FakeError(
        400,
        "description es requerido",
        "invalid_request",
        `items.${i}.product.description`,
      );
    if (!str(product.product_key))
      throw new FakeError(
        400,
        "product_key es requerido",
        "invalid_request",
        `items.${i}.product.product_key`,
      );
    if (!numeric(product.price))
      throw new FakeError(400, "price debe ser un número", "invalid_request", `items.${i}.product.price`);
    // Omitted or null taxes mean IVA 16 % transferred; [] means none.
    const taxes = (Array.isArray(product.taxes) ? product.taxes : [{ type: "IVA", rate: 0.16 }]) as Json[];
    const inputTaxes = taxes.map((t) => ({
      tax: (t.type ?? "IVA") as "IVA" | "ISR" | "IEPS",
      factor: (t.factor ?? "Tasa") as "Tasa" | "Cuota" | "Exento",
      ...(t.factor !== "Exento" && { rate: String(t.rate) }),
      withholding: t.withholding === true,
    }));
    // tax_included (Facturapi's default): the price holds the transferred Tasa taxes.
    let price = dec(product.price);
    if (product.tax_included !== false) {
      const tasas = inputTaxes
        .filter((t) => !t.withholding && t.factor === "Tasa")
        .reduce((sum, t) => sum.plus(dec(t.rate!)), dec(0));
      price = roundSat(price.div(dec(1).plus(tasas)), 6);
    }
    return {
      productKey: product.product_key,
      unitKey: str(product.unit_key) ? product.unit_key : "H87",
      unit: str(product.unit_name) ? product.unit_name : "Elemento",
      ...(str(product.sku) && { sku: product.sku }),
      description: product.description,
      quantity: String(numeric(item.quantity) ? item.quantity : 1),
      unitPrice: price.toFixed(),
      ...(numeric(item.discount) && item.discount > 0 && { discount: String(item.discount) }),
      objetoImp: str(product.taxability) ? product.taxability : inputTaxes.length > 0 ? "02" : "01",
      taxes: inputTaxes,
    };
  }
}
