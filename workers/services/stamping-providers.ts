/**
 * Which stamping provider an organization issues through (the embedded sandbox unless set), the
 * Facturapi API key it uses there, and the provider instance the stamping path calls.
 *
 * The key is sealed like the CSD's private key (./csd): AES-256-GCM under a key derived from
 * DATA_ENCRYPTION_KEY for this purpose only, the organization id as AAD. It is never returned or
 * logged; the organization sees its last four characters.
 */
import { eq } from "drizzle-orm";
import { organizationStampingProviders, type StampingProviderId } from "../../db/schema";
import { parseCfdi } from "../../shared/cfdi/parse";
import { deriveDataKey, open, seal } from "../../shared/crypto/envelope";
import { base64ToBytes, bytesToBase64 } from "../../shared/encoding";
import { unprocessable } from "../../shared/errors";
import { SandboxPac, type StampingProvider, type StampResult } from "../../shared/pac";
import { FACTURAPI_BASE_URL, FacturapiProvider } from "../../shared/pac/facturapi";
import { cfdiPdf } from "../../shared/pdf/cfdi";
import { type ActorContext, nowIso, type ServiceContext } from "./context";
import { type EvidenceScope, recordingFetch, recordingProvider } from "./provider-evidence";
import { requireOrgAccess } from "./tenancy";

const PURPOSE = "stamping-provider-api-key/v1";

export interface StampingProviderSetting {
  provider: StampingProviderId;
  /** Last four characters of the stored API key; null for the sandbox. */
  apiKeyLast4: string | null;
  updatedAt: string | null;
}

export type SetStampingProviderInput = { provider: "sandbox" } | { provider: "facturapi"; apiKey: string };

const dataKey = (ctx: ServiceContext) => deriveDataKey(ctx.env.DATA_ENCRYPTION_KEY, PURPOSE);

type Row = typeof organizationStampingProviders.$inferSelect;

const present = (row: Row | undefined): StampingProviderSetting =>
  row
    ? {
        provider: row.provider,
        apiKeyLast4: row.apiKeyLast4,
        updatedAt: row.updatedAt,
      }
    : { provider: "sandbox", apiKeyLast4: null, updatedAt: null };

async function stored(ctx: ServiceContext, organizationId: string): Promise<Row | undefined> {
  const [row] = await ctx.db
    .select()
    .from(organizationStampingProviders)
    .where(eq(organizationStampingProviders.organizationId, organizationId))
    .limit(1);
  return row;
}

export async function getStampingProvider(
  ctx: ActorContext,
  organizationId: string,
): Promise<StampingProviderSetting> {
  await requireOrgAccess(ctx, organizationId, "organization.read");
  return present(await stored(ctx, organizationId));
}

/** Sets the provider; choosing the sandbox drops any stored key (nothing unused is kept). */
export async function setStampingProvider(
  ctx: ActorContext,
  organizationId: string,
  input: SetStampingProviderInput,
): Promise<StampingProviderSetting> {
  await requireOrgAccess(ctx, organizationId, "organization.credentials");
  const now = nowIso();
  let secret: Pick<Row, "encryptedApiKey" | "iv" | "apiKeyLast4">;
  if (input.provider === "facturapi") {
    const sealed = await seal(await dataKey(ctx), new TextEncoder().encode(input.apiKey), organizationId);
    secret = {
      encryptedApiKey: bytesToBase64(sealed.ciphertext),
      iv: bytesToBase64(sealed.iv),
      apiKeyLast4: input.apiKey.slice(-4),
    };
  } else {
    secret = { encryptedApiKey: null, iv: null, apiKeyLast4: null };
  }
  const values = { provider: input.provider, ...secret, updatedAt: now };
  const [row] = await ctx.db
    .insert(organizationStampingProviders)
    .values({ organizationId, ...values, createdAt: now })
    .onConflictDoUpdate({ target: organizationStampingProviders.organizationId, set: values })
    .returning();
  return present(row);
}

/** One per isolate: its replay memory serves concurrent retries of a stamp (and reconciles). */
const sandbox = new SandboxPac();

/**
 * The provider that stamps for an organization, or, given `which` (an invoice's stamping_provider),
 * that provider with the organization's current key: what cancels or refreshes an invoice is whoever
 * stamped it. No access check: the caller has made its own. Facturapi instances are cheap (a key and
 * a base URL) and built per call, so a changed key applies at once. Facturapi without a stored key:
 * 422 `stamping_provider_not_configured`. Every call it makes is recorded as the organization's
 * evidence (./provider-evidence), labelled with `evidence`.
 */
export async function stampingProviderFor(
  ctx: ServiceContext,
  organizationId: string,
  which?: StampingProviderId,
  evidence: Omit<EvidenceScope, "organizationId"> = {},
): Promise<StampingProvider> {
  const scope = { organizationId, ...evidence };
  const row = await stored(ctx, organizationId);
  if ((which ?? row?.provider ?? "sandbox") === "sandbox") return recordingProvider(ctx, scope, sandbox);
  if (row?.provider !== "facturapi" || !row.encryptedApiKey || !row.iv) {
    throw unprocessable(
      "stamping_provider_not_configured",
      "The organization has no Facturapi API key; set one with PUT /v1/organizations/{organizationId}/stamping-provider",
    );
  }
  const plaintext = await open(
    await dataKey(ctx),
    { iv: base64ToBytes(row.iv), ciphertext: base64ToBytes(row.encryptedApiKey) },
    organizationId,
  );
  const apiKey = new TextDecoder().decode(plaintext);
  plaintext.fill(0);
  return new FacturapiProvider({
    apiKey,
    baseUrl: ctx.env.FACTURAPI_BASE_URL || FACTURAPI_BASE_URL,
    fetch: recordingFetch(ctx, scope),
  });
}

/**
 * The PDF kept with a stamped CFDI: the one a printing provider (Facturapi) made of its document, or
 * Timbre's print of the CFDI when the provider prints none (the sandbox) or its PDF cannot be had
 * (the stamp stands either way: a missing print must not lose it).
 */
export async function stampedPdf(
  ctx: ServiceContext,
  provider: StampingProvider,
  stamped: StampResult,
): Promise<Uint8Array> {
  if (provider.kind === "document" && stamped.providerReference) {
    try {
      return await provider.downloadPdf(stamped.providerReference);
    } catch (error) {
      ctx.log("warn", "provider PDF unavailable; Timbre prints the CFDI", {
        provider: provider.id,
        providerReference: stamped.providerReference,
        error: String(error),
      });
    }
  }
  return cfdiPdf(parseCfdi(stamped.xml));
}
