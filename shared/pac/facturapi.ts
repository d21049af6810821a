/**
 * Facturapi v2 as a stamping provider (kind "document"): Facturapi builds and seals the CFDI with the
 * CSD the issuer uploaded there, so it gets the document's content (customer, items, payment terms),
 * never Timbre's sealed XML. Pure TypeScript over an injected `fetch`.
 *
 * Operations (seed 001): create an invoice (POST /invoices), download its XML and PDF
 * (GET /invoices/{id}/xml|pdf), cancel it (DELETE /invoices/{id}?motive=&substitution=), read it
 * (GET /invoices/{id}) and have Facturapi ask SAT for its status (PUT /invoices/{id}/status).
 *
 * Retries never stamp twice: every invoice is created with Facturapi's `idempotency_key` (the stamp's
 * idempotency key), and Facturapi answers a repeated key with the document it already created.
 *
 * Errors, all AppError:
 * - a 4xx about the document (validation, SAT/PAC refusal, conflict) → a refusal (`isStampRefusal`)
 *   with Facturapi's `code` when it gives one, else `facturapi_<status>`;
 * - 401/403 → 502 `provider_auth_failed` (the organization's API key is wrong or revoked);
 * - 429 → waits `Retry-After` and retries, at most `maxRetries` times, then 503 `provider_rate_limited`
 *   with `details.retryAfter` (seconds);
 * - 5xx → 502 `provider_unavailable`; no answer → 502 `provider_unreachable`; too slow → 504
 *   `provider_timeout`; an invoice still being stamped → 504 `provider_pending`. None says anything
 *   about the document: retry with the same idempotency key.
 */

import { dec } from "../cfdi/amounts";
import { mexicoCityInstant } from "../cfdi/build/time";
import { type Cfdi, type Concepto, timbre } from "../cfdi/model";
import { cfdiFromXml } from "../cfdi/parse";
import { parseXml } from "../cfdi/xml";
import { AppError } from "../errors";
import {
  type CancellationMotive,
  type CancellationStatus,
  type CancelRequest,
  type CancelResult,
  type DocumentProvider,
  type DocumentStampRequest,
  isStampRefusal,
  type StampResult,
  stampRefusal,
} from "./provider";

export const FACTURAPI_BASE_URL = "https://www.facturapi.io/v2";
const PROVIDER = "facturapi";

export interface FacturapiOptions {
  /** The organization's secret key (`sk_test_…` or `sk_live_…`): it picks the environment and issuer. */
  apiKey: string;
  baseUrl?: string;
  /** Default: the global fetch, looked up at call time. */
  fetch?: (request: Request) => Promise<Response>;
  /** Waits between 429 retries (default: a timer); tests record the delays instead. */
  sleep?: (ms: number) => Promise<void>;
  /** 429 answers retried before giving up (default 3). */
  maxRetries?: number;
  /** A Retry-After longer than this is not waited for: the caller gets the 503 at once (default 30 s). */
  maxRetryAfterMs?: number;
  /** Per request (default 30 s). */
  timeoutMs?: number;
}

/** Facturapi's tax on a product. `rate` is a decimal (0.16), the amount per unit for Cuota. */
export interface FacturapiTax {
  type: "IVA" | "ISR" | "IEPS";
  rate: number;
  factor: "Tasa" | "Cuota" | "Exento";
  withholding: boolean;
}

export interface FacturapiLineItem {
  quantity: number;
  discount: number;
  product: {
    description: string;
    product_key: string;
    price: number;
    tax_included: boolean;
    taxability?: string;
    taxes: FacturapiTax[];
    unit_key: string;
    unit_name?: string;
    sku?: string;
  };
}

