// Organizations, the tenant check and batch atomicity on embedded libSQL, through the Worker's services.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { batchWrite } from "../../../db/client";
import { memberships, organizations, users } from "../../../db/schema";
import { AppError } from "../../../shared/errors";
import {
  createOrganization,
  listUserOrganizations,
  purgeOrganizationsDueForDeletion,
} from "../../../workers/services/organizations";
import { requireOrgAccess } from "../../../workers/services/tenancy";
import { createUser } from "../../../workers/services/users";
import { type LibsqlHarness, openLibsql, PASSWORD } from "./libsql";

let h: LibsqlHarness;
beforeAll(async () => {
  h = await openLibsql();
});
afterAll(() => h.close());

let counter = 0;
async function newActor(prefix = "org") {
  const user = await createUser(h.ctx, {
    firstName: "Ana",
    lastName: "Prueba",
    emailAddress: `${prefix}.${++counter}@example.com`,
    password: PASSWORD,
  });
  return h.as(user.id);
}

async function appError(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

const rfc = (n: number) =>
  `AB${String.fromCharCode(65 + (n % 26))}900317${String.fromCharCode(65 + ((n * 7) % 26))}X${n % 10}`;

describe("createOrganization and requireOrgAccess on libSQL", () => {
  it("creates the organization, the owner membership and the default organization together", async () => {
    const owner = await newActor();
    const org = await createOrganization(owner, {
      name: "Escuela Kemper Urgate",
      taxIdentifier: "eku9003173c9",
    });
    expect(org).toMatchObject({
      taxIdentifier: "EKU9003173C9",
      isEntity: true,
      slug: "escuela-kemper-urgate",
    });
    const [membership] = await h.db.select().from(memberships).where(eq(memberships.organizationId, org.id));
    expect(membership).toMatchObject({ userId: owner.userId, role: "owner" });
    const [user] = await h.db.select().from(users).where(eq(users.id, owner.userId));
    expect(user?.defaultOrganizationId).toBe(org.id);

    const access = await requireOrgAccess(owner, org.id, "organization.delete");
    expect(access.role).toBe("owner");

    const duplicate = await appError(
      createOrganization(owner, { name: "Otra", taxIdentifier: "EKU9003173C9" }),
    );
    expect([duplicate.status, duplicate.code]).toEqual([409, "organization_already_exists"]);
  });

  it("answers 404 to strangers and for malformed ids, 403 to a member whose role lacks the permission", async () => {
    const owner = await newActor();
    const org = await createOrganization(owner, { name: "Tenancy", taxIdentifier: rfc(1) });
    const stranger = await newActor("stranger");
    expect((await appError(requireOrgAccess(stranger, org.id, "organization.read"))).status).toBe(404);
    expect((await appError(requireOrgAccess(owner, "not-a-uuid", "organization.read"))).status).toBe(404);

    const client = await newActor("client");
    const now = new Date().toISOString();
    await h.db.insert(memberships).values({
      userId: client.userId,
      organizationId: org.id,
      role: "client",
      createdAt: now,
      updatedAt: now,
    });
    expect((await requireOrgAccess(client, org.id, "files.read")).role).toBe("client");
    const denied = await appError(requireOrgAccess(client, org.id, "files.write"));
    expect([denied.status, denied.code]).toEqual([403, "forbidden"]);
  });

  it("lists the caller's organizations with case-insensitive filters, sorting and pages", async () => {
    const actor = await newActor("lister");
    for (const [i, name] of ["Beta Servicios", "Alfa Comercial", "Gamma Industrial"].entries()) {
      await createOrganization(actor, { name, taxIdentifier: rfc(10 + i) });
    }
    const other = await newActor("other");
    await createOrganization(other, { name: "Alfa Ajena", taxIdentifier: rfc(20) });

    const base = { sort: "name" as const, order: "asc" as const, page: 1, limit: 30 };
    const all = await listUserOrganizations(actor, base);
    expect(all.map((r) => r.organization.name)).toEqual([
      "Alfa Comercial",
      "Beta Servicios",
      "Gamma Industrial",
    ]);
    const alfa = await listUserOrganizations(actor, { ...base, name: "aLFA co" });
    expect(alfa.map((r) => r.organization.name)).toEqual(["Alfa Comercial"]);
    expect(alfa[0]?.membership.role).toBe("owner");
    const page2 = await listUserOrganizations(actor, { ...base, order: "desc", limit: 2, page: 2 });
    expect(page2.map((r) => r.organization.name)).toEqual(["Alfa Comercial"]);
    // LIKE wildcards in the user's text are literal.
    expect(await listUserOrganizations(actor, { ...base, name: "%" })).toEqual([]);
  });

  it("deletes organizations whose deletion was requested 30+ days ago, and only those", async () => {
    const owner = await newActor("purge");
    const due = await createOrganization(owner, { name: "Due", taxIdentifier: rfc(30) });
    const notYet = await createOrganization(owner, { name: "Not Yet", taxIdentifier: rfc(31) });
    const now = new Date();
    const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000).toISOString();
    await h.db
      .update(organizations)
      .set({ deletionRequestedAt: daysAgo(31) })
      .where(eq(organizations.id, due.id));
    await h.db
      .update(organizations)
      .set({ deletionRequestedAt: daysAgo(29) })
      .where(eq(organizations.id, notYet.id));

    expect(await purgeOrganizationsDueForDeletion(h.ctx, now)).toBe(1);
    expect((await appError(requireOrgAccess(owner, due.id, "organization.read"))).status).toBe(404);
    expect((await requireOrgAccess(owner, notYet.id, "organization.read")).organization.name).toBe("Not Yet");
    const [user] = await h.db.select().from(users).where(eq(users.id, owner.userId));
    expect(user?.defaultOrganizationId).toBeNull();
  });
});

describe("batchWrite on libSQL", () => {
  it("is all-or-nothing: a unique violation in the second statement leaves nothing of the first", async () => {
    const actor = await newActor("batch");
    const [existing] = await h.db.select().from(users).where(eq(users.id, actor.userId));
    const now = new Date().toISOString();
    const row = (id: string, email: string) => ({
      id,
      email,
      firstName: "X",
      lastName: "Y",
      passwordHash: "x",
      createdAt: now,
      updatedAt: now,
    });
    const fresh = crypto.randomUUID();
    await expect(
      batchWrite(h.db, [
        h.db.insert(users).values(row(fresh, "fresh@example.com")),
        h.db.insert(users).values(row(crypto.randomUUID(), existing!.email)),
      ]),
    ).rejects.toThrow(/UNIQUE/);
    expect(await h.db.select().from(users).where(eq(users.id, fresh))).toEqual([]);
    expect(await h.db.select().from(users).where(eq(users.email, "fresh@example.com"))).toEqual([]);

    // The same statements without the conflict commit together.
    await batchWrite(h.db, [h.db.insert(users).values(row(fresh, "fresh@example.com"))]);
    expect(await h.db.select().from(users).where(eq(users.id, fresh))).toHaveLength(1);
  });
});
