/**
 * Evidence of every stamping-provider call (seed 003's Get Document Evidence), recorded in one place:
 * `stampingProviderFor` (./stamping-providers) builds every provider with a recorder, so no caller can
 * reach a provider unrecorded. Facturapi is recorded at the HTTP level (the fetch its client is
 * given: every create, download, cancel, retrieve and status request as sent and answered); the
 * in-process sandbox at its interface (the sealed XML in, the stamp or refusal out).
 *
 * Kept: the operation, the request (method and path, and the body) and the answer (status and body),
 * timings. Never kept: headers (the Authorization header carries the organization's API key) or
 * binary bodies (a PDF is summarised by type, size and SHA-256; it is stored as the invoice's file).
 * A body over INLINE_LIMIT goes to R2 under the organization's prefix. Recording never fails the
 * call it records: a storage error is logged.
 */
import { and, asc, eq, isNull, or, type SQL } from "drizzle-orm";
import { invoices, providerEvidence } from "../../db/schema";
import { sha256Hex } from "../../shared/auth/crypto";
import { isAppError, notFound } from "../../shared/errors";
import type { SealedXmlProvider } from "../../shared/pac";
import { type ActorContext, nowIso, type ServiceContext } from "./context";
import { requireOrgAccess } from "./tenancy";

/** Bodies up to this many characters are kept in the row; larger ones in R2. */
const INLINE_LIMIT = 8_192;

export interface EvidenceScope {
  organizationId: string;
  /** The invoice the calls are for, when it is already known (a reconcile). */
  invoiceId?: string;
  /** How a stamp request is labelled: the first attempt, or a reconcile of a processing invoice. */
  stampOperation?: "stamp" | "reconcile";
}

interface Entry {
  provider: string;
  operation: string;
  request: string;
  requestBody: unknown;
  responseStatus: number | null;
  responseBody: unknown;
  requestKey?: string | null;
  providerReference?: string | null;
  documentUuid?: string | null;
  startedAt: number;
}

/** A body as kept: JSON when it parses, else its text with its content type. */
function bodyValue(text: string, contentType: string | null): unknown {
  if (text === "") return null;
  if (contentType?.includes("json")) {
    try {
      return JSON.parse(text);
    } catch {
      // Not JSON after all: kept as text below.
    }
  }
  return { contentType, text };
}

/** An error as an answer: what the caller saw (status and code) without the stack. */
const errorBody = (error: unknown) =>
  isAppError(error)
    ? { error: error.code, message: error.message, details: error.details ?? null }
    : { error: "exception", message: error instanceof Error ? error.message : String(error) };

async function store(ctx: ServiceContext, scope: EvidenceScope, entry: Entry): Promise<void> {
  const id = crypto.randomUUID();
  const prefix = `org/${scope.organizationId}/evidence/${id}`;
  try {
    const place = async (value: unknown, part: "request" | "response") => {
      if (value === null || value === undefined) return { inline: null, key: null };
      const text = JSON.stringify(value);
      if (text.length <= INLINE_LIMIT) return { inline: value, key: null };
      const key = `${prefix}/${part}.json`;
      await ctx.env.FILES.put(key, text, { httpMetadata: { contentType: "application/json" } });
      return { inline: null, key };
    };
    const [request, response] = await Promise.all([
      place(entry.requestBody, "request"),
      place(entry.responseBody, "response"),
    ]);
    await ctx.db.insert(providerEvidence).values({
      id,
      organizationId: scope.organizationId,
      invoiceId: scope.invoiceId ?? null,
      provider: entry.provider,
      operation: entry.operation,
      requestKey: entry.requestKey ?? null,
      providerReference: entry.providerReference ?? null,
      documentUuid: entry.documentUuid?.toUpperCase() ?? null,
      request: entry.request,
      requestBody: request.inline,
      requestBodyKey: request.key,
      responseStatus: entry.responseStatus,
      responseBody: response.inline,
      responseBodyKey: response.key,
      durationMs: Date.now() - entry.startedAt,
      requestedAt: new Date(entry.startedAt).toISOString(),
      storedAt: nowIso(),
    });
  } catch (error) {
    ctx.log("error", "provider evidence not stored", {
      organizationId: scope.organizationId,
      operation: entry.operation,
      error: String(error),
    });
  }
}