/** The create-invoice body (type I) this client sends; field names are Facturapi's. */
export interface FacturapiInvoiceInput {
  type: "I";
  customer: {
    legal_name: string;
    tax_id: string;
    tax_system: string;
    email?: string;
    address: { zip: string };
  };
  items: FacturapiLineItem[];
  payment_form: string;
  payment_method?: string;
  use: string;
  currency: string;
  exchange?: number;
  export?: string;
  conditions?: string;
  address: { zip: string };
  related_documents?: { relationship: string; documents: string[] }[];
  series?: string;
  folio_number?: number;
  idempotency_key: string;
}

export type FacturapiInvoiceStatus = "pending" | "valid" | "canceled" | "draft" | "failed";
export type FacturapiCancellationStatus =
  | "none"
  | "pending"
  | "accepted"
  | "rejected"
  | "expired"
  | "verifying";

/** The fields of Facturapi's Invoice object this client reads. */
export interface FacturapiInvoice {
  id: string;
  created_at: string;
  livemode: boolean;
  status: FacturapiInvoiceStatus;
  cancellation_status: FacturapiCancellationStatus;
  uuid: string | null;
  total: number;
  series?: string | null;
  folio_number?: number;
  idempotency_key?: string | null;
  cancellation?: { requested_at?: string; motive?: string; status?: string } | null;
}

/** Facturapi's error body: the seed's `{message}`, plus the code and path its API adds. */
interface FacturapiErrorBody {
  message?: string;
  code?: string;
  path?: string;
  errors?: unknown[];
}

const TAX_NAMES: Record<string, FacturapiTax["type"]> = { "001": "ISR", "002": "IVA", "003": "IEPS" };

/**
 * A CFDI decimal as the JSON number Facturapi takes. CFDI amounts have at most 6 decimals and 18
 * integer digits; a double carries the ones invoices use exactly, and any that it would round is
 * refused rather than sent altered.
 */
function jsonNumber(value: string, field: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || !dec(n).eq(dec(value))) {
    throw stampRefusal(
      PROVIDER,
      "facturapi_amount_unrepresentable",
      `${field} ${value} cannot be sent exactly`,
    );
  }
  return n;
}

function facturapiTaxes(concepto: Concepto, index: number): FacturapiTax[] {
  const field = `Conceptos[${index}]`;
  const tax = (
    t: { Impuesto: string; TipoFactor: string; TasaOCuota?: string },
    withholding: boolean,
  ): FacturapiTax => {
    const type = TAX_NAMES[t.Impuesto];
    if (!type) throw stampRefusal(PROVIDER, "facturapi_tax_unsupported", `${field}: tax ${t.Impuesto}`);
    return {
      type,
      rate: t.TasaOCuota === undefined ? 0 : jsonNumber(t.TasaOCuota, `${field} TasaOCuota`),
      factor: t.TipoFactor as FacturapiTax["factor"],
      withholding,
    };
  };
  return [
    ...(concepto.Impuestos?.Traslados ?? []).map((t) => tax(t, false)),
    ...(concepto.Impuestos?.Retenciones ?? []).map((t) => tax(t, true)),
  ];
}

/**
 * The create-invoice body for a computed (unsealed) CFDI: the same receptor, concepts at their net
 * unit price (`tax_included: false`, since Facturapi's default includes taxes), taxes, payment terms,
 * place of issue, series and folio, so the document Facturapi seals says what Timbre computed.
 * Only income invoices (type I) go through Facturapi for now.
 */
