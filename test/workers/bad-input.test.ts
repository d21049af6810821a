// Bad input never reaches a 500: every operation of the OpenAPI document, called by an organization
// owner with malformed ids, a broken JSON body, a body of the wrong shape and nonsense query values.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BASE, call, createOrg, signUp } from "./harness";

const spec = (await call("GET", "/v1/openapi.json")).json as {
  paths: Record<string, Record<string, unknown>>;
};
const operations = Object.entries(spec.paths).flatMap(([path, ops]) =>
  Object.keys(ops).map((m) => [m.toUpperCase(), path]),
);

const BODIES: Array<[string, string]> = [
  ["application/json", "{not json"],
  ["application/json", JSON.stringify({ unexpected: [1, { deep: null }], organizationIds: "x", items: 3 })],
  ["application/json", JSON.stringify([null, 1, "x"])],
  ["application/x-www-form-urlencoded", "grant_type=password&username=%FF&client_id="],
  ["multipart/form-data; boundary=x", "--x\r\nbroken"],
  ["text/plain", "hello"],
];

describe("bad input", () => {
  it.each(operations)("%s %s answers 4xx, never 5xx", async (method, path) => {
    const owner = await signUp("badinput");
    const org = await createOrg(owner);
    const paths = [path.replace(/\{[^}]+\}/g, "not-a-uuid"), path.replace(/\{[^}]+\}/g, org.id)];
    const queries = [
      "",
      "?limit=abc&page=-1&organization_id=zzz&provider_id=%00&sort=nope&order=sideways",
      `?organization_id=${org.id}&type=nope`,
    ];
    for (const concrete of paths)
      for (const query of queries) {
        for (const [type, body] of method === "GET" || method === "DELETE"
          ? [["", ""] as [string, string]]
          : BODIES) {
          const res = await exports.default.fetch(
            new Request(`${BASE}${concrete}${query}`, {
              method,
              headers: { authorization: `Bearer ${owner.token}`, ...(type ? { "content-type": type } : {}) },
              body: body || undefined,
            }),
          );
          const text = await res.text();
          expect(res.status, `${method} ${concrete}${query} ${type} → ${text.slice(0, 200)}`).toBeLessThan(
            500,
          );
        }
      }
  });
});
