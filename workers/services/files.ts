/**
 * Stored files: the bytes live in R2 (binding FILES) under a content-addressed key
 * `org/<organizationId>/<sha256>`, so the same bytes uploaded twice by one organization share one
 * object; the metadata (who, what type, which name) is a row of `files` per upload. The upload type
 * decides which formats and how many bytes are accepted, and the format is decided by the bytes
 * themselves (magic numbers), never by the Content-Type the client declared alone.
 *
 * Upload tokens: a signed, 10-minute capability to upload one type of file into one organization
 * as one user, so a browser can send the bytes directly without holding an access token. The bearer
 * upload and the token upload end in the same `uploadFile`, which checks the user's membership again.
 */
import { eq } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { files, invoices } from "../../db/schema";
import { sha256Hex } from "../../shared/auth/crypto";
import { AppError, badRequest, isAppError, notFound, unauthorized } from "../../shared/errors";
import { ZIP_LIMITS } from "../../shared/zip";
import { type ActorContext, nowIso, type ServiceContext } from "./context";
import { requireOrgAccess, requireSharedAccess } from "./tenancy";
import { ISSUER, signingKey } from "./tokens";

export type FileRow = typeof files.$inferSelect;

/**
 * The seed's upload type enum, plus the CSD certificate and key its description names and the invoice
 * ZIP that `POST /v1/invoices/zip-uploads` imports (its `invoicesUploadZipId`).
 */
export const FILE_TYPES = [
  "payment_proof",
  "invoice_xml",
  "invoice_pdf",
  "tax_identification_document",
  "purchase_order_pdf",
  "good_standing_document",
  "sales_receipt",
  "other",
  "payment_proof_deductible",
  "fiel_cert_file",
  "fiel_key_file",
  "deductibles_upload_zip",
  "deductible_xml",
  "deductible_pdf",
  "expenses_upload_zip",
  "bank_account_instructions_pdf",
  "csd_cert_file",
  "csd_key_file",
  "invoices_upload_zip",
] as const;
export type FileType = (typeof FILE_TYPES)[number];

type Format = "pdf" | "png" | "jpeg" | "xml" | "zip" | "certificate" | "private_key";

const ascii = (s: string) => Array.from(s, (ch) => ch.charCodeAt(0));
const startsWith = (bytes: Uint8Array, prefix: readonly number[], at = 0) =>
  bytes.length >= at + prefix.length && prefix.every((b, i) => bytes[at + i] === b);
const textHead = (bytes: Uint8Array) => new TextDecoder().decode(bytes.subarray(0, 64));

/** A DER SEQUENCE whose encoded length is exactly the file: how SAT's binary .cer and .key files look. */
function isDerSequence(bytes: Uint8Array): boolean {
  if (bytes[0] !== 0x30 || bytes.length < 2) return false;
  const first = bytes[1]!;
  if (first < 0x80) return 2 + first === bytes.length;
  const octets = first & 0x7f;
  if (octets < 1 || octets > 4 || bytes.length < 2 + octets) return false;
  let length = 0;
  for (let i = 0; i < octets; i++) length = length * 256 + bytes[2 + i]!;
  return 2 + octets + length === bytes.length;
}

function isUtf8Xml(bytes: Uint8Array): boolean {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return false;
  }
  // The decoder has already consumed a byte order mark.
  return text.trimStart().startsWith("<");
}

const PDF_MAGIC = ascii("%PDF-");
const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Each format: the MIME type stored and served, the declared types clients use for it (browsers label
 * .cer and .key files inconsistently, macOS even calls .key a Keynote file), and its signature test.
 */
const FORMATS: Record<
  Format,
  { mime: string; extension: string; aliases: string[]; test(b: Uint8Array): boolean }