export function facturapiInvoiceInput(cfdi: Cfdi, idempotencyKey: string): FacturapiInvoiceInput {
  if (cfdi.TipoDeComprobante !== "I") {
    throw stampRefusal(
      PROVIDER,
      "facturapi_document_unsupported",
      `Only income invoices (type I) are stamped through Facturapi, not type ${cfdi.TipoDeComprobante}`,
    );
  }
  const r = cfdi.Receptor;
  return {
    type: "I",
    customer: {
      legal_name: r.Nombre ?? "",
      tax_id: r.Rfc,
      tax_system: r.RegimenFiscalReceptor ?? "",
      address: { zip: r.DomicilioFiscalReceptor ?? "" },
    },
    items: cfdi.Conceptos.map((c, i) => ({
      quantity: jsonNumber(c.Cantidad, `Conceptos[${i}] Cantidad`),
      discount: c.Descuento === undefined ? 0 : jsonNumber(c.Descuento, `Conceptos[${i}] Descuento`),
      product: {
        description: c.Descripcion,
        product_key: c.ClaveProdServ,
        price: jsonNumber(c.ValorUnitario, `Conceptos[${i}] ValorUnitario`),
        tax_included: false,
        ...(c.ObjetoImp && { taxability: c.ObjetoImp }),
        taxes: facturapiTaxes(c, i),
        unit_key: c.ClaveUnidad,
        ...(c.Unidad && { unit_name: c.Unidad }),
        ...(c.NoIdentificacion && { sku: c.NoIdentificacion }),
      },
    })),
    payment_form: cfdi.FormaPago ?? "",
    ...(cfdi.MetodoPago && { payment_method: cfdi.MetodoPago }),
    use: r.UsoCFDI,
    currency: cfdi.Moneda,
    ...(cfdi.TipoCambio && { exchange: jsonNumber(cfdi.TipoCambio, "TipoCambio") }),
    ...(cfdi.Exportacion && { export: cfdi.Exportacion }),
    ...(cfdi.CondicionesDePago && { conditions: cfdi.CondicionesDePago }),
    address: { zip: cfdi.LugarExpedicion },
    ...(cfdi.CfdiRelacionados.length > 0 && {
      related_documents: cfdi.CfdiRelacionados.map((g) => ({
        relationship: g.TipoRelacion,
        documents: g.CfdiRelacionado,
      })),
    }),
    ...(cfdi.Serie && { series: cfdi.Serie }),
    // Facturapi's folio_number is an integer; a folio with a prefix is left to Facturapi's counter.
    ...(cfdi.Folio && /^\d{1,15}$/.test(cfdi.Folio) && { folio_number: Number(cfdi.Folio) }),
    idempotency_key: idempotencyKey,
  };
}

/** Where a Facturapi invoice's cancellation stands, in our terms; undefined when none was asked. */
export function cancellationOf(invoice: FacturapiInvoice): CancellationStatus | undefined {
  if (invoice.status === "canceled") return "accepted";
  switch (invoice.cancellation_status) {
    case "pending":
    case "verifying":
      return "pending";
    case "accepted":
    case "rejected":
    case "expired":
      return invoice.cancellation_status;
    default:
      return undefined;
  }
}

/** Retry-After as delta-seconds or an HTTP date, in ms (1 s when absent or unreadable). */
export function retryAfterMs(header: string | null, now = Date.now()): number {
  if (header === null) return 1000;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? 1000 : Math.max(0, at - now);
}

interface Call {
  method: "GET" | "POST" | "PUT" | "DELETE";
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  /** What the caller was doing, for messages: "create the invoice", "download the XML"… */
  doing: string;
}

export class FacturapiProvider implements DocumentProvider {
  readonly id = PROVIDER;
  readonly kind = "document";
  private readonly apiKey: string;
  private readonly baseUrl: string;
  private readonly fetchFn: (request: Request) => Promise<Response>;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly maxRetries: number;
  private readonly maxRetryAfterMs: number;
  private readonly timeoutMs: number;

