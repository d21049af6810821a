/**
 * An organization's CSD: upload (from two files already uploaded with POST /v1/files), removal, and
 * loading it for sealing. The private key never leaves this module except as a non-extractable
 * WebCrypto key, and is never returned or logged.
 *
 * What is stored: the certificate (public), and, encrypted with AES-256-GCM under a key derived
 * from DATA_ENCRYPTION_KEY for this purpose only, with the organization id as AAD, the SAT .key as
 * uploaded together with its password. Why not the decrypted PKCS#8 without the password: the CFDI
 * engine opens a .key straight into a non-extractable key and wipes the plaintext (see
 * shared/cfdi/csd/private-key.ts), so the plaintext key never exists as bytes in the API. Storing
 * the .key and password is the same secret under the same envelope: whoever could open the envelope
 * could use either. The password is not usable without the envelope key, and is not stored anywhere
 * else.
 *
 * Once a CSD is stored, the uploaded .key file is deleted: as a file it would stay readable through
 * GET /v1/files/{id}/content by any member allowed to read files.
 */
import { and, eq } from "drizzle-orm";
import { batchWrite } from "../../db/client";
import { files, organizationCsds, organizations } from "../../db/schema";
import { type Csd, loadCsd, readCertificate, readPrivateKey } from "../../shared/cfdi/csd";
import { deriveDataKey, open, seal } from "../../shared/crypto/envelope";
import { base64ToBytes, bytesToBase64 } from "../../shared/encoding";
import { badRequest, notFound, unprocessable } from "../../shared/errors";
import { type ActorContext, nowIso, type ServiceContext } from "./context";
import type { FileType } from "./files";
import { requireOrgAccess } from "./tenancy";

// Versioned: a change of what is sealed gets a new purpose, hence a new key.
const PURPOSE = "csd-credential/v1";

/** What the envelope holds: the SAT .key (DER, base64) and the password that opens it. */
interface Credential {
  key: string;
  password: string;
}

export interface CsdSummary {
  serialNumber: string;
  validFrom: string;
  validTo: string;
  rfc: string;
}

export interface UploadCsdInput {
  csdCertFileId: string;
  csdKeyFileId: string;
  csdPassword: string;
}

const dataKey = (ctx: ServiceContext) => deriveDataKey(ctx.env.DATA_ENCRYPTION_KEY, PURPOSE);

/** A file of this organization uploaded as `type`; another organization's file is not found. */
async function credentialFile(ctx: ServiceContext, organizationId: string, id: string, type: FileType) {
  const [file] = await ctx.db
    .select()
    .from(files)
    .where(and(eq(files.id, id), eq(files.organizationId, organizationId)))
    .limit(1);
  if (!file) throw notFound("File");
  if (file.type !== type) {
    const field = type === "csd_cert_file" ? "csdCertFileId" : "csdKeyFileId";
    throw badRequest("invalid_file_type", `${field} must be a file uploaded with type ${type}`, {
      field,
      type: file.type,
    });
  }
  const object = await ctx.env.FILES.get(file.storageKey);
  if (!object) throw notFound("File content");
  return { file, bytes: new Uint8Array(await object.arrayBuffer()) };
}

/**
 * Checks the pair with the engine (certificate, key, password, CSD not FIEL, key matches, valid now),
 * then that it is this organization's RFC, and stores it, replacing any previous CSD. Nothing is
 * written unless every check passes.
 */