/** Facturapi's endpoints, by method and path after the API root, as evidence operations. */
function facturapiOperation(method: string, path: string, scope: EvidenceScope) {
  const match = path.match(/\/invoices(?:\/([^/]+))?(?:\/([^/]+))?$/);
  const reference = match?.[1] ? decodeURIComponent(match[1]) : null;
  const sub = match?.[2];
  let operation = `${method.toLowerCase()}_request`;
  if (match && !reference && method === "POST") operation = scope.stampOperation ?? "stamp";
  else if (reference && sub === "xml") operation = "download_xml";
  else if (reference && sub === "pdf") operation = "download_pdf";
  else if (reference && sub === "status") operation = "refresh_status";
  else if (reference && !sub && method === "GET") operation = "retrieve";
  else if (reference && !sub && method === "DELETE") operation = "cancel";
  return { operation, reference };
}

/** What a response body is kept as; binary files are summarised (they are stored as the invoice's files). */
async function responseValue(response: Response): Promise<unknown> {
  const contentType = response.headers.get("content-type");
  if (contentType && /pdf|zip|octet-stream/.test(contentType)) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    return { contentType, bytes: bytes.length, sha256: await sha256Hex(bytes) };
  }
  return bodyValue(await response.text(), contentType);
}

/** The fetch a Facturapi client is given: each request and its answer (or failure) become evidence. */
export function recordingFetch(
  ctx: ServiceContext,
  scope: EvidenceScope,
  inner: (request: Request) => Promise<Response> = (request) => globalThis.fetch(request),
): (request: Request) => Promise<Response> {
  return async (request) => {
    const startedAt = Date.now();
    const url = new URL(request.url);
    const { operation, reference } = facturapiOperation(request.method, url.pathname, scope);
    const requestText = request.body ? await request.clone().text() : "";
    const requestBody = bodyValue(requestText, request.headers.get("content-type"));
    const base = {
      provider: "facturapi",
      operation,
      // The query (motive, substitution) is part of what was asked; the path has no secret.
      request: `${request.method} ${url.pathname}${url.search}`,
      requestBody,
      requestKey: (requestBody as { idempotency_key?: string } | null)?.idempotency_key?.toString() ?? null,
      startedAt,
    };
    let response: Response;
    try {
      response = await inner(request);
    } catch (error) {
      await store(ctx, scope, {
        ...base,
        providerReference: reference,
        responseStatus: null,
        responseBody: errorBody(error),
      });
      throw error;
    }
    const responseBody = await responseValue(response.clone());
    const answered = responseBody as { id?: unknown; uuid?: unknown } | null;
    await store(ctx, scope, {
      ...base,
      providerReference: reference ?? (typeof answered?.id === "string" ? answered.id : null),
      documentUuid: typeof answered?.uuid === "string" ? answered.uuid : null,
      responseStatus: response.status,
      responseBody,
    });
    return response;
  };
}

/** An in-process provider (the sandbox) with each stamp and cancel recorded at its interface. */
export function recordingProvider(
  ctx: ServiceContext,
  scope: EvidenceScope,
  provider: SealedXmlProvider,
): SealedXmlProvider {
  async function recorded<T>(
    operation: string,
    requestBody: unknown,
    keys: { requestKey?: string; documentUuid?: string; providerReference?: string },
    run: () => Promise<T>,
    answer: (value: T) => { uuid?: string; providerReference?: string },
  ): Promise<T> {
    const startedAt = Date.now();
    const base = { provider: provider.id, operation, request: operation, requestBody, startedAt, ...keys };
    try {
      const value = await run();
      const found = answer(value);
      await store(ctx, scope, {
        ...base,
        documentUuid: found.uuid ?? keys.documentUuid ?? null,
        providerReference: found.providerReference ?? keys.providerReference ?? null,
        responseStatus: 200,
        responseBody: value,
      });
      return value;
    } catch (error) {
      await store(ctx, scope, {
        ...base,
        responseStatus: isAppError(error) ? error.status : null,
        responseBody: errorBody(error),
      });
      throw error;
    }
  }
  return {
    id: provider.id,
    kind: provider.kind,
    stamp: (request) =>
      recorded(
        scope.stampOperation ?? "stamp",
        { idempotencyKey: request.idempotencyKey, xml: request.xml },
        { requestKey: request.idempotencyKey },
        () => provider.stamp(request),
        (result) => ({ uuid: result.uuid, providerReference: result.providerReference }),
      ),
    cancel: (request) =>
      recorded(
        "cancel",
        request,
        { documentUuid: request.uuid, providerReference: request.providerReference },
        () => provider.cancel(request),
        () => ({}),
      ),
  };
}

