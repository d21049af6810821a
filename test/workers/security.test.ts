import { env } from "cloudflare:workers";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { ROLES } from "../../db/schema/organizations";
import { roleCan } from "../../shared/permissions";
import { addMember, call, createOrg, signUp } from "./harness";
import { MATRIX, type MatrixRequest } from "./security-matrix";

async function openApiOperations() {
  const spec = (await call("GET", "/v1/openapi.json")).json;
  const operations: string[] = Object.entries(spec.paths as Record<string, Record<string, unknown>>).flatMap(
    ([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
  );
  return { spec, operations };
}

const sign = (key: string, expiresAt: number, sub = crypto.randomUUID()) =>
  new SignJWT({ sid: crypto.randomUUID(), cid: "test-client" })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(sub)
    .setIssuer("timbre")
    .setAudience("timbre-api")
    .setIssuedAt(expiresAt - 900)
    .setExpirationTime(expiresAt)
    .sign(new TextEncoder().encode(key));

const send = (key: string, req: MatrixRequest, token?: string) => {
  const [method, ...rest] = key.split(" ");
  void rest;
  return call(method!, req.path, { token, body: req.body, form: req.form });
};

const defaultRequest = (key: string): MatrixRequest => ({ path: key.split(" ")[1]! });

describe("security matrix", () => {
  it("covers every operation of the OpenAPI document", async () => {
    const { operations } = await openApiOperations();
    const missing = operations.filter((op) => !(op in MATRIX));
    const stale = Object.keys(MATRIX).filter((op) => !operations.includes(op));
    expect(missing, "operations without a security-matrix entry").toEqual([]);
    expect(stale, "matrix entries for operations that no longer exist").toEqual([]);
  });

  it("declares bearer security exactly on the non-public operations", async () => {
    const { spec } = await openApiOperations();
    for (const [path, ops] of Object.entries(
      spec.paths as Record<string, Record<string, { security?: unknown[] }>>,
    )) {
      for (const [method, op] of Object.entries(ops)) {
        const entry = MATRIX[`${method.toUpperCase()} ${path}`];
        const secured = (op.security ?? []).length > 0;
        expect(secured, `${method} ${path}`).toBe(entry?.kind !== "public");
      }
    }
  });

  const authenticated = Object.entries(MATRIX).filter(([, e]) => e.kind !== "public");

  it.each(authenticated)(
    "%s → 401 without a token, with a forged one and with an expired one",
    async (key, entry) => {
      const owner = await signUp("matrix");
      const target = { orgId: (await createOrg(owner)).id, ids: {} };
      const req =
        entry.kind === "org"
          ? entry.request(target)
          : entry.kind === "user" && entry.request
            ? entry.request()
            : defaultRequest(key);
      const now = Math.floor(Date.now() / 1000);
      const noToken = await send(key, req);
      const forged = await send(
        key,
        req,
        await sign("another-key-0123456789abcdef0123456789", now + 600, owner.id),
      );
      const expired = await send(key, req, await sign(env.TOKEN_SIGNING_KEY, now - 60, owner.id));
      for (const res of [noToken, forged, expired]) {
        expect(res.status).toBe(401);
        expect(res.json.error).toMatch(/unauthorized|invalid_token|token_expired/);
      }
      expect(expired.json.error).toBe("token_expired");
    },
  );

  const orgScoped = Object.entries(MATRIX).flatMap(([key, e]) =>
    e.kind === "org" ? [[key, e] as const] : [],
  );

  it.each(orgScoped)(
    "%s → 404 for a member of another organization, 403 for a role without the permission",
    async (key, entry) => {
      const owner = await signUp("owner");
      const orgId = (await createOrg(owner)).id;
      const ids = entry.setup ? await entry.setup(owner.token, orgId) : {};
      const req = entry.request({ orgId, ids });

      const outsider = await signUp("outsider");
      await createOrg(outsider);
      const crossTenant = await send(key, req, outsider.token);
      expect(crossTenant.status).toBe(404);

      const lacking = ROLES.find((role) => !roleCan(role, entry.permission));
      if (lacking) {
        const member = await signUp(lacking);
        await addMember(orgId, member.id, lacking);
        const denied = await send(key, req, member.token);
        expect(denied.status).toBe(403);
        expect(denied.json.error).toBe("forbidden");
      }
    },
  );
});