> = {
  pdf: {
    mime: "application/pdf",
    extension: "pdf",
    aliases: ["application/pdf", "application/x-pdf"],
    // Readers accept the header anywhere in the first KiB; some scanners emit a few bytes first.
    test: (b) => {
      const head = b.subarray(0, 1024);
      for (let i = 0; i + PDF_MAGIC.length <= head.length; i++)
        if (startsWith(head, PDF_MAGIC, i)) return true;
      return false;
    },
  },
  png: { mime: "image/png", extension: "png", aliases: ["image/png"], test: (b) => startsWith(b, PNG_MAGIC) },
  jpeg: {
    mime: "image/jpeg",
    extension: "jpg",
    aliases: ["image/jpeg", "image/jpg", "image/pjpeg"],
    test: (b) => startsWith(b, [0xff, 0xd8, 0xff]),
  },
  xml: {
    mime: "application/xml",
    extension: "xml",
    aliases: ["application/xml", "text/xml"],
    test: isUtf8Xml,
  },
  zip: {
    mime: "application/zip",
    extension: "zip",
    aliases: ["application/zip", "application/x-zip-compressed", "application/x-zip", "multipart/x-zip"],
    test: (b) => startsWith(b, [0x50, 0x4b, 0x03, 0x04]),
  },
  certificate: {
    mime: "application/pkix-cert",
    extension: "cer",
    aliases: [
      "application/pkix-cert",
      "application/x-x509-ca-cert",
      "application/x-x509-user-cert",
      "application/x-pem-file",
    ],
    test: (b) => isDerSequence(b) || textHead(b).startsWith("-----BEGIN CERTIFICATE-----"),
  },
  private_key: {
    mime: "application/pkcs8",
    extension: "key",
    aliases: ["application/pkcs8", "application/x-pem-file", "application/x-iwork-keynote-sffkey"],
    test: (b) => isDerSequence(b) || /^-----BEGIN (ENCRYPTED |RSA )?PRIVATE KEY-----/.test(textHead(b)),
  },
};

/** Declared types that say nothing about the content; the bytes decide alone. */
const GENERIC_TYPES = new Set(["", "application/octet-stream", "binary/octet-stream"]);

const KiB = 1024;
const MiB = 1024 * KiB;
/**
 * Size limits. ZIPs stop at 25 MiB because the Worker holds an upload in memory to hash it (the key is
 * the SHA-256 of the bytes) and a Worker has 128 MB; the ZIP reader refuses larger archives too.
 */
export const SIZE_LIMITS = {
  document: 10 * MiB,
  xml: 5 * MiB,
  credential: 64 * KiB,
  zip: ZIP_LIMITS.archiveBytes,
} as const;

const IMAGE_OR_PDF: Format[] = ["png", "jpeg", "pdf"];
const rule = (formats: Format[], maxBytes: number) => ({ formats, maxBytes });
export const FILE_RULES: Record<FileType, { formats: Format[]; maxBytes: number }> = {
  payment_proof: rule(IMAGE_OR_PDF, SIZE_LIMITS.document),
  sales_receipt: rule(IMAGE_OR_PDF, SIZE_LIMITS.document),
  payment_proof_deductible: rule(IMAGE_OR_PDF, SIZE_LIMITS.document),
  bank_account_instructions_pdf: rule(IMAGE_OR_PDF, SIZE_LIMITS.document),
  invoice_pdf: rule(["pdf"], SIZE_LIMITS.document),
  tax_identification_document: rule(["pdf"], SIZE_LIMITS.document),
  purchase_order_pdf: rule(["pdf"], SIZE_LIMITS.document),
  good_standing_document: rule(["pdf"], SIZE_LIMITS.document),
  other: rule(["pdf"], SIZE_LIMITS.document),
  deductible_pdf: rule(["pdf"], SIZE_LIMITS.document),
  invoice_xml: rule(["xml"], SIZE_LIMITS.xml),
  deductible_xml: rule(["xml"], SIZE_LIMITS.xml),
  fiel_cert_file: rule(["certificate"], SIZE_LIMITS.credential),
  csd_cert_file: rule(["certificate"], SIZE_LIMITS.credential),
  fiel_key_file: rule(["private_key"], SIZE_LIMITS.credential),
  csd_key_file: rule(["private_key"], SIZE_LIMITS.credential),
  deductibles_upload_zip: rule(["zip"], SIZE_LIMITS.zip),
  expenses_upload_zip: rule(["zip"], SIZE_LIMITS.zip),
  invoices_upload_zip: rule(["zip"], SIZE_LIMITS.zip),
};

/** Room for the multipart framing around the file when judging a request by its Content-Length. */
const MULTIPART_OVERHEAD = 16 * KiB;

const tooLarge = (type: FileType, maxBytes: number) =>
  new AppError(413, "file_too_large", `A ${type} file may have at most ${maxBytes} bytes`, { maxBytes });

function invalidType(type: FileType, declared: string, detected: Format | undefined) {
  const allowed = FILE_RULES[type].formats.map((f) => FORMATS[f].mime);
  return badRequest("invalid_file_type", `A ${type} file must be one of: ${allowed.join(", ")}`, {
    allowed,
    declared: declared || null,
    detected: detected ? FORMATS[detected].mime : null,
  });
}

/** Keeps the base name, drops control characters and quotes, and never returns an empty name. */
function cleanFilename(raw: string, type: FileType, format: Format): string {
  const base = raw.split(/[\\/]/).pop() ?? "";
  const cleaned = Array.from(base)
    .filter((ch) => ch !== '"' && ch.charCodeAt(0) > 0x1f && ch.charCodeAt(0) !== 0x7f)
    .join("")
    .trim()
    .slice(0, 255);
  return cleaned || `${type}.${FORMATS[format].extension}`;
}