/** Names the invoice on the evidence of the stamp request `requestKey` (written before the invoice was). */
export async function linkEvidence(
  ctx: ServiceContext,
  organizationId: string,
  requestKey: string,
  invoiceId: string,
): Promise<void> {
  try {
    await ctx.db
      .update(providerEvidence)
      .set({ invoiceId })
      .where(
        and(
          eq(providerEvidence.organizationId, organizationId),
          eq(providerEvidence.requestKey, requestKey),
          isNull(providerEvidence.invoiceId),
        ),
      );
  } catch (error) {
    ctx.log("error", "provider evidence not linked to its invoice", {
      organizationId,
      invoiceId,
      error: String(error),
    });
  }
}

export interface EvidenceItem {
  id: string;
  provider: string;
  operation: string;
  request: string;
  requestPayload: unknown;
  responseStatus: number | null;
  responseBody: unknown;
  durationMs: number;
  requestedAt: string;
  storedAt: string;
}

/**
 * The evidence of an invoice, oldest first: the issuer's only (`invoices.stamp` on the issuing
 * organization; the receiver and anyone else → 404). Rows name the invoice by id, by the provider's
 * reference of the document or by its UUID.
 */
export async function listInvoiceEvidence(ctx: ActorContext, invoiceId: string): Promise<EvidenceItem[]> {
  const invoice = await issuedInvoice(ctx, invoiceId);
  const organizationId = invoice.providerId;
  const links: SQL[] = [eq(providerEvidence.invoiceId, invoice.id)];
  if (invoice.providerReference)
    links.push(eq(providerEvidence.providerReference, invoice.providerReference));
  if (invoice.uuid) links.push(eq(providerEvidence.documentUuid, invoice.uuid.toUpperCase()));
  const rows = await ctx.db
    .select()
    .from(providerEvidence)
    .where(and(eq(providerEvidence.organizationId, organizationId), or(...links)))
    .orderBy(asc(providerEvidence.requestedAt), asc(providerEvidence.storedAt));
  const body = async (inline: unknown, key: string | null) => {
    if (!key) return inline ?? null;
    const object = await ctx.env.FILES.get(key);
    return object ? JSON.parse(await object.text()) : null;
  };
  return Promise.all(
    rows.map(async (row) => ({
      id: row.id,
      provider: row.provider,
      operation: row.operation,
      request: row.request,
      requestPayload: await body(row.requestBody, row.requestBodyKey),
      responseStatus: row.responseStatus,
      responseBody: await body(row.responseBody, row.responseBodyKey),
      durationMs: row.durationMs,
      requestedAt: row.requestedAt,
      storedAt: row.storedAt,
    })),
  );
}

/** An invoice the caller's organization issued: any other invoice is not found for this purpose. */
async function issuedInvoice(ctx: ActorContext, invoiceId: string) {
  const [invoice] = await ctx.db
    .select({
      id: invoices.id,
      providerId: invoices.providerId,
      providerReference: invoices.providerReference,
      uuid: invoices.uuid,
    })
    .from(invoices)
    .where(eq(invoices.id, invoiceId))
    .limit(1);
  // Only its issuer's members see its provider calls: the receiver and anyone else find nothing.
  if (!invoice?.providerId) throw notFound("Invoice");
  await requireOrgAccess(ctx, invoice.providerId, "invoices.stamp", "Invoice");
  return { ...invoice, providerId: invoice.providerId };
}
