/**
 * Test harness for the workerd suites: requests go through the real Worker entry (exports.default)
 * with real D1, R2, Queues and Durable Objects. Helpers create users, OAuth clients, sessions and
 * organizations through the public API wherever the API offers a way.
 */
import { env, exports } from "cloudflare:workers";
import { createDb } from "../../db/client";
import { oauthClients } from "../../db/schema";
import { sha256Hex } from "../../shared/auth/crypto";

export const BASE = "http://timbre.test";
export const CLIENT_ID = "test-client";
export const CLIENT_SECRET = "test-client-secret";
export const PASSWORD = "Sup3r-Secret!";

export interface CallOptions {
  token?: string;
  body?: unknown;
  form?: Record<string, string>;
  headers?: Record<string, string>;
}

/** Status, headers, text and (when the body is JSON) the parsed body of a response. */
async function readResponse(res: Response) {
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

export async function call(method: string, path: string, options: CallOptions = {}) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: BodyInit | undefined;
  if (options.form) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(options.form).toString();
  } else if (options.body !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(options.body);
  }
  const res = await exports.default.fetch(new Request(`${BASE}${path}`, { method, headers, body }));
  return readResponse(res);
}

export const db = () => createDb(env);

let clientReady: Promise<void> | undefined;
export function ensureClient() {
  clientReady ??= (async () => {
    await db()
      .insert(oauthClients)
      .values({
        id: CLIENT_ID,
        name: "Tests",
        secretHash: await sha256Hex(CLIENT_SECRET),
        createdAt: new Date().toISOString(),
      })
      .onConflictDoNothing();
  })();
  return clientReady;
}

let counter = 0;
// A random part too: suites that freeze the clock (vi.setSystemTime) would otherwise repeat addresses.
export const uniqueEmail = (prefix = "user") =>
  `${prefix}.${Date.now()}.${++counter}.${crypto.randomUUID().slice(0, 8)}@example.com`;

export async function passwordLogin(email: string, password = PASSWORD, extra: Record<string, string> = {}) {
  await ensureClient();
  return call("POST", "/v1/oauth/token", {
    form: {
      grant_type: "password",
      username: email,
      password,
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      ...extra,
    },
  });
}

export interface TestUser {
  id: string;
  email: string;
  token: string;
  refreshToken: string;
}

export async function signUp(prefix = "user"): Promise<TestUser> {
  const email = uniqueEmail(prefix);
  const created = await call("POST", "/v1/users", {
    body: { firstName: "Ana", lastName: "Prueba", emailAddress: email, password: PASSWORD },
  });
  if (created.status !== 201) throw new Error(`sign-up failed: ${created.status} ${created.text}`);
  const login = await passwordLogin(email);
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${login.text}`);
  return {
    id: created.json.user.id,
    email,
    token: login.json.access_token,
    refreshToken: login.json.refresh_token,
  };
}

const RFC_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
/** A syntactically valid, unique persona-moral RFC. */
export function randomRfc(): string {
  const letters = Array.from({ length: 3 }, () => RFC_LETTERS[Math.floor(Math.random() * 26)]).join("");
  const homoclave = Array.from({ length: 2 }, () => RFC_LETTERS[Math.floor(Math.random() * 26)]).join("");
  return `${letters}900317${homoclave}${Math.floor(Math.random() * 10)}`;
}

export async function createOrg(user: TestUser, fields: Record<string, unknown> = {}) {
  const res = await call("POST", "/v1/organizations", {
    token: user.token,
    body: { name: "Empresa de Prueba SA de CV", taxIdentifier: randomRfc(), taxRegimes: ["601"], ...fields },
  });
  if (res.status !== 201) throw new Error(`create org failed: ${res.status} ${res.text}`);
  return res.json.organization as { id: string; taxIdentifier: string; slug: string };
}

/** Adds `user` to `orgId` with `role` directly in the database (tests of roles need every role). */
export async function addMember(orgId: string, userId: string, role: string) {
  const { memberships } = await import("../../db/schema");
  const now = new Date().toISOString();
  await db()
    .insert(memberships)
    .values({ userId, organizationId: orgId, role: role as "owner", createdAt: now, updatedAt: now });
}

/** A CFDI fixture's text, by path under ../shared/fixtures/cfdi (e.g. "40/pagos/test-pago20-signed.xml"). */
export function cfdiFixture(path: string): string {
  const text = env.TEST_FIXTURES[`cfdi/${path}`];
  if (text === undefined) throw new Error(`no fixture cfdi/${path}`);
  return text;
}

/** Every CFDI fixture path under ../shared/fixtures/cfdi. */
export const cfdiFixturePaths = () =>
  Object.keys(env.TEST_FIXTURES)
    .filter((k) => k.startsWith("cfdi/") && k.endsWith(".xml"))
    .map((k) => k.slice("cfdi/".length))
    .sort();

/** Sends multipart/form-data: strings become file parts named `<field>.xml`/`.pdf` by content. */
export async function callMultipart(
  method: string,
  path: string,
  token: string | undefined,
  parts: Record<string, string | Uint8Array | File>,
  headers: Record<string, string> = {},
) {
  const form = new FormData();
  for (const [name, value] of Object.entries(parts)) {
    if (value instanceof File) form.append(name, value);
    else {
      const isPdf = typeof value !== "string" || value.startsWith("%PDF");
      const type = isPdf ? "application/pdf" : "application/xml";
      form.append(name, new File([value], `${name}.${isPdf ? "pdf" : "xml"}`, { type }));
    }
  }
  const res = await exports.default.fetch(
    new Request(`${BASE}${path}`, {
      method,
      headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: form,
    }),
  );
  return readResponse(res);
}

/** Uploads a CFDI as the receiver (`organizationId`) or the issuer (`providerId`). */
export const uploadInvoice = (
  token: string,
  side: { organizationId?: string; providerId?: string },
  xml: string,
  extra: Record<string, string | Uint8Array> = {},
) => {
  const query = new URLSearchParams();
  if (side.organizationId) query.set("organization_id", side.organizationId);
  if (side.providerId) query.set("provider_id", side.providerId);
  return callMultipart("POST", `/v1/invoices?${query}`, token, { invoiceXml: xml, ...extra });
};

/** An organization whose RFC is `rfc` (e.g. a fixture's Receptor), owned by `user`. */
export const createOrgWithRfc = (user: TestUser, rfc: string, regime?: string) =>
  createOrg(user, { taxIdentifier: rfc, taxRegimes: [regime ?? (rfc.length === 12 ? "601" : "612")] });