export async function uploadCsd(
  ctx: ActorContext,
  organizationId: string,
  input: UploadCsdInput,
): Promise<CsdSummary> {
  const { organization } = await requireOrgAccess(ctx, organizationId, "organization.credentials");
  const cer = await credentialFile(ctx, organizationId, input.csdCertFileId, "csd_cert_file");
  const key = await credentialFile(ctx, organizationId, input.csdKeyFileId, "csd_key_file");
  const { certificate } = await loadCsd({ cer: cer.bytes, key: key.bytes, password: input.csdPassword });
  if (certificate.rfc !== organization.taxIdentifier) {
    // 422 like the engine's own csd_rfc_mismatch when sealing: one code, one status.
    throw unprocessable(
      "csd_rfc_mismatch",
      `The certificate belongs to ${certificate.rfc}, not to this organization's RFC ${organization.taxIdentifier}`,
      { csdRfc: certificate.rfc, taxIdentifier: organization.taxIdentifier },
    );
  }

  const credential: Credential = { key: bytesToBase64(key.bytes), password: input.csdPassword };
  const sealed = await seal(
    await dataKey(ctx),
    new TextEncoder().encode(JSON.stringify(credential)),
    organizationId,
  );
  const summary: CsdSummary = {
    serialNumber: certificate.serialNumber,
    validFrom: certificate.notBefore,
    validTo: certificate.notAfter,
    rfc: certificate.rfc,
  };
  const now = nowIso();
  const stored = {
    certificate: bytesToBase64(certificate.der),
    serialNumber: summary.serialNumber,
    notBefore: summary.validFrom,
    notAfter: summary.validTo,
    rfc: summary.rfc,
    encryptedKey: bytesToBase64(sealed.ciphertext),
    iv: bytesToBase64(sealed.iv),
    updatedAt: now,
  };
  await batchWrite(ctx.db, [
    ctx.db
      .insert(organizationCsds)
      .values({ organizationId, ...stored, createdAt: now })
      .onConflictDoUpdate({ target: organizationCsds.organizationId, set: stored }),
    ctx.db
      .update(organizations)
      .set({
        csdUploadedAt: now,
        csdSerialNumber: summary.serialNumber,
        csdValidFrom: summary.validFrom,
        csdValidTo: summary.validTo,
        updatedAt: now,
      })
      .where(eq(organizations.id, organizationId)),
    ctx.db.delete(files).where(eq(files.id, key.file.id)),
  ]);
  // The bytes are content-addressed: another upload of the same .key shares the object.
  const [sharer] = await ctx.db
    .select({ id: files.id })
    .from(files)
    .where(eq(files.storageKey, key.file.storageKey))
    .limit(1);
  if (!sharer) await ctx.env.FILES.delete(key.file.storageKey);
  return summary;
}

export async function removeCsd(ctx: ActorContext, organizationId: string): Promise<void> {
  const { organization } = await requireOrgAccess(ctx, organizationId, "organization.credentials");
  if (!organization.csdUploadedAt) throw notFound("CSD", "csd_not_found");
  const now = nowIso();
  await batchWrite(ctx.db, [
    ctx.db.delete(organizationCsds).where(eq(organizationCsds.organizationId, organizationId)),
    ctx.db
      .update(organizations)
      .set({
        csdUploadedAt: null,
        csdSerialNumber: null,
        csdValidFrom: null,
        csdValidTo: null,
        updatedAt: now,
      })
      .where(eq(organizations.id, organizationId)),
  ]);
}

/**
 * CSDs this isolate has opened, by organization. Opening one (AES-GCM, then PBKDF2 and 3DES of the
 * .key, then the RSA import) costs about 2 ms and every stamp needs it; the stored row is still read
 * on every call, so a replaced or removed CSD is never used from here, and the private key stays a
 * non-extractable CryptoKey. Bounded, oldest dropped first.
 */
const opened = new Map<string, { version: string; csd: Csd }>();
const OPENED_LIMIT = 256;

/**
 * The organization's CSD ready for `buildCfdi(input, {csd})`. No access check: the caller (the
 * stamping path) has made its own. Validity is not checked here: sealing checks it against the
 * document's Fecha. Without a CSD: 422 `csd_not_uploaded`.
 */
export async function loadOrganizationCsd(ctx: ServiceContext, organizationId: string): Promise<Csd> {
  const [row] = await ctx.db
    .select()
    .from(organizationCsds)
    .where(eq(organizationCsds.organizationId, organizationId))
    .limit(1);
  if (!row) {
    throw unprocessable(
      "csd_not_uploaded",
      "The organization has no CSD; upload one with PUT /v1/organizations/{organizationId}/csd",
    );
  }
  // A fresh IV is drawn on every upload, so it names this version of the stored credential.
  const cached = opened.get(organizationId);
  if (cached?.version === row.iv) return cached.csd;
  const plaintext = await open(
    await dataKey(ctx),
    { iv: base64ToBytes(row.iv), ciphertext: base64ToBytes(row.encryptedKey) },
    organizationId,
  );
  const credential = JSON.parse(new TextDecoder().decode(plaintext)) as Credential;
  plaintext.fill(0);
  const certificate = readCertificate(row.certificate);
  const { privateKey } = await readPrivateKey(credential.key, credential.password);
  const csd = { certificate, privateKey, certificateBase64: row.certificate };
  if (opened.size >= OPENED_LIMIT) opened.delete(opened.keys().next().value!);
  opened.set(organizationId, { version: row.iv, csd });
  return csd;
}
