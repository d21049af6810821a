/**
 * Serving the public SAT catalogs: every catalog response is versioned by the catalog release
 * (`CATALOGS_RELEASE`, a hash of all generated data), carries a strong ETag derived from the release,
 * the catalog and its validated query, answers a matching `If-None-Match` with 304 before any work,
 * and goes through the Workers Cache API (`caches.default`: looked up before computing, stored after).
 * The cache key holds the release, so a deploy with new data never serves the old entries.
 */
import { CATALOGS_RELEASE } from "../../shared/catalogs";
import type { ServiceContext } from "./context";

/** Catalogs change only with a deploy (new release → new ETag and cache key), so caches may keep them long. */
export const CATALOG_CACHE_CONTROL = "public, max-age=86400, stale-while-revalidate=604800";

export type CatalogParams = Record<string, string | number | undefined>;

/** The validated parameters in a fixed order, so equivalent requests share an ETag and a cache entry. */
const canonicalQuery = (params: CatalogParams) =>
  new URLSearchParams(
    Object.entries(params)
      .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => [k, String(v)]),
  ).toString();

async function etagFor(catalog: string, query: string): Promise<string> {
  const data = new TextEncoder().encode(`${CATALOGS_RELEASE}\n${catalog}\n${query}`);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
  const hex = Array.from(digest.subarray(0, 12), (b) => b.toString(16).padStart(2, "0")).join("");
  return `"${CATALOGS_RELEASE}-${hex}"`;
}

/** RFC 9110 If-None-Match: `*` or a list of entity tags, compared weakly (W/ ignored). */
function matchesIfNoneMatch(header: string | null, etag: string): boolean {
  if (header === null) return false;
  if (header.trim() === "*") return true;
  return header.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag);
}

/**
 * The catalog response for `request`: 304 when its If-None-Match holds the current ETag, else the
 * cached JSON, else `compute()` serialized and cached. `compute` may throw an `AppError` (e.g. 404),
 * which is not cached.
 */
export async function catalogResponse(
  ctx: ServiceContext,
  request: Request,
  catalog: string,
  params: CatalogParams,
  compute: () => unknown,
): Promise<Response> {
  const query = canonicalQuery(params);
  const etag = await etagFor(catalog, query);
  const validators = { etag, "cache-control": CATALOG_CACHE_CONTROL };
  if (matchesIfNoneMatch(request.headers.get("if-none-match"), etag))
    return new Response(null, { status: 304, headers: validators });

  const key = new Request(
    `${new URL(request.url).origin}/v1/catalogs/${catalog}?${query}${query ? "&" : ""}release=${encodeURIComponent(CATALOGS_RELEASE)}`,
  );
  const cache = caches.default;
  const hit = await cache.match(key);
  if (hit) return withCacheStatus(hit, "hit");

  const response = new Response(JSON.stringify(compute()), {
    headers: { ...validators, "content-type": "application/json; charset=utf-8" },
  });
  ctx.defer(cache.put(key, response.clone()));
  return withCacheStatus(response, "miss");
}

/** `x-cache` tells whether the Cache API answered, for operators and tests. */
function withCacheStatus(response: Response, status: "hit" | "miss"): Response {
  const out = new Response(response.body, response);
  out.headers.set("x-cache", status);
  return out;
}
