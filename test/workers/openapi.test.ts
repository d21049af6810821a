import { describe, expect, it } from "vitest";
import { call } from "./harness";

describe("OpenAPI document and docs page", () => {
  it("serves an OpenAPI 3.1 document where every operation declares its errors", async () => {
    const res = await call("GET", "/v1/openapi.json");
    expect(res.status).toBe(200);
    expect(res.json.openapi).toBe("3.1.0");
    expect(res.json.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    const ops = Object.entries(res.json.paths as Record<string, Record<string, any>>).flatMap(
      ([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })),
    );
    expect(ops.length).toBeGreaterThan(15);
    for (const { path, method, op } of ops) {
      const codes = Object.keys(op.responses);
      expect(codes, `${method} ${path}`).toEqual(expect.arrayContaining(["400", "500"]));
      if ((op.security ?? []).length > 0)
        expect(codes, `${method} ${path}`).toEqual(expect.arrayContaining(["401", "403", "404"]));
      expect(op.summary, `${method} ${path}`).toBeTruthy();
    }
  });

  it("renders the docs page from the document", async () => {
    const res = await call("GET", "/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    expect(res.text).toContain('fetch("/v1/openapi.json")');
  });

  it("answers unknown routes with the error envelope and a request id", async () => {
    const res = await call("GET", "/v1/nope");
    expect(res.status).toBe(404);
    expect(res.json.error).toBe("route_not_found");
    expect(res.headers.get("x-request-id")).toMatch(/[0-9a-f-]{36}/);
  });
});