export interface UploadInput {
  organizationId: string;
  type: FileType;
  /** The request's Content-Length, when known: an oversized upload is refused before it is read. */
  requestSize?: number;
  /**
   * Reads the uploaded file; called only once the caller may upload to the organization. A reader that
   * streams may stop after `maxBytes + 1` bytes: the size check below refuses that file all the same.
   */
  readFile(maxBytes: number): Promise<File>;
}

export async function uploadFile(ctx: ActorContext, input: UploadInput): Promise<FileRow> {
  await requireOrgAccess(ctx, input.organizationId, "files.write");
  const { maxBytes } = FILE_RULES[input.type];
  if (input.requestSize !== undefined && input.requestSize > maxBytes + MULTIPART_OVERHEAD) {
    throw tooLarge(input.type, maxBytes);
  }
  const row = await prepareFile(ctx, {
    organizationId: input.organizationId,
    type: input.type,
    file: await input.readFile(maxBytes),
  });
  await ctx.db.insert(files).values(row);
  return row;
}

/**
 * Checks a file against its type's rules and stores the bytes in R2, returning the row to insert
 * without inserting it, so that callers writing a larger record (an invoice and its files) put the
 * row in their own atomic batch. No access check: callers have already made theirs.
 */
export async function prepareFile(
  ctx: ServiceContext & { userId?: string },
  input: { organizationId: string; type: FileType; file: File },
): Promise<FileRow> {
  const { formats, maxBytes } = FILE_RULES[input.type];
  const upload = input.file;
  if (upload.size > maxBytes) throw tooLarge(input.type, maxBytes);
  if (upload.size === 0) throw badRequest("empty_file", "The file is empty");

  const bytes = new Uint8Array(await upload.arrayBuffer());
  const declared = upload.type.split(";")[0]!.trim().toLowerCase();
  const format = formats.find((f) => FORMATS[f].test(bytes));
  if (!format) throw invalidType(input.type, declared, undefined);
  if (!GENERIC_TYPES.has(declared) && !FORMATS[format].aliases.includes(declared)) {
    throw invalidType(input.type, declared, format);
  }

  const sha256 = await sha256Hex(bytes);
  const storageKey = `org/${input.organizationId}/${sha256}`;
  // Content-addressed: identical bytes are already stored. Two racing identical uploads write the same
  // object twice, which is harmless.
  if (!(await ctx.env.FILES.head(storageKey))) {
    await ctx.env.FILES.put(storageKey, bytes, {
      sha256,
      httpMetadata: { contentType: FORMATS[format].mime },
    });
  }
  const now = nowIso();
  return {
    id: crypto.randomUUID(),
    organizationId: input.organizationId,
    uploadedByUserId: ctx.userId ?? null,
    type: input.type,
    filename: cleanFilename(upload.name, input.type, format),
    contentType: FORMATS[format].mime,
    size: bytes.length,
    sha256,
    storageKey,
    status: "ready",
    createdAt: now,
    updatedAt: now,
  };
}

export const UPLOAD_TOKEN_TTL_SECONDS = 600;
// Its own audience and `typ`: an access token is never an upload token, and an upload token never
// authenticates anything else.
const UPLOAD_AUDIENCE = "timbre-upload";
const UPLOAD_TYP = "timbre-upload+jwt";

export interface UploadToken {
  uploadToken: string;
  expiresAt: string;
}

/** A capability to upload one `type` into the organization as the caller, for 10 minutes. */
export async function issueUploadToken(
  ctx: ActorContext,
  input: { organizationId: string; type: FileType },
): Promise<UploadToken> {
  await requireOrgAccess(ctx, input.organizationId, "files.write");
  const expiresAt = Math.floor(Date.now() / 1000) + UPLOAD_TOKEN_TTL_SECONDS;
  const uploadToken = await new SignJWT({ org: input.organizationId, type: input.type })
    .setProtectedHeader({ alg: "HS256", typ: UPLOAD_TYP })
    .setSubject(ctx.userId)
    .setIssuer(ISSUER)
    .setAudience(UPLOAD_AUDIENCE)
    .setIssuedAt()
    .setJti(crypto.randomUUID())
    .setExpirationTime(expiresAt)
    .sign(signingKey(ctx));
  return { uploadToken, expiresAt: new Date(expiresAt * 1000).toISOString() };
}

