/**
 * The security matrix: one entry per registered operation, saying how to call it against a target
 * organization. `security.test.ts` runs the same four checks on every authenticated entry (no token,
 * forged token, expired token → 401; a member of another organization → 404; a role without the
 * permission → 403) and fails if any operation of the OpenAPI document has no entry here.
 */
import { env, exports } from "cloudflare:workers";
import { batchWrite, createDb } from "../../db/client";
import {
  billingPaymentMethods,
  invoiceItems,
  invoiceItemTaxes,
  invoices,
  invoiceTaxes,
  paymentInvoices,
  payments,
  webhookSubscriptions,
} from "../../db/schema";
import { STATUS_CODES } from "../../shared/invoices/status";
import type { Permission } from "../../shared/permissions";

export interface Target {
  orgId: string;
  /** Ids of resources created by the entry's `setup` inside the target organization. */
  ids: Record<string, string>;
}

export interface MatrixRequest {
  path: string;
  body?: unknown;
  form?: Record<string, string>;
}

export type Entry =
  | { kind: "public"; why: string }
  /** Authenticated but not organization-scoped: only the 401 checks apply. */
  | { kind: "user"; request?: () => MatrixRequest }
  | {
      kind: "org";
      permission: Permission;
      request: (t: Target) => MatrixRequest;
      setup?: (ownerToken: string, orgId: string) => Promise<Record<string, string>>;
    };

/** Uploads a tiny PDF into the organization, for the routes that read a file. */
async function uploadPdf(ownerToken: string, orgId: string) {
  const form = new FormData();
  form.append(
    "file",
    new File([new TextEncoder().encode("%PDF-1.4\n%%EOF\n")], "matrix.pdf", { type: "application/pdf" }),
  );
  const res = await exports.default.fetch(
    new Request(`http://timbre.test/v1/files?type=other&organization_id=${orgId}`, {
      method: "POST",
      headers: { authorization: `Bearer ${ownerToken}` },
      body: form,
    }),
  );
  const json = (await res.json()) as { file?: { id: string } };
  if (!json.file) throw new Error(`matrix upload failed: ${res.status}`);
  return { fileId: json.file.id };
}