  constructor(options: FacturapiOptions) {
    this.apiKey = options.apiKey;
    this.baseUrl = (options.baseUrl ?? FACTURAPI_BASE_URL).replace(/\/+$/, "");
    this.fetchFn = options.fetch ?? ((request) => globalThis.fetch(request));
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.maxRetries = options.maxRetries ?? 3;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  async stamp(request: DocumentStampRequest): Promise<StampResult> {
    const invoice = await this.createInvoice(facturapiInvoiceInput(request.document, request.idempotencyKey));
    if (invoice.status === "pending") {
      throw new AppError(504, "provider_pending", `Facturapi is still stamping invoice ${invoice.id}`, {
        provider: PROVIDER,
        providerReference: invoice.id,
      });
    }
    if (invoice.status !== "valid") {
      throw stampRefusal(
        PROVIDER,
        `facturapi_invoice_${invoice.status}`,
        `Facturapi left the invoice ${invoice.status}`,
        {
          providerReference: invoice.id,
        },
      );
    }
    const xml = await this.downloadXml(invoice.id);
    const tfd = stampOf(xml, invoice.id);
    return {
      uuid: tfd.UUID.toUpperCase(),
      stampedAt: mexicoCityInstant(tfd.FechaTimbrado).toISOString(),
      xml,
      pacRfc: tfd.RfcProvCertif,
      noCertificadoSat: tfd.NoCertificadoSAT,
      providerReference: invoice.id,
    };
  }

  async cancel(request: CancelRequest): Promise<CancelResult> {
    if (!request.providerReference) {
      throw stampRefusal(
        PROVIDER,
        "provider_reference_missing",
        `CFDI ${request.uuid} has no Facturapi invoice id`,
      );
    }
    const id = request.providerReference;
    let invoice: FacturapiInvoice;
    try {
      invoice = await this.cancelInvoice(id, request.motive, request.substitution);
    } catch (error) {
      // Facturapi refuses to cancel twice: a retried request finds the cancellation it already made.
      if (!isStampRefusal(error) || (error.details as { status?: number }).status !== 409) throw error;
      const current = await this.retrieve(id);
      if (cancellationOf(current) === undefined || current.cancellation_status === "rejected") throw error;
      invoice = current;
    }
    const status = cancellationOf(invoice);
    if (status === undefined) {
      throw new AppError(
        502,
        "provider_invalid_response",
        `Facturapi did not record a cancellation of ${id}`,
        {
          provider: PROVIDER,
          invoiceStatus: invoice.status,
        },
      );
    }
    return {
      status,
      requestedAt: invoice.cancellation?.requested_at ?? new Date().toISOString(),
      providerStatus: invoice.status === "canceled" ? "canceled" : invoice.cancellation_status,
    };
  }

  /** POST /invoices: creates and stamps (synchronously) a type I invoice. */
  async createInvoice(input: FacturapiInvoiceInput): Promise<FacturapiInvoice> {
    const res = await this.call({
      method: "POST",
      path: "/invoices",
      body: input,
      doing: "create the invoice",
    });
    return (await res.json()) as FacturapiInvoice;
  }

  async retrieve(id: string): Promise<FacturapiInvoice> {
    const res = await this.call({
      method: "GET",
      path: `/invoices/${encodeURIComponent(id)}`,
      doing: "read the invoice",
    });
    return (await res.json()) as FacturapiInvoice;
  }

  /** PUT /invoices/{id}/status: Facturapi asks SAT and returns the invoice with its current statuses. */
  async refreshStatus(id: string): Promise<FacturapiInvoice> {
    const res = await this.call({
      method: "PUT",
      path: `/invoices/${encodeURIComponent(id)}/status`,
      doing: "refresh the invoice status",
    });
    return (await res.json()) as FacturapiInvoice;
  }

  async cancelInvoice(
    id: string,
    motive: CancellationMotive,
    substitution?: string,
  ): Promise<FacturapiInvoice> {
    const res = await this.call({
      method: "DELETE",
      path: `/invoices/${encodeURIComponent(id)}`,
      query: { motive, substitution },
      doing: "cancel the invoice",
    });
    return (await res.json()) as FacturapiInvoice;
  }

  async downloadXml(id: string): Promise<string> {
    const res = await this.call({
      method: "GET",
      path: `/invoices/${encodeURIComponent(id)}/xml`,
      doing: "download the XML",
    });
    return res.text();
  }

  async downloadPdf(id: string): Promise<Uint8Array> {
    const res = await this.call({
      method: "GET",
      path: `/invoices/${encodeURIComponent(id)}/pdf`,
      doing: "download the PDF",
    });
    return new Uint8Array(await res.arrayBuffer());
  }

  /** One request, with the 429 retries; any non-2xx answer becomes the AppError the module comment lists. */
  private async call(call: Call): Promise<Response> {
    const url = new URL(`${this.baseUrl}${call.path}`);
    for (const [name, value] of Object.entries(call.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, value);
    }
    for (let attempt = 0; ; attempt++) {
      const res = await this.send(url, call);
      if (res.status !== 429) {
        if (res.ok) return res;
        throw await this.failure(res, call);
      }
      const wait = retryAfterMs(res.headers.get("retry-after"));
      await res.body?.cancel();
      if (attempt >= this.maxRetries || wait > this.maxRetryAfterMs) {
        throw new AppError(
          503,
          "provider_rate_limited",
          `Facturapi is rate limiting requests; retry in ${Math.ceil(wait / 1000)} s`,
          {
            provider: PROVIDER,
            retryAfter: Math.ceil(wait / 1000),
          },
        );
      }
      await this.sleep(wait);
    }
  }

  private async send(url: URL, call: Call): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.apiKey}`, accept: "*/*" };
    if (call.body !== undefined) headers["content-type"] = "application/json";
    const request = new Request(url, {
      method: call.method,
      headers,
      ...(call.body !== undefined && { body: JSON.stringify(call.body) }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    try {
      return await this.fetchFn(request);
    } catch (error) {
      const timedOut =
        error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
      throw timedOut
        ? new AppError(
            504,
            "provider_timeout",
            `Facturapi did not answer within ${this.timeoutMs} ms to ${call.doing}`,
            {
              provider: PROVIDER,
            },
          )
        : new AppError(502, "provider_unreachable", `Facturapi could not be reached to ${call.doing}`, {
            provider: PROVIDER,
            cause: error instanceof Error ? error.message : String(error),
          });
    }
  }

  private async failure(res: Response, call: Call): Promise<AppError> {
    const text = await res.text().catch(() => "");
    let body: FacturapiErrorBody = {};
    try {
      body = JSON.parse(text) as FacturapiErrorBody;
    } catch {
      // Not JSON (a proxy's error page): the status says enough.
    }
    const message = body.message || `HTTP ${res.status}`;
    const logId = res.headers.get("x-facturapi-log-id") ?? undefined;
    const context = { status: res.status, ...(logId && { logId }) };
    if (res.status === 401 || res.status === 403) {
      return new AppError(
        502,
        "provider_auth_failed",
        `Facturapi refused the organization's API key: ${message}`,
        {
          provider: PROVIDER,
          ...context,
        },
      );
    }
    if (res.status === 409 && body.code === "idempotency_key_in_use") {
      return new AppError(
        503,
        "provider_busy",
        `Facturapi is still handling a request with this idempotency key`,
        {
          provider: PROVIDER,
          ...context,
        },
      );
    }
    if (res.status === 408 || res.status >= 500) {
      return new AppError(
        res.status === 408 ? 504 : 502,
        res.status === 408 ? "provider_timeout" : "provider_unavailable",
        `Facturapi failed to ${call.doing}: ${message}`,
        {
          provider: PROVIDER,
          ...context,
        },
      );
    }
    return stampRefusal(PROVIDER, body.code || `facturapi_${res.status}`, message, {
      ...context,
      ...(body.path && { path: body.path }),
      ...(body.errors && { errors: body.errors }),
    });
  }
}

/** The TimbreFiscalDigital of a downloaded XML; a file without one is not a stamped invoice. */
function stampOf(xml: string, id: string) {
  let tfd: ReturnType<typeof timbre>;
  try {
    tfd = timbre(cfdiFromXml(parseXml(xml)));
  } catch {
    tfd = undefined;
  }
  if (!tfd) {
    throw new AppError(
      502,
      "provider_invalid_response",
      `Facturapi's XML of invoice ${id} carries no stamp`,
      {
        provider: PROVIDER,
        providerReference: id,
      },
    );
  }
  return tfd;
}
