/**
 * Idempotency-Key for POSTs that create something (Stripe's semantics): the first request with a key
 * stores its status and body for 24 h; a retry with the same key and the same request gets that stored
 * response again (header `Idempotent-Replayed: true`); the same key with a different request is
 * `422 idempotency_key_reused`; a duplicate arriving while the first still runs is `409
 * idempotency_request_in_progress`. Validation failures (400) and server errors (5xx) are not stored,
 * so the caller can fix the request or retry.
 *
 * The insert of the `in_progress` row is the lock: the primary key makes exactly one request win it.
 */
import { and, eq, lt } from "drizzle-orm";
import { createMiddleware } from "hono/factory";
import { idempotencyKeys } from "../../db/schema";
import { sha256Hex } from "../../shared/auth/crypto";
import { AppError } from "../../shared/errors";
import type { HonoEnv } from "../env";

const TTL_MS = 24 * 60 * 60 * 1000;
// Above every upload limit (ZIPs are the largest at 25 MiB): the body is read to be hashed.
const MAX_HASHED_BODY = 32 * 1024 * 1024;

/**
 * What "the same request" means. Multipart bodies are compared by their fields and the SHA-256 of each
 * file, because a client that rebuilds the form on retry picks a new boundary; other bodies by bytes.
 */
async function canonicalBody(request: Request): Promise<string> {
  const type = request.headers.get("content-type") ?? "";
  if (!type.startsWith("multipart/form-data")) return sha256Hex(new Uint8Array(await request.arrayBuffer()));
  let form: FormData;
  try {
    form = await request.formData();
  } catch {
    return sha256Hex(new Uint8Array(await request.arrayBuffer()));
  }
  const parts: string[] = [];
  for (const [name, value] of form.entries()) {
    parts.push(
      typeof value === "string"
        ? `${name}=${value}`
        : `${name}=file:${value.name}:${value.type}:${await sha256Hex(new Uint8Array(await value.arrayBuffer()))}`,
    );
  }
  return parts.sort().join("\n");
}
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export const idempotent = () =>
  createMiddleware<HonoEnv>(async (c, next) => {
    const key = c.req.header("idempotency-key");
    if (key === undefined) return next();
    if (!KEY_PATTERN.test(key)) {
      throw new AppError(
        400,
        "invalid_idempotency_key",
        "Idempotency-Key must be 1-255 visible ASCII characters",
      );
    }
    const db = c.get("db");
    const url = new URL(c.req.url);
    const length = Number(c.req.header("content-length") ?? 0);
    if (length > MAX_HASHED_BODY) {
      throw new AppError(413, "request_too_large", "The request body is too large");
    }
    const requestHash = await sha256Hex(
      `${c.req.method} ${url.pathname}${url.search}\n${await canonicalBody(c.req.raw.clone())}`,
    );
    const auth = c.get("auth") as HonoEnv["Variables"]["auth"] | undefined;
    // Without a user the request itself scopes the key: only someone who sends the same bytes replays.
    const scope = auth ? `user:${auth.userId}` : `anon:${requestHash}`;
    const now = new Date();

    await db
      .delete(idempotencyKeys)
      .where(
        and(
          eq(idempotencyKeys.scope, scope),
          eq(idempotencyKeys.key, key),
          lt(idempotencyKeys.expiresAt, now.toISOString()),
        ),
      );
    const claimed = await db
      .insert(idempotencyKeys)
      .values({
        scope,
        key,
        requestHash,
        state: "in_progress",
        createdAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + TTL_MS).toISOString(),
      })
      .onConflictDoNothing()
      .returning({ key: idempotencyKeys.key });

    if (claimed.length === 0) {
      const [existing] = await db
        .select()
        .from(idempotencyKeys)
        .where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key)))
        .limit(1);
      if (!existing)
        throw new AppError(409, "idempotency_request_in_progress", "Retry this request in a moment");
      if (existing.requestHash !== requestHash) {
        throw new AppError(
          422,
          "idempotency_key_reused",
          "This Idempotency-Key was already used with a different request; use a new key",
        );
      }
      if (existing.state !== "completed") {
        throw new AppError(
          409,
          "idempotency_request_in_progress",
          "A request with this Idempotency-Key is still running",
        );
      }
      c.header("Idempotent-Replayed", "true");
      return c.body(existing.responseBody ?? "", (existing.responseStatus ?? 200) as 200, {
        "content-type": "application/json",
      });
    }

    const where = and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key));
    try {
      await next();
    } catch (e) {
      await db.delete(idempotencyKeys).where(where);
      throw e;
    }
    const status = c.res.status;
    if (status >= 500 || status === 400) {
      await db.delete(idempotencyKeys).where(where);
      return;
    }
    const responseBody = await c.res.clone().text();
    await db
      .update(idempotencyKeys)
      .set({ state: "completed", responseStatus: status, responseBody })
      .where(where);
  });