/** Sends one invitation from the organization and returns its code. */
async function linkInvitation(ownerToken: string, orgId: string, plural: "providers" | "organizations") {
  const param = plural === "providers" ? "organization_id" : "provider_id";
  const request = (method: string, path: string, body?: unknown) =>
    exports.default.fetch(
      new Request(`http://timbre.test${path}`, {
        method,
        headers: { authorization: `Bearer ${ownerToken}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    );
  await request("POST", `/v1/invitations/${plural}?${param}=${orgId}`, [
    { emailAddress: "matrix@example.com", invitePath: "/connect/[invitationCode]" },
  ]);
  const list = (await (await request("GET", `/v1/invitations/${plural}?${param}=${orgId}`)).json()) as Array<{
    invitationCode: string;
  }>;
  if (!list[0]) throw new Error("matrix invitation failed");
  return { code: list[0].invitationCode };
}
async function orgSlug(ownerToken: string, orgId: string) {
  const res = await exports.default.fetch(
    new Request(`http://timbre.test/v1/organizations/${orgId}`, {
      headers: { authorization: `Bearer ${ownerToken}` },
    }),
  );
  return { slug: ((await res.json()) as { slug: string }).slug };
}

/**
 * Puts an invoice received by the organization straight into the database, so that matrix entries of
 * invoice routes have one to address without depending on the upload path they do not test. `over`
 * sets other columns (e.g. a status the upload path never produces); statusCode follows the status.
 */
export async function seedInvoice(
  _ownerToken: string,
  orgId: string,
  over: Partial<typeof invoices.$inferInsert> = {},
) {
  const id = crypto.randomUUID();
  const now = new Date().toISOString();
  await createDb(env)
    .insert(invoices)
    .values({
      id,
      organizationId: orgId,
      status: "sent",
      statusCode: STATUS_CODES[over.status ?? "sent"],
      uuid: crypto.randomUUID().toUpperCase(),
      netPriceAmount: "100",
      grossPriceAmount: "116",
      grossPriceMicros: 116_000_000,
      netPriceMicros: 100_000_000,
      dueAmount: "116",
      dueMicros: 116_000_000,
      paymentMethod: "PPD",
      source: "upload",
      createdAt: now,
      updatedAt: now,
      ...over,
    });
  return { invoiceId: id };
}

/**
 * An invoice outside the CFDI system (payment method EXT), accepted, in USD, put straight into the
 * database with its items and taxes: no route creates EXT invoices (the seed has none), and item
 * edits need one. Amounts, by hand: Licencia 1 × 1000.00 + IVA 16 % 160.00 = 1160.00; Soporte
 * 3 × 33.333333 = 100.00 + IVA 16 % 16.00 − ISR 10 % 10.00 = 106.00; invoice 1100.00 + 176.00 − 10.00
 * = 1266.00.
 */
export async function seedExtInvoice(
  _ownerToken: string,
  orgId: string,
  over: Partial<typeof invoices.$inferInsert> = {},
) {
  const now = new Date().toISOString();
  const id = crypto.randomUUID();
  const ids = {
    invoiceId: id,
    item1Id: crypto.randomUUID(),
    item2Id: crypto.randomUUID(),
    tax1Id: crypto.randomUUID(),
    tax2Id: crypto.randomUUID(),
    tax3Id: crypto.randomUUID(),
    ivaGroupId: crypto.randomUUID(),
    isrGroupId: crypto.randomUUID(),
  };
  const stamp = { createdAt: now, updatedAt: now };
  const tax = (taxId: string, code: string, isWithholding: boolean, rate: string) => ({
    invoiceId: id,
    taxId,
    code,
    isWithholding,
    factor: "Tasa" as const,
    rate,
    ...stamp,
  });
  const db = createDb(env);
  await batchWrite(db, [
    db.insert(invoices).values({
      id,
      organizationId: orgId,
      status: "accepted",
      statusCode: 20,
      paymentMethod: "EXT",
      currencyCode: "USD",
      originalCurrencyCode: "USD",
      issuerName: "Foreign Supplier Inc",
      issuerCountry: "USA",
      netPriceAmount: "1100.00",
      transferredTaxAmount: "176.00",
      withheldTaxAmount: "10.00",
      grossPriceAmount: "1266.00",
      netPriceMicros: 1_100_000_000,
      taxMicros: 166_000_000,
      grossPriceMicros: 1_266_000_000,
      dueAmount: "1266.00",
      dueMicros: 1_266_000_000,
      acceptedAt: now,
      source: "upload",
      ...stamp,
      ...over,
    }),
    db.insert(invoiceItems).values([
      {
        id: ids.item1Id,
        invoiceId: id,
        position: 1,
        quantity: "1",
        description: "Licencia",
        netUnitPriceAmount: "1000.00",
        netPriceAmount: "1000.00",
        grossPriceAmount: "1160.00",
        ...stamp,
      },
      {
        id: ids.item2Id,
        invoiceId: id,
        position: 2,
        quantity: "3",
        description: "Soporte",
        netUnitPriceAmount: "33.333333",
        netPriceAmount: "100.00",
        grossPriceAmount: "106.00",
        ...stamp,
      },
    ]),
    db.insert(invoiceItemTaxes).values([
      {
        ...tax("002", "IVA", false, "0.160000"),
        id: ids.tax1Id,
        invoiceItemId: ids.item1Id,
        baseAmount: "1000.00",
        value: "160.00",
      },
      {
        ...tax("002", "IVA", false, "0.160000"),
        id: ids.tax2Id,
        invoiceItemId: ids.item2Id,
        baseAmount: "100.00",
        value: "16.00",
      },
      {
        ...tax("001", "ISR", true, "0.100000"),
        id: ids.tax3Id,
        invoiceItemId: ids.item2Id,
        baseAmount: "100.00",
        value: "10.00",
      },
    ]),
    db.insert(invoiceTaxes).values([
      { ...tax("002", "IVA", false, "0.160000"), id: ids.ivaGroupId, baseAmount: "1100.00", value: "176.00" },
      { ...tax("001", "ISR", true, "0.100000"), id: ids.isrGroupId, rate: null, value: "10.00" },
    ]),
  ]);
  return ids;
}

/** Puts a ZIP import task of the organization straight into the database, for GET /v1/tasks/{id}. */
async function seedTask(_ownerToken: string, orgId: string) {
  const { tasks } = await import("../../db/schema");
  const id = crypto.randomUUID();
  const now = new Date().toISOString();
  await createDb(env)
    .insert(tasks)
    .values({
      id,
      organizationId: orgId,
      type: "invoices_zip_import",
      status: "pending",
      input: { fileId: crypto.randomUUID(), ignored: [], ignoredCount: 0 },
      total: 1,
      createdAt: now,
      updatedAt: now,
    });
  return { taskId: id };
}

const org = (permission: Permission, request: (t: Target) => MatrixRequest): Entry => ({
  kind: "org",
  permission,
  request,
});

export const MATRIX: Record<string, Entry> = {
  "GET /v1/health": { kind: "public", why: "liveness probe" },
  "POST /v1/oauth/token": { kind: "public", why: "authenticates with client and user credentials" },
  "POST /v1/auth/password-reset-requests": { kind: "public", why: "answers the same for every email" },
  "POST /v1/auth/password-reset": { kind: "public", why: "authenticated by the reset code" },
  "POST /v1/users": { kind: "public", why: "sign-up" },
  "GET /v1/dev/outbox": { kind: "public", why: "exists only with DEV_ROUTES=true (local runs)" },
  "GET /v1/catalogs/tax-regimes": { kind: "public", why: "public reference data (catalogs), no tenant data" },
  "GET /v1/catalogs/cfdi-uses": { kind: "public", why: "public reference data (catalogs), no tenant data" },
  "GET /v1/catalogs/payment-forms": {
    kind: "public",
    why: "public reference data (catalogs), no tenant data",
  },
  "GET /v1/catalogs/payment-methods": {
    kind: "public",
    why: "public reference data (catalogs), no tenant data",
  },
  "GET /v1/catalogs/states": { kind: "public", why: "public reference data (catalogs), no tenant data" },
  "GET /v1/catalogs/countries": { kind: "public", why: "public reference data (catalogs), no tenant data" },
  "GET /v1/catalogs/banks": { kind: "public", why: "public reference data (catalogs), no tenant data" },
  "GET /v1/catalogs/currencies": { kind: "public", why: "public reference data (catalogs), no tenant data" },
  "GET /v1/catalogs/taxes": { kind: "public", why: "public reference data (catalogs), no tenant data" },
  "GET /v1/catalogs/industries": { kind: "public", why: "public reference data (catalogs), no tenant data" },
  "GET /v1/catalogs/job-titles": { kind: "public", why: "public reference data (catalogs), no tenant data" },
  "GET /v1/catalogs/product-keys": {
    kind: "public",
    why: "public reference data (catalogs), no tenant data",
  },
  "GET /v1/catalogs/unit-keys": { kind: "public", why: "public reference data (catalogs), no tenant data" },
  "GET /v1/catalogs/geo": { kind: "public", why: "public reference data (catalogs), no tenant data" },
  "GET /v1/catalogs/efos": { kind: "public", why: "the SAT publishes the 69-B list; no tenant data" },

  "POST /v1/oauth/logout": { kind: "user" },
  "POST /v1/trusted-devices": { kind: "user" },
  "GET /v1/users/me": { kind: "user" },
  "PATCH /v1/users/me": { kind: "user", request: () => ({ path: "/v1/users/me", body: { firstName: "X" } }) },
  "DELETE /v1/users/me": { kind: "user", request: () => ({ path: "/v1/users/me", body: { password: "x" } }) },
  "PUT /v1/users/me/default-organization": {
    kind: "user",
    request: () => ({
      path: "/v1/users/me/default-organization",
      body: { defaultOrganizationId: crypto.randomUUID() },
    }),
  },
  "POST /v1/users/me/email/verification": { kind: "user" },
  "POST /v1/users/me/email/verify": {
    kind: "user",
    request: () => ({ path: "/v1/users/me/email/verify", body: { code: "123456" } }),
  },
  "POST /v1/users/me/whatsapp/verification": { kind: "user" },
  "POST /v1/users/me/whatsapp/verify": {
    kind: "user",
    request: () => ({ path: "/v1/users/me/whatsapp/verify", body: { code: "123456" } }),
  },
  "GET /v1/user-organizations": { kind: "user" },
  "POST /v1/organizations": {
    kind: "user",
    request: () => ({
      path: "/v1/organizations",
      body: { name: "Matrix SA", taxIdentifier: "MAT900317AB1" },
    }),
  },

  "GET /v1/organizations/{organizationId}": org("organization.read", (t) => ({
    path: `/v1/organizations/${t.orgId}`,
  })),
  "PATCH /v1/organizations/{organizationId}": org("organization.update", (t) => ({
    path: `/v1/organizations/${t.orgId}`,
    body: { commercialName: "Otra" },
  })),
  "POST /v1/organizations/{organizationId}/deletion-request": org("organization.delete", (t) => ({
    path: `/v1/organizations/${t.orgId}/deletion-request`,
  })),
  "DELETE /v1/organizations/{organizationId}/deletion-request": org("organization.delete", (t) => ({
    path: `/v1/organizations/${t.orgId}/deletion-request`,
  })),
  "POST /v1/files": org("files.write", (t) => ({ path: `/v1/files?type=other&organization_id=${t.orgId}` })),
  "GET /v1/files/{id}": {
    kind: "org",
    permission: "files.read",
    setup: uploadPdf,
    request: (t) => ({ path: `/v1/files/${t.ids.fileId}` }),
  },
  "GET /v1/files/{id}/content": {
    kind: "org",
    permission: "files.read",
    setup: uploadPdf,
    request: (t) => ({ path: `/v1/files/${t.ids.fileId}/content` }),
  },
  "POST /v1/files/upload-tokens": org("files.write", (t) => ({
    path: `/v1/files/upload-tokens?type=other&organization_id=${t.orgId}`,
  })),
  "POST /v1/files/uploads": {
    kind: "public",
    why: "authorized by an upload token (`Authorization: Upload …`), not a bearer; file-upload-tokens.test.ts covers its 401s, 403 and 404",
  },
  "POST /v1/invoices": org("invoices.write", (t) => ({
    path: `/v1/invoices?organization_id=${t.orgId}`,
    form: { invoiceXml: "<x/>" },
  })),
  "GET /v1/invoices/{id}": {
    kind: "org",
    permission: "invoices.read",
    setup: seedInvoice,
    request: (t) => ({ path: `/v1/invoices/${t.ids.invoiceId}` }),
  },
  "PATCH /v1/invoices/{id}": {
    kind: "org",
    permission: "invoices.write",
    setup: seedInvoice,
    request: (t) => ({ path: `/v1/invoices/${t.ids.invoiceId}`, body: { isRead: true } }),
  },
  "PATCH /v1/invoices": org("invoices.write", (t) => ({
    path: `/v1/invoices?organization_id=${t.orgId}`,
    body: { isRead: true },
  })),
  "PATCH /v1/invoices/status": {
    kind: "org",
    permission: "invoices.status",
    setup: seedInvoice,
    request: (t) => ({
      path: "/v1/invoices/status",
      body: { invoiceIds: [t.ids.invoiceId], status: "accepted" },
    }),
  },
  "PATCH /v1/invoice-items/{id}": {
    kind: "org",
    permission: "invoices.write",
    setup: seedExtInvoice,
    request: (t) => ({ path: `/v1/invoice-items/${t.ids.item1Id}`, body: { description: "Otra" } }),
  },
  "POST /v1/invoice-item-taxes": {
    kind: "org",
    permission: "invoices.write",
    setup: seedExtInvoice,
    request: (t) => ({
      path: "/v1/invoice-item-taxes",
      body: { invoiceItemId: t.ids.item1Id, taxId: "003", rate: 0.08 },
    }),
  },
  "PATCH /v1/invoice-item-taxes/{id}": {
    kind: "org",
    permission: "invoices.write",
    setup: seedExtInvoice,
    request: (t) => ({ path: `/v1/invoice-item-taxes/${t.ids.tax1Id}`, body: { rate: 0.08 } }),
  },
  "DELETE /v1/invoice-item-taxes/{id}": {
    kind: "org",
    permission: "invoices.write",
    setup: seedExtInvoice,
    request: (t) => ({ path: `/v1/invoice-item-taxes/${t.ids.tax1Id}` }),
  },
  "GET /v1/organizations/{organizationId}/invoice-preferences": org("invoice_preferences.read", (t) => ({
    path: `/v1/organizations/${t.orgId}/invoice-preferences`,
  })),
  "PUT /v1/organizations/{organizationId}/invoice-preferences": org("invoice_preferences.update", (t) => ({
    path: `/v1/organizations/${t.orgId}/invoice-preferences`,
    body: { cfdiUses: ["G03"] },
  })),
  "GET /v1/organizations/{organizationId}/health": org("organization.read", (t) => ({
    path: `/v1/organizations/${t.orgId}/health`,
  })),

  // Memberships, invitations and provider links.
  "GET /v1/invitations/users": {
    kind: "public",
    why: "shows a pending invitation to whoever holds its code",
  },
  "POST /v1/invitations/users/join": {
    kind: "user",
    request: () => ({ path: "/v1/invitations/users/join?user_invitation_code=matrix" }),
  },
  "PATCH /v1/user-organizations/{id}": org("members.manage", (t) => ({
    path: `/v1/user-organizations/${t.orgId}?user_id=${crypto.randomUUID()}`,
    body: { role: "client" },
  })),
  "DELETE /v1/user-organizations/{id}": org("members.manage", (t) => ({
    path: `/v1/user-organizations/${t.orgId}?user_id=${crypto.randomUUID()}`,
  })),
  "GET /v1/organizations": org("providers.read", (t) => ({
    path: `/v1/organizations?provider_id=${t.orgId}`,
  })),
  "POST /v1/invitations/users": org("invitations.manage", (t) => ({
    path: "/v1/invitations/users",
    body: {
      organizationIds: [t.orgId],
      role: "client",
      emailAddresses: ["matrix@example.com"],
      invitePath: "/join/[userInvitationCode]",
    },
  })),
  "GET /v1/provider-organizations": org("providers.read", (t) => ({
    path: `/v1/provider-organizations?organization_id=${t.orgId}&provider_id=${crypto.randomUUID()}`,
  })),
  "PATCH /v1/provider-organizations": org("providers.manage", (t) => ({
    path: "/v1/provider-organizations",
    body: { organizationId: t.orgId, providerId: crypto.randomUUID(), creditDays: 10 },
  })),
  "POST /v1/invitations/providers/codes": {
    kind: "org",
    permission: "providers.manage",
    setup: orgSlug,
    request: (t) => ({ path: `/v1/invitations/providers/codes?slug=${t.ids.slug}` }),
  },
  ...Object.fromEntries(
    (["providers", "organizations"] as const).flatMap((plural) => {
      const inviter = plural === "providers" ? "organization_id" : "provider_id";
      const invitee = plural === "providers" ? "provider_id" : "organization_id";
      const setup = (token: string, orgId: string) => linkInvitation(token, orgId, plural);
      const byCode = (
        permission: Permission,
        method: string,
        suffix = "",
        body?: unknown,
      ): [string, Entry] => [
        `${method} /v1/invitations/${plural}/{invitation_code}${suffix}`,
        {
          kind: "org",
          permission,
          setup,
          request: (t) => ({ path: `/v1/invitations/${plural}/${t.ids.code}${suffix}`, body }),
        },
      ];
      return [
        [
          `POST /v1/invitations/${plural}`,
          org("providers.manage", (t) => ({
            path: `/v1/invitations/${plural}?${inviter}=${t.orgId}`,
            body: [{ emailAddress: "matrix@example.com", invitePath: "/connect/[invitationCode]" }],
          })),
        ],
        [
          `GET /v1/invitations/${plural}`,
          org("providers.read", (t) => ({ path: `/v1/invitations/${plural}?${inviter}=${t.orgId}` })),
        ],
        byCode("providers.manage", "PATCH", "", { invitePath: "/again/[invitationCode]" }),
        byCode("providers.manage", "DELETE"),
        byCode("providers.manage", "POST", "/resend", { invitePath: "/again/[invitationCode]" }),
        // The caller acts for the invitee organization (the target), so any code shows its tenancy.
        [
          `POST /v1/invitations/${plural}/{invitation_code}/link`,
          org("providers.manage", (t) => ({
            path: `/v1/invitations/${plural}/${crypto.randomUUID()}/link?${invitee}=${t.orgId}`,
          })),
        ],
      ];
    }),
  ),

  // ZIP imports and their tasks.
  "POST /v1/invoices/zip-uploads": org("invoices.write", (t) => ({
    path: `/v1/invoices/zip-uploads?organization_id=${t.orgId}`,
    body: { invoicesUploadZipId: crypto.randomUUID() },
  })),
  "GET /v1/tasks/{id}": {
    kind: "org",
    permission: "invoices.read",
    setup: seedTask,
    request: (t) => ({ path: `/v1/tasks/${t.ids.taskId}` }),
  },

  // Payments, complements and downloads.
  "POST /v1/invoice-payments": {
    kind: "org",
    permission: "invoices.write",
    setup: seedInvoice,
    request: (t) => ({
      path: `/v1/invoice-payments?invoice_ids=${t.ids.invoiceId}`,
      form: { invoicePaymentXml: "<x/>" },
    }),
  },
  "POST /v1/payments": {
    kind: "org",
    permission: "invoices.status",
    setup: (token, orgId) => seedInvoice(token, orgId, { status: "accepted" }),
    request: (t) => ({
      path: "/v1/payments",
      body: {
        invoiceIds: [t.ids.invoiceId],
        paymentTrackingNumber: "MBAN01002403200001",
        paymentIssuerBankId: "012",
        paymentRecipientBankIdentifier: "032180000118359719",
        paidAt: "2024-03-20",
      },
    }),
  },
  "DELETE /v1/payments/{id}": {
    kind: "org",
    permission: "invoices.status",
    setup: seedPayment,
    request: (t) => ({ path: `/v1/payments/${t.ids.paymentId}` }),
  },
  "GET /v1/invoices/{id}/download": {
    kind: "org",
    permission: "invoices.read",
    setup: seedInvoice,
    request: (t) => ({ path: `/v1/invoices/${t.ids.invoiceId}/download` }),
  },
  "GET /v1/downloads": {
    kind: "public",
    why: "authorized by the signed link's token, not a bearer; invoice-payments.test.ts covers its 401s and the 404 after access is lost",
  },

  // Invoice listings: Tatem's list, balance and value lists, Syntage's and Contafy's listings.
  ...Object.fromEntries(
    [
      "",
      "/balance",
      "/product-keys",
      "/payment-forms",
      "/payment-methods",
      "/cfdi-uses",
      "/entity-types",
    ].map((suffix): [string, Entry] => [
      `GET /v1/invoices${suffix}`,
      org("invoices.read", (t) => ({ path: `/v1/invoices${suffix}?provider_id=${t.orgId}` })),
    ]),
  ),
  "GET /v1/taxpayers/{rfc}/invoices": {
    kind: "org",
    permission: "invoices.read",
    setup: orgRfc,
    request: (t) => ({ path: `/v1/taxpayers/${t.ids.rfc}/invoices` }),
  },
  "GET /v1/api/invoices": org("invoices.read", (t) => ({ path: `/v1/api/invoices?profileId=${t.orgId}` })),

  // CSD credentials: the tenant check comes before the file ids are looked at.
  "PUT /v1/organizations/{organizationId}/csd": org("organization.credentials", (t) => ({
    path: `/v1/organizations/${t.orgId}/csd`,
    body: { csdCertFileId: crypto.randomUUID(), csdKeyFileId: crypto.randomUUID(), csdPassword: "x" },
  })),
  "DELETE /v1/organizations/{organizationId}/csd": org("organization.credentials", (t) => ({
    path: `/v1/organizations/${t.orgId}/csd`,
  })),
  "GET /v1/organizations/{organizationId}/stamping-provider": org("organization.read", (t) => ({
    path: `/v1/organizations/${t.orgId}/stamping-provider`,
  })),
  "PUT /v1/organizations/{organizationId}/stamping-provider": org("organization.credentials", (t) => ({
    path: `/v1/organizations/${t.orgId}/stamping-provider`,
    body: { provider: "sandbox" },
  })),

  // Stamping and the balance: the tenant check comes before the CSD, the ledger and the provider.
  "POST /v1/invoices/stamp": org("invoices.stamp", (t) => ({
    path: `/v1/invoices/stamp?provider_id=${t.orgId}`,
    body: {
      recipient: { name: "Cliente", taxIdentifier: "MCI7306249Y1", taxRegime: "603", postalCode: "54700" },
      items: [
        {
          description: "Servicio",
          itemKey: "86121600",
          unitKey: "E48",
          quantity: 1,
          netUnitPriceAmount: 100,
        },
      ],
      paymentForm: "03",
      cfdiUse: "G03",
      paymentMethod: "PUE",
    },
  })),
  "POST /v1/invoice-payments/stamp": org("invoices.stamp", (t) => ({
    path: `/v1/invoice-payments/stamp?provider_id=${t.orgId}`,
    body: {
      recipient: { name: "Cliente", taxIdentifier: "MCI7306249Y1", taxRegime: "603", postalCode: "54700" },
      payments: [
        {
          date: "2026-01-15",
          paymentForm: "03",
          relatedDocuments: [{ invoiceId: "6c1f0e7e-96a4-4a4f-8a55-0e3b0c5f7a22", amount: 100 }],
        },
      ],
    },
  })),
  "GET /v1/balance": org("balance.read", (t) => ({ path: `/v1/balance?organization_id=${t.orgId}` })),
  "POST /v1/balance/top-ups": org("balance.manage", (t) => ({
    path: `/v1/balance/top-ups?organization_id=${t.orgId}`,
    body: { amount: 100 },
  })),
  // Cancelling: the issuer's invoice (seeded as stamped by the sandbox); the tenant check comes first.
  "POST /v1/invoices/{id}/cancel": {
    kind: "org",
    permission: "invoices.stamp",
    setup: (token, orgId) =>
      seedInvoice(token, orgId, {
        organizationId: null,
        providerId: orgId,
        source: "stamp",
        stampingProvider: "sandbox",
      }),
    request: (t) => ({ path: `/v1/invoices/${t.ids.invoiceId}/cancel`, body: { motive: "02" } }),
  },
  // Provider evidence: the issuer's only (the receiver's members get 404 like anyone else).
  "GET /v1/invoices/{id}/evidence": {
    kind: "org",
    permission: "invoices.stamp",
    setup: (token, orgId) =>
      seedInvoice(token, orgId, {
        organizationId: null,
        providerId: orgId,
        source: "stamp",
        stampingProvider: "sandbox",
      }),
    request: (t) => ({ path: `/v1/invoices/${t.ids.invoiceId}/evidence` }),
  },
  "POST /v1/webhooks/facturapi": {
    kind: "public",
    why: "authenticated by the Facturapi-Signature HMAC of the body, not a bearer; facturapi-webhooks.test.ts covers its 401s",
  },
  "POST /v1/webhooks/stripe": {
    kind: "public",
    why: "authenticated by the Stripe-Signature HMAC of the raw body, not a bearer; stripe-webhooks.test.ts covers its 400s",
  },
  // Billing (Stripe): the tenant check comes before Stripe is needed (unconfigured here → 503 after it).
  "POST /v1/billing/checkout-sessions/subscription": org("subscriptions.manage", (t) => ({
    path: `/v1/billing/checkout-sessions/subscription?organization_id=${t.orgId}&success_path=/plan`,
  })),
  "POST /v1/billing/checkout-sessions/payment": org("billing.manage", (t) => ({
    path: `/v1/billing/checkout-sessions/payment?organization_id=${t.orgId}&success_path=/saldo&amount=100`,
  })),
  "POST /v1/billing/checkout-sessions/setup": org("billing.manage", (t) => ({
    path: `/v1/billing/checkout-sessions/setup?organization_id=${t.orgId}&success_path=/tarjeta`,
  })),
  "GET /v1/billing/checkout-sessions/{session_id}": org("billing.manage", (t) => ({
    path: `/v1/billing/checkout-sessions/cs_test_matrix?organization_id=${t.orgId}`,
  })),
  "GET /v1/billing/account": org("billing.manage", (t) => ({
    path: `/v1/billing/account?organization_id=${t.orgId}`,
  })),
  "PUT /v1/billing/account": org("billing.manage", (t) => ({
    path: `/v1/billing/account?organization_id=${t.orgId}`,
    body: {
      name: "EMPRESA",
      commercialName: "Empresa",
      taxIdentifier: "EKU9003173C9",
      taxRegime: "601",
      postalCode: "42501",
      cfdiUse: "G03",
    },
  })),
  "GET /v1/billing/subscriptions": org("subscriptions.manage", (t) => ({
    path: `/v1/billing/subscriptions?organization_id=${t.orgId}`,
  })),
  "POST /v1/billing/subscriptions": org("subscriptions.manage", (t) => ({
    path: `/v1/billing/subscriptions?organization_id=${t.orgId}`,
  })),
  "PATCH /v1/billing/subscriptions/promotion-code": org("subscriptions.manage", (t) => ({
    path: `/v1/billing/subscriptions/promotion-code?organization_id=${t.orgId}&promotion_code=MATRIZ`,
  })),
  "POST /v1/billing/subscriptions/cancel": org("subscriptions.manage", (t) => ({
    path: `/v1/billing/subscriptions/cancel?organization_id=${t.orgId}`,
    body: { password: "whatever-it-is" },
  })),
  "POST /v1/billing/subscriptions/resume": org("subscriptions.manage", (t) => ({
    path: `/v1/billing/subscriptions/resume?organization_id=${t.orgId}`,
  })),
  "GET /v1/billing/payment-methods": org("billing.manage", (t) => ({
    path: `/v1/billing/payment-methods?organization_id=${t.orgId}`,
  })),
  "DELETE /v1/billing/payment-methods/{id}": {
    kind: "org",
    permission: "billing.manage",
    setup: seedPaymentMethod,
    request: (t) => ({ path: `/v1/billing/payment-methods/${t.ids.paymentMethodId}` }),
  },
  "PUT /v1/billing/payment-methods/{id}/default": {
    kind: "org",
    permission: "billing.manage",
    setup: seedPaymentMethod,
    request: (t) => ({ path: `/v1/billing/payment-methods/${t.ids.paymentMethodId}/default` }),
  },
  "GET /v1/billing/invoices": org("billing.manage", (t) => ({
    path: `/v1/billing/invoices?organization_id=${t.orgId}`,
  })),
  "GET /v1/consumables": org("balance.read", (t) => ({ path: `/v1/consumables?organization_id=${t.orgId}` })),
  "GET /v1/consumables/consumptions": org("balance.read", (t) => ({
    path: `/v1/consumables/consumptions?organization_id=${t.orgId}`,
  })),

  // The product catalog: by organization_id, or by the item's own organization.
  "POST /v1/items": org("items.manage", (t) => ({
    path: `/v1/items?organization_id=${t.orgId}`,
    body: { description: "Servicio", itemKey: "86121600", unitKey: "E48", netUnitPriceAmount: 100 },
  })),
  "GET /v1/items": org("items.read", (t) => ({ path: `/v1/items?organization_id=${t.orgId}` })),
  ...Object.fromEntries(
    (
      [
        ["GET", "items.read", undefined],
        ["PATCH", "items.manage", { netUnitPriceAmount: 120 }],
        ["DELETE", "items.manage", undefined],
      ] as const
    ).map(([method, permission, body]): [string, Entry] => [
      `${method} /v1/items/{id}`,
      {
        kind: "org",
        permission,
        setup: seedItem,
        request: (t) => ({ path: `/v1/items/${t.ids.itemId}`, body }),
      },
    ]),
  ),
  // Outgoing webhooks: the tenant check comes before the URL policy.
  "POST /v1/webhook-subscriptions": org("webhooks.manage", (t) => ({
    path: `/v1/webhook-subscriptions?organization_id=${t.orgId}`,
    body: { name: "Matriz", url: "https://hooks.example.com/timbre", eventTypes: ["invoice.received"] },
  })),
  "GET /v1/webhook-subscriptions": org("webhooks.manage", (t) => ({
    path: `/v1/webhook-subscriptions?organization_id=${t.orgId}`,
  })),
  ...Object.fromEntries(
    (
      [
        ["GET", "", undefined],
        ["PATCH", "", { active: false }],
        ["DELETE", "", undefined],
        ["GET", "/deliveries", undefined],
      ] as const
    ).map(([method, suffix, body]): [string, Entry] => [
      `${method} /v1/webhook-subscriptions/{id}${suffix}`,
      {
        kind: "org",
        permission: "webhooks.manage",
        setup: seedWebhookSubscription,
        request: (t) => ({ path: `/v1/webhook-subscriptions/${t.ids.subscriptionId}${suffix}`, body }),
      },
    ]),
  ),
  // Realtime notifications: every role may read its own.
  "GET /v1/notifications/token": org("notifications.read", (t) => ({
    path: `/v1/notifications/token?organization_id=${t.orgId}`,
  })),
  "GET /v1/notifications/socket": {
    kind: "public",
    why: "authorized by the notifications token in `token` (own audience), not a bearer; notifications.test.ts covers its forged, expired, other-audience and other-organization 401s and the removed member's 404",
  },
  "GET /v1/notifications": org("notifications.read", (t) => ({
    path: `/v1/notifications?organization_id=${t.orgId}`,
  })),
  "POST /v1/notifications/read": org("notifications.read", (t) => ({
    path: `/v1/notifications/read?organization_id=${t.orgId}`,
    body: [{ notificationId: crypto.randomUUID() }],
  })),
  "POST /v1/notifications/clear": org("notifications.read", (t) => ({
    path: `/v1/notifications/clear?organization_id=${t.orgId}`,
    body: [{ notificationId: crypto.randomUUID() }],
  })),
};

/** A paid invoice of the organization and the manual payment that paid it, straight into the database. */
async function seedPayment(ownerToken: string, orgId: string) {
  const { invoiceId } = await seedInvoice(ownerToken, orgId, {
    status: "paid",
    paidAmount: "116",
    paidMicros: 116_000_000,
    dueAmount: "0",
    dueMicros: 0,
  });
  const paymentId = crypto.randomUUID();
  const now = new Date().toISOString();
  const db = createDb(env);
  await batchWrite(db, [
    db.insert(payments).values({
      id: paymentId,
      organizationId: orgId,
      referenceNumber: "1234567",
      paidAt: "2024-03-20",
      amount: "116",
      createdAt: now,
      updatedAt: now,
    }),
    db.insert(paymentInvoices).values({ paymentId, invoiceId, amount: "116", previousStatus: "accepted" }),
  ]);
  return { invoiceId, paymentId };
}

/** One catalog item of the organization, created through the API. */
async function seedItem(ownerToken: string, orgId: string) {
  const res = await exports.default.fetch(
    new Request(`http://timbre.test/v1/items?organization_id=${orgId}`, {
      method: "POST",
      headers: { authorization: `Bearer ${ownerToken}`, "content-type": "application/json" },
      body: JSON.stringify({
        description: "Matriz",
        itemKey: "86121600",
        unitKey: "E48",
        netUnitPriceAmount: 1,
      }),
    }),
  );
  const json = (await res.json()) as { id?: string };
  if (!json.id) throw new Error(`matrix item failed: ${res.status}`);
  return { itemId: json.id };
}

/** The organization's RFC, the taxpayer id of the Syntage listing. */
async function orgRfc(ownerToken: string, orgId: string) {
  const res = await exports.default.fetch(
    new Request(`http://timbre.test/v1/organizations/${orgId}`, {
      headers: { authorization: `Bearer ${ownerToken}` },
    }),
  );
  return { rfc: ((await res.json()) as { taxIdentifier: string }).taxIdentifier };
}

/**
 * A webhook subscription of the organization, straight into the database: creating one through the
 * API resolves its host, which these checks do not exercise. Its sealed secret is never opened here.
 */
async function seedWebhookSubscription(_ownerToken: string, orgId: string) {
  const id = crypto.randomUUID();
  const now = new Date().toISOString();
  await createDb(env)
    .insert(webhookSubscriptions)
    .values({
      id,
      organizationId: orgId,
      name: "Matriz",
      url: "https://hooks.example.com/timbre",
      eventTypes: ["invoice.received"],
      secretIv: "AAAAAAAAAAAAAAAA",
      secretCiphertext: "AAAAAAAAAAAAAAAAAAAAAA==",
      createdAt: now,
      updatedAt: now,
    });
  return { subscriptionId: id };
}

/** A saved card of the organization, straight into the database (Stripe is not configured in these checks). */
async function seedPaymentMethod(_ownerToken: string, orgId: string) {
  const id = crypto.randomUUID();
  const now = new Date().toISOString();
  await createDb(env)
    .insert(billingPaymentMethods)
    .values({
      id,
      organizationId: orgId,
      stripePaymentMethodId: `pm_matrix_${id}`,
      type: "card",
      createdAt: now,
      updatedAt: now,
    });
  return { paymentMethodId: id };
}