async function verifyUploadToken(ctx: ServiceContext, token: string) {
  let payload: { sub?: unknown; org?: unknown; type?: unknown };
  try {
    ({ payload } = await jwtVerify(token, signingKey(ctx), {
      issuer: ISSUER,
      audience: UPLOAD_AUDIENCE,
      typ: UPLOAD_TYP,
      algorithms: ["HS256"],
    }));
  } catch (e) {
    if (e instanceof joseErrors.JWTExpired)
      throw unauthorized("The upload token has expired; request a new one", "upload_token_expired");
    throw unauthorized("The upload token is invalid", "invalid_upload_token");
  }
  const { sub, org, type } = payload;
  if (typeof sub !== "string" || typeof org !== "string" || !FILE_TYPES.includes(type as FileType)) {
    throw unauthorized("The upload token is invalid", "invalid_upload_token");
  }
  return { userId: sub, organizationId: org, type: type as FileType };
}

/**
 * Stores a file sent with an upload token. The token names the user, organization and type; the user
 * must still hold files.write there when the bytes arrive (a removed member gets 404, as anywhere).
 */
export async function uploadWithToken(
  ctx: ServiceContext,
  token: string,
  input: Pick<UploadInput, "requestSize" | "readFile">,
): Promise<FileRow> {
  const claims = await verifyUploadToken(ctx, token);
  return uploadFile(
    { ...ctx, userId: claims.userId },
    { ...input, organizationId: claims.organizationId, type: claims.type },
  );
}

/** The invoice column that holds a file of this type, for the invoice types of file. */
const INVOICE_FILE_COLUMNS: Partial<Record<FileType, SQLiteColumn>> = {
  invoice_xml: invoices.xmlFileId,
  invoice_pdf: invoices.pdfFileId,
  purchase_order_pdf: invoices.purchaseOrderFileId,
};

/**
 * A file the caller may read: found first, then the caller's membership of its organization checked.
 * An invoice's files are stored once, under the receiver when it is here, yet belong to both sides of
 * the invoice: the issuer reads them through the invoice it can see.
 */
export async function getFile(ctx: ActorContext, id: string): Promise<FileRow> {
  const [file] = await ctx.db.select().from(files).where(eq(files.id, id)).limit(1);
  if (!file) throw notFound("File");
  try {
    await requireOrgAccess(ctx, file.organizationId, "files.read", "File");
    return file;
  } catch (error) {
    const column = INVOICE_FILE_COLUMNS[file.type as FileType];
    if (!column || !isAppError(error) || error.status !== 404) throw error;
    const [invoice] = await ctx.db
      .select({ organizationId: invoices.organizationId, providerId: invoices.providerId })
      .from(invoices)
      .where(eq(column, file.id))
      .limit(1);
    if (!invoice) throw error;
    await requireSharedAccess(ctx, invoice, "files.read", "File");
    return file;
  }
}

export async function readFileContent(ctx: ActorContext, id: string) {
  const file = await getFile(ctx, id);
  const object = await ctx.env.FILES.get(file.storageKey);
  if (!object) throw notFound("File content");
  return { file, body: object.body };
}

/** RFC 6266: an ASCII fallback name plus the exact UTF-8 name for clients that read `filename*`. */
export function contentDisposition(file: Pick<FileRow, "filename">, disposition: "inline" | "attachment") {
  const fallback = file.filename.replace(/[^\x20-\x7e]/g, "_").replace(/\\/g, "_");
  return `${disposition}; filename="${fallback}"; filename*=UTF-8''${encodeURIComponent(file.filename)}`;
}

/** The seed's File object. `url` shows the file inline; `downloadUrl` serves it as an attachment. */
export function presentFile(file: FileRow, origin: string) {
  const url = `${origin}/v1/files/${file.id}/content`;
  return {
    id: file.id,
    pathname: file.storageKey,
    contentType: file.contentType,
    contentDisposition: contentDisposition(file, "attachment"),
    downloadUrl: `${url}?download=1`,
    type: file.type,
    filename: file.filename,
    url,
    status: file.status,
    size: file.size,
    createdAt: file.createdAt,
  };
}

/** Removes every object and row of an organization (used when its deletion falls due). */
export async function deleteOrganizationFiles(ctx: ServiceContext, organizationId: string): Promise<number> {
  let removed = 0;
  let cursor: string | undefined;
  do {
    const page = await ctx.env.FILES.list({ prefix: `org/${organizationId}/`, cursor });
    if (page.objects.length > 0) await ctx.env.FILES.delete(page.objects.map((o) => o.key));
    removed += page.objects.length;
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  await ctx.db.delete(files).where(eq(files.organizationId, organizationId));
  return removed;
}
