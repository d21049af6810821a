/**
 * A `Resolver` over DNS-over-HTTPS with the JSON API (Cloudflare's `application/dns-json`, also
 * served by Google at dns.google/resolve). Workers have no DNS API, so the URL policy asks here which
 * addresses a webhook host stands for. A and AAAA are asked together; CNAME chains come back
 * flattened in `Answer`, and only address records are kept.
 */
import type { Resolver } from "./url-policy";

export const CLOUDFLARE_DOH_URL = "https://cloudflare-dns.com/dns-query";

const RECORD_TYPES = { A: 1, AAAA: 28 } as const;
/** DNS RCODEs: NOERROR, and NXDOMAIN (the name does not exist: no addresses, not a failure). */
const NOERROR = 0;
const NXDOMAIN = 3;

interface DnsJson {
  Status: number;
  Answer?: Array<{ type: number; data: string }>;
}

export function dohResolver(
  endpoint = CLOUDFLARE_DOH_URL,
  fetcher: typeof fetch = (input, init) => fetch(input, init),
  timeoutMs = 5_000,
): Resolver {
  const ask = async (name: string, type: keyof typeof RECORD_TYPES): Promise<string[]> => {
    const url = `${endpoint}?name=${encodeURIComponent(name)}&type=${type}`;
    const res = await fetcher(url, {
      headers: { accept: "application/dns-json" },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) throw new Error(`DNS-over-HTTPS answered ${res.status}`);
    const body = (await res.json()) as DnsJson;
    if (body.Status === NXDOMAIN) return [];
    if (body.Status !== NOERROR) throw new Error(`DNS-over-HTTPS status ${body.Status}`);
    return (body.Answer ?? []).filter((a) => a.type === RECORD_TYPES[type]).map((a) => a.data);
  };
  return {
    async resolve(hostname) {
      const [v4, v6] = await Promise.all([ask(hostname, "A"), ask(hostname, "AAAA")]);
      return [...v4, ...v6];
    },
  };
}
