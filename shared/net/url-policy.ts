/**
 * Which URLs Timbre may call on a customer's behalf (outgoing webhooks). Checked when a subscription
 * is saved and again before every delivery, because a name that resolved to a public address
 * yesterday may point at a private one today.
 *
 * Rules: https only; no credentials in the URL; the host must not be `localhost` (or a name under
 * it), nor an IP literal outside public unicast (see ./ip), nor a name any of whose addresses is.
 * Names are resolved through an injected `Resolver` (DNS-over-HTTPS in production, a fake in tests).
 *
 * `allowInsecureLocal` exists for tests and demos on one machine: it also admits http and loopback
 * hosts (127.0.0.0/8, ::1, localhost), never other private ranges. It is off unless a deployment's
 * local settings turn it on (see webhookUrlPolicy in workers/services/webhooks.ts).
 */
import { badRequest, isAppError } from "../errors";
import { type AddressClass, classifyAddress } from "./ip";

export interface Resolver {
  /** Every A and AAAA address of `hostname`; an empty list when the name does not exist. */
  resolve(hostname: string): Promise<string[]>;
}

export interface UrlPolicy {
  resolver: Resolver;
  allowInsecureLocal: boolean;
}

export type UrlRefusalReason =
  | "invalid"
  | "not_https"
  | "credentials"
  | "private_address"
  | "unresolvable"
  | "resolver_failed";

export const URL_REFUSAL_CODE = "webhook_url_refused";

const MESSAGES: Record<UrlRefusalReason, string> = {
  invalid: "The URL is not a valid absolute URL",
  not_https: "Only https URLs are allowed",
  credentials: "The URL must not contain a user name or password",
  private_address: "The URL's host is, or resolves to, a private, loopback or reserved address",
  unresolvable: "The URL's host name does not resolve to any address",
  resolver_failed: "The URL's host name could not be resolved right now; try again",
};

const refuse = (reason: UrlRefusalReason) => badRequest(URL_REFUSAL_CODE, MESSAGES[reason], { reason });

/** Why `error` refused a URL, or null when it is not a refusal of this policy. */
export function refusalReason(error: unknown): UrlRefusalReason | null {
  if (!isAppError(error) || error.code !== URL_REFUSAL_CODE) return null;
  return (error.details as { reason: UrlRefusalReason }).reason;
}

const isLocalhostName = (host: string) => {
  const name = host.replace(/\.$/, "");
  return name === "localhost" || name.endsWith(".localhost");
};

function admit(kind: AddressClass, allowInsecureLocal: boolean) {
  if (kind === "public") return;
  if (kind === "loopback" && allowInsecureLocal) return;
  throw refuse("private_address");
}

/**
 * Checks what can be known without the network: the URL's shape, scheme and credentials, and an IP
 * literal host. Returns the parsed URL, and the host name when it still has to be resolved.
 */
export function checkUrlShape(raw: string, policy: Pick<UrlPolicy, "allowInsecureLocal">) {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuse("invalid");
  }
  const insecureOk = policy.allowInsecureLocal && url.protocol === "http:";
  if (url.protocol !== "https:" && !insecureOk) throw refuse("not_https");
  if (url.username || url.password) throw refuse("credentials");
  const host = url.hostname;
  if (!host) throw refuse("invalid");
  if (isLocalhostName(host)) {
    if (!policy.allowInsecureLocal) throw refuse("private_address");
    return { url, resolve: null };
  }
  // The WHATWG parser has already normalized numeric IPv4 tricks to a dotted quad.
  const literal = classifyAddress(host);
  if (literal !== null) {
    admit(literal, policy.allowInsecureLocal);
    return { url, resolve: null };
  }
  return { url, resolve: host };
}

/**
 * The URL, parsed, when every address its host stands for is allowed; otherwise a 400
 * `webhook_url_refused` AppError whose details name the reason.
 */
export async function checkUrl(raw: string, policy: UrlPolicy): Promise<URL> {
  const { url, resolve } = checkUrlShape(raw, policy);
  if (resolve === null) return url;
  let addresses: string[];
  try {
    addresses = await policy.resolver.resolve(resolve.replace(/\.$/, ""));
  } catch {
    throw refuse("resolver_failed");
  }
  if (addresses.length === 0) throw refuse("unresolvable");
  for (const address of addresses) {
    // An answer that is not an address at all is as suspicious as a private one.
    admit(classifyAddress(address) ?? "private", policy.allowInsecureLocal);
  }
  return url;
}
