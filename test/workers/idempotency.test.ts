import { describe, expect, it } from "vitest";
import { call, randomRfc, signUp } from "./harness";

describe("Idempotency-Key on organization creation", () => {
  it("replays the stored response for a retry with the same key and body", async () => {
    const user = await signUp();
    const body = { name: "Idempotente SA", taxIdentifier: randomRfc(), taxRegimes: ["601"] };
    const headers = { "idempotency-key": "create-org-1" };
    const first = await call("POST", "/v1/organizations", { token: user.token, body, headers });
    expect(first.status).toBe(201);
    const retry = await call("POST", "/v1/organizations", { token: user.token, body, headers });
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.json.organization.id).toBe(first.json.organization.id);

    const mine = await call("GET", "/v1/user-organizations", { token: user.token });
    expect(mine.json).toHaveLength(1);
  });

  it("rejects the same key with another body as idempotency_key_reused", async () => {
    const user = await signUp();
    const headers = { "idempotency-key": "create-org-2" };
    const first = await call("POST", "/v1/organizations", {
      token: user.token,
      headers,
      body: { name: "Primera SA", taxIdentifier: randomRfc() },
    });
    expect(first.status).toBe(201);
    const other = await call("POST", "/v1/organizations", {
      token: user.token,
      headers,
      body: { name: "Segunda SA", taxIdentifier: randomRfc() },
    });
    expect(other.status).toBe(422);
    expect(other.json.error).toBe("idempotency_key_reused");
    expect((await call("GET", "/v1/user-organizations", { token: user.token })).json).toHaveLength(1);
  });

  it("scopes keys per user: another user's identical key is a fresh request", async () => {
    const a = await signUp();
    const b = await signUp();
    const headers = { "idempotency-key": "shared-key" };
    const body = { name: "Compartida SA", taxIdentifier: randomRfc() };
    const first = await call("POST", "/v1/organizations", { token: a.token, headers, body });
    const second = await call("POST", "/v1/organizations", { token: b.token, headers, body });
    expect(second.status).toBe(201);
    expect(second.headers.get("idempotent-replayed")).toBeNull();
    expect(second.json.organization.id).not.toBe(first.json.organization.id);
  });

  it("does not store validation failures, so the corrected request runs", async () => {
    const user = await signUp();
    const headers = { "idempotency-key": "fix-me" };
    const bad = await call("POST", "/v1/organizations", {
      token: user.token,
      headers,
      body: { name: "Sin RFC" },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toBe("validation_failed");
    const fixed = await call("POST", "/v1/organizations", {
      token: user.token,
      headers,
      body: { name: "Sin RFC", taxIdentifier: randomRfc() },
    });
    expect(fixed.status).toBe(201);
  });

  it("answers 409 to a duplicate that arrives while the first is still running", async () => {
    const user = await signUp();
    const headers = { "idempotency-key": "concurrent" };
    const body = { name: "Concurrente SA", taxIdentifier: randomRfc() };
    const results = await Promise.all([
      call("POST", "/v1/organizations", { token: user.token, headers, body }),
      call("POST", "/v1/organizations", { token: user.token, headers, body }),
    ]);
    const statuses = results.map((r) => r.status).sort();
    // Either the second saw the first in progress (409) or arrived after it finished (replay 201).
    expect(statuses[0]).toBe(201);
    expect([201, 409]).toContain(statuses[1]);
    const loser = results.find((r) => r.status === 409);
    if (loser) expect(loser.json.error).toBe("idempotency_request_in_progress");
    expect((await call("GET", "/v1/user-organizations", { token: user.token })).json).toHaveLength(1);
  });

  it("refuses malformed keys", async () => {
    const user = await signUp();
    const res = await call("POST", "/v1/organizations", {
      token: user.token,
      headers: { "idempotency-key": "x".repeat(256) },
      body: { name: "Clave larga", taxIdentifier: randomRfc() },
    });
    expect(res.status).toBe(400);
    expect(res.json.error).toBe("invalid_idempotency_key");
  });
});
