// The shared text filter on embedded libSQL: case-insensitive for Spanish capitals, wildcards literal.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { containsInsensitive } from "../../../db/filters";
import { organizations } from "../../../db/schema";
import { type LibsqlHarness, openLibsql } from "./libsql";

let h: LibsqlHarness;
beforeAll(async () => {
  h = await openLibsql();
  const now = new Date().toISOString();
  const names = ["JOSÉ MUÑOZ ÁLVAREZ", "Comercializadora Ñandú", "100% Algodón_SA", "Plain Name"];
  await h.db.insert(organizations).values(
    names.map((name, i) => ({
      id: crypto.randomUUID(),
      name,
      taxIdentifier: `AAA90031${i}AB1`,
      taxRegimes: ["601"],
      slug: `org-${i}`,
      isEntity: true,
      createdAt: now,
      updatedAt: now,
    })),
  );
});
afterAll(() => h.close());

const search = async (text: string) =>
  (
    await h.db
      .select({ name: organizations.name })
      .from(organizations)
      .where(containsInsensitive(organizations.name, text))
  )
    .map((r) => r.name)
    .sort();

describe("containsInsensitive", () => {
  it("matches accented capitals whatever case the user types", async () => {
    expect(await search("muñoz")).toEqual(["JOSÉ MUÑOZ ÁLVAREZ"]);
    expect(await search("josé")).toEqual(["JOSÉ MUÑOZ ÁLVAREZ"]);
    expect(await search("ÑANDÚ")).toEqual(["Comercializadora Ñandú"]);
    expect(await search("álvarez")).toEqual(["JOSÉ MUÑOZ ÁLVAREZ"]);
  });

  it("takes % and _ literally", async () => {
    expect(await search("100%")).toEqual(["100% Algodón_SA"]);
    expect(await search("n_s")).toEqual(["100% Algodón_SA"]);
    expect(await search("%")).toEqual(["100% Algodón_SA"]);
  });
});
