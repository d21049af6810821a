/**
 * Invoice downloads (seed #159): `GET /v1/invoices/{id}/download?format=xml|pdf|zip` answers the seed's
 * file object whose `downloadUrl` is a link the Worker serves without an access token, so that a
 * browser can follow it. The link carries a signed, 5-minute capability naming the user, the invoice
 * and the format (its own audience and `typ`: never an access or upload token); when the bytes are
 * requested the user's access to the invoice is checked again, so a member removed in the meantime
 * gets 404.
 *
 * Formats: `xml` is the XML itself, `pdf` the PDF, `zip` both in one archive named by the invoice's
 * UUID. Without a format: the ZIP when both files exist, otherwise the one file there is.
 */
import { inArray } from "drizzle-orm";
import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { files } from "../../db/schema";
import { notFound, unauthorized } from "../../shared/errors";
import { writeZip } from "../../shared/zip/write";
import type { ActorContext, ServiceContext } from "./context";
import { contentDisposition, type FileRow } from "./files";
import { getInvoice, type InvoiceRow } from "./invoices";
import { ISSUER, signingKey } from "./tokens";

export const DOWNLOAD_FORMATS = ["xml", "pdf", "zip"] as const;
export type DownloadFormat = (typeof DOWNLOAD_FORMATS)[number];

export const DOWNLOAD_TOKEN_TTL_SECONDS = 300;
const DOWNLOAD_AUDIENCE = "timbre-download";
const DOWNLOAD_TYP = "timbre-download+jwt";
export const DOWNLOAD_PATH = "/v1/downloads";

interface InvoiceFiles {
  invoice: InvoiceRow;
  xml: FileRow | null;
  pdf: FileRow | null;
}

async function invoiceFiles(ctx: ActorContext, id: string): Promise<InvoiceFiles> {
  const { invoice } = await getInvoice(ctx, id);
  const ids = [invoice.xmlFileId, invoice.pdfFileId].filter((f): f is string => f !== null);
  const rows = ids.length ? await ctx.db.select().from(files).where(inArray(files.id, ids)) : [];
  const byId = (fileId: string | null) => rows.find((r) => r.id === fileId) ?? null;
  return { invoice, xml: byId(invoice.xmlFileId), pdf: byId(invoice.pdfFileId) };
}

/** The format served: the one asked for, which must exist, or the default described above. */
function chosenFormat(found: InvoiceFiles, format: DownloadFormat | undefined): DownloadFormat {
  const chosen = format ?? (found.xml && found.pdf ? "zip" : found.xml ? "xml" : "pdf");
  const missing =
    (chosen === "xml" && !found.xml) ||
    (chosen === "pdf" && !found.pdf) ||
    (chosen === "zip" && !found.xml && !found.pdf);
  if (missing) {
    throw notFound(
      chosen === "zip" ? "Invoice file" : `Invoice ${chosen.toUpperCase()} file`,
      "file_not_found",
    );
  }
  return chosen;
}

const zipName = (invoice: InvoiceRow) => `${invoice.uuid ?? invoice.id}`;

/** The seed's file object for a download, with a `downloadUrl` valid for 5 minutes. */
export async function invoiceDownload(
  ctx: ActorContext,
  id: string,
  format: DownloadFormat | undefined,
  origin: string,
) {
  const found = await invoiceFiles(ctx, id);
  const chosen = chosenFormat(found, format);
  const expiresAt = Math.floor(Date.now() / 1000) + DOWNLOAD_TOKEN_TTL_SECONDS;
  const token = await new SignJWT({ inv: found.invoice.id, fmt: chosen })
    .setProtectedHeader({ alg: "HS256", typ: DOWNLOAD_TYP })
    .setSubject(ctx.userId)
    .setIssuer(ISSUER)
    .setAudience(DOWNLOAD_AUDIENCE)
    .setIssuedAt()
    .setJti(crypto.randomUUID())
    .setExpirationTime(expiresAt)
    .sign(signingKey(ctx));
  const downloadUrl = `${origin}${DOWNLOAD_PATH}?token=${token}`;
  const file = chosen === "xml" ? found.xml : chosen === "pdf" ? found.pdf : null;
  const filename = file ? file.filename : `${zipName(found.invoice)}.zip`;
  return {
    id: file?.id ?? null,
    pathname: file?.storageKey ?? null,
    contentType: file?.contentType ?? "application/zip",
    contentDisposition: contentDisposition({ filename }, "attachment"),
    downloadUrl,
    type: file?.type ?? "invoice_zip",
    filename,
    url: file ? `${origin}/v1/files/${file.id}/content` : null,
    status: "ready" as const,
    size: file?.size ?? null,
    expiresAt: new Date(expiresAt * 1000).toISOString(),
  };
}

async function verifyDownloadToken(ctx: ServiceContext, token: string) {
  let payload: { sub?: unknown; inv?: unknown; fmt?: unknown };
  try {
    ({ payload } = await jwtVerify(token, signingKey(ctx), {
      issuer: ISSUER,
      audience: DOWNLOAD_AUDIENCE,
      typ: DOWNLOAD_TYP,
      algorithms: ["HS256"],
    }));
  } catch (e) {
    if (e instanceof joseErrors.JWTExpired) {
      throw unauthorized("The download link has expired; request a new one", "download_token_expired");
    }
    throw unauthorized("The download link is invalid", "invalid_download_token");
  }
  const { sub, inv, fmt } = payload;
  if (
    typeof sub !== "string" ||
    typeof inv !== "string" ||
    !DOWNLOAD_FORMATS.includes(fmt as DownloadFormat)
  ) {
    throw unauthorized("The download link is invalid", "invalid_download_token");
  }
  return { userId: sub, invoiceId: inv, format: fmt as DownloadFormat };
}

async function stored(ctx: ServiceContext, file: FileRow) {
  const object = await ctx.env.FILES.get(file.storageKey);
  if (!object) throw notFound("File content", "file_not_found");
  return object;
}

/** The bytes a download link stands for. */
export async function serveDownload(ctx: ServiceContext, token: string) {
  const claims = await verifyDownloadToken(ctx, token);
  const found = await invoiceFiles({ ...ctx, userId: claims.userId }, claims.invoiceId);
  const format = chosenFormat(found, claims.format);
  if (format !== "zip") {
    const file = (format === "xml" ? found.xml : found.pdf)!;
    const body = (await stored(ctx, file)).body as ReadableStream;
    return { body, size: file.size, contentType: file.contentType, filename: file.filename };
  }
  const base = zipName(found.invoice);
  const entries = [];
  for (const [file, extension] of [
    [found.xml, "xml"],
    [found.pdf, "pdf"],
  ] as const) {
    if (!file) continue;
    const data = new Uint8Array(await (await stored(ctx, file)).arrayBuffer());
    entries.push({ name: `${base}.${extension}`, data, modifiedAt: new Date(file.createdAt) });
  }
  const zip = writeZip(entries);
  return { body: zip, size: zip.length, contentType: "application/zip", filename: `${base}.zip` };
}
