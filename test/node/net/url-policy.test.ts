// The SSRF policy for outgoing webhooks: address classes, URL tricks, resolution, and the local mode.
import { describe, expect, it } from "vitest";
import { isAppError } from "../../../shared/errors";
import { dohResolver } from "../../../shared/net/doh";
import { classifyAddress, parseIpv4, parseIpv6 } from "../../../shared/net/ip";
import { checkUrl, type Resolver, refusalReason, type UrlPolicy } from "../../../shared/net/url-policy";

const PUBLIC_V4 = "93.184.215.14";
const PUBLIC_V6 = "2606:2800:21f:cb07:6820:80da:af6b:8b2c";

/** A resolver answering from a table, recording what it was asked. */
function fakeResolver(table: Record<string, string[]>) {
  const asked: string[] = [];
  const resolver: Resolver = {
    async resolve(name) {
      asked.push(name);
      if (name === "resolver-down.example") throw new Error("timeout");
      return table[name] ?? [];
    },
  };
  return { resolver, asked };
}

const strict = (table: Record<string, string[]> = {}): UrlPolicy => ({
  resolver: fakeResolver(table).resolver,
  allowInsecureLocal: false,
});
const local = (table: Record<string, string[]> = {}): UrlPolicy => ({
  resolver: fakeResolver(table).resolver,
  allowInsecureLocal: true,
});

async function reason(url: string, policy: UrlPolicy) {
  try {
    await checkUrl(url, policy);
    return "allowed";
  } catch (e) {
    if (!isAppError(e)) throw e;
    expect(e.status).toBe(400);
    expect(e.code).toBe("webhook_url_refused");
    return refusalReason(e);
  }
}

describe("IP parsing", () => {
  it("parses canonical dotted quads only", () => {
    expect(parseIpv4("10.1.2.3")).toBe(0x0a010203);
    expect(parseIpv4("255.255.255.255")).toBe(0xffffffff);
    for (const bad of ["10.1.2", "010.1.2.3", "1.2.3.256", "1.2.3.4.5", "a.b.c.d", "", "1..2.3"]) {
      expect(parseIpv4(bad), bad).toBeNull();
    }
  });

  it("parses IPv6 with compression, brackets, zones and an IPv4 tail", () => {
    expect(parseIpv6("::1")).toBe(1n);
    expect(parseIpv6("[::1]")).toBe(1n);
    expect(parseIpv6("::")).toBe(0n);
    expect(parseIpv6("fe80::1%eth0")).toBe((0xfe80n << 112n) | 1n);
    expect(parseIpv6("::ffff:127.0.0.1")).toBe((0xffffn << 32n) | 0x7f000001n);
    expect(parseIpv6("1:2:3:4:5:6:7:8")).toBe(0x00010002000300040005000600070008n);
    for (const bad of ["1:2:3", "1::2::3", "1:2:3:4:5:6:7:8:9", "12345::", "g::1", "1.2.3.4", "::1.2.3"]) {
      expect(parseIpv6(bad), bad).toBeNull();
    }
  });
});

describe("address classes", () => {
  it.each([
    ["0.0.0.0", "private"],
    ["10.0.0.1", "private"],
    ["100.64.0.1", "private"],
    ["100.127.255.254", "private"],
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["169.254.169.254", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.0.0.8", "private"],
    ["192.0.2.1", "private"],
    ["192.168.1.1", "private"],
    ["198.18.0.1", "private"],
    ["224.0.0.1", "private"],
    ["255.255.255.255", "private"],
    ["::", "private"],
    ["::1", "loopback"],
    ["::ffff:127.0.0.1", "private"],
    ["::ffff:8.8.8.8", "private"],
    ["::127.0.0.1", "private"],
    ["fc00::1", "private"],
    ["fd12:3456::1", "private"],
    ["fe80::1", "private"],
    ["fec0::1", "private"],
    ["ff02::1", "private"],
    ["64:ff9b::10.0.0.1", "private"],
    ["2001::1", "private"],
    ["2001:db8::1", "private"],
    ["2002:0a00:0001::1", "private"],
    ["100::1", "private"],
  ])("%s is %s", (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
  });

  it.each([
    "8.8.8.8",
    "1.1.1.1",
    PUBLIC_V4,
    "100.63.255.255",
    "100.128.0.0",
    "172.15.255.255",
    "172.32.0.0",
    "2606:4700:4700::1111",
    PUBLIC_V6,
    "64:ff9b::8.8.8.8",
    "2002:0808:0808::1",
  ])("%s is public", (address) => {
    expect(classifyAddress(address)).toBe("public");
  });

  it("does not take names for addresses", () => {
    expect(classifyAddress("example.com")).toBeNull();
    expect(classifyAddress("10.0.0.1.nip.io")).toBeNull();
  });
});

describe("checkUrl (production policy)", () => {
  it("accepts https to a name whose addresses are all public, resolving it", async () => {
    const { resolver, asked } = fakeResolver({ "hooks.example.com": [PUBLIC_V4, PUBLIC_V6] });
    const url = await checkUrl("https://hooks.example.com/timbre?x=1", {
      resolver,
      allowInsecureLocal: false,
    });
    expect(url.hostname).toBe("hooks.example.com");
    expect(asked).toEqual(["hooks.example.com"]);
  });

  it("accepts a public IP literal without resolving it", async () => {
    const { resolver, asked } = fakeResolver({});
    await checkUrl(`https://${PUBLIC_V4}:8443/hook`, { resolver, allowInsecureLocal: false });
    await checkUrl("https://[2606:4700:4700::1111]/hook", { resolver, allowInsecureLocal: false });
    expect(asked).toEqual([]);
  });

  it.each([
    ["http://hooks.example.com/", "not_https"],
    ["ftp://hooks.example.com/", "not_https"],
    ["javascript:alert(1)", "not_https"],
    ["not a url", "invalid"],
    ["/relative/path", "invalid"],
    ["https://user:pass@hooks.example.com/", "credentials"],
    ["https://user@hooks.example.com/", "credentials"],
    ["https://10.0.0.1/", "private_address"],
    ["https://127.0.0.1/", "private_address"],
    ["https://[::1]/", "private_address"],
    ["https://169.254.169.254/latest/meta-data/", "private_address"],
    ["https://100.64.0.1/", "private_address"],
    ["https://[fd00::1]/", "private_address"],
    ["https://[fe80::1]/", "private_address"],
    ["https://[::ffff:127.0.0.1]/", "private_address"],
    ["https://[::ffff:7f00:1]/", "private_address"],
    ["https://0.0.0.0/", "private_address"],
    ["https://localhost/", "private_address"],
    ["https://LOCALHOST./", "private_address"],
    ["https://api.localhost/", "private_address"],
    // Numeric tricks: the WHATWG host parser turns each into 127.0.0.1 / 10.0.0.1 / 169.254.169.254.
    ["https://2130706433/", "private_address"],
    ["https://0x7f000001/", "private_address"],
    ["https://0177.0.0.1/", "private_address"],
    ["https://127.1/", "private_address"],
    ["https://0x7f.0.0.1/", "private_address"],
    ["https://012.0.0.1/", "private_address"],
    ["https://0xa9fea9fe/", "private_address"],
    ["https://%31%32%37.0.0.1/", "private_address"],
  ])("refuses %s (%s)", async (url, why) => {
    expect(await reason(url, strict())).toBe(why);
  });

  it("refuses a name when any of its addresses is private, and one that resolves to nothing", async () => {
    const table = {
      "rebind.example.com": [PUBLIC_V4, "10.0.0.5"],
      "v6-private.example.com": [PUBLIC_V4, "fd00::5"],
      "metadata.example.com": ["169.254.169.254"],
      "mapped.example.com": ["::ffff:10.0.0.1"],
      "garbage.example.com": ["not-an-address"],
    };
    for (const host of Object.keys(table)) {
      expect(await reason(`https://${host}/`, strict(table)), host).toBe("private_address");
    }
    expect(await reason("https://nxdomain.example.com/", strict(table))).toBe("unresolvable");
    expect(await reason("https://resolver-down.example/", strict(table))).toBe("resolver_failed");
  });

  it("resolves a name with a trailing dot without it", async () => {
    const { resolver, asked } = fakeResolver({ "hooks.example.com": [PUBLIC_V4] });
    await checkUrl("https://hooks.example.com./x", { resolver, allowInsecureLocal: false });
    expect(asked).toEqual(["hooks.example.com"]);
  });
});

describe("checkUrl (local mode for tests and demos)", () => {
  it("allows http and loopback hosts", async () => {
    for (const url of [
      "http://127.0.0.1:8787/hook",
      "http://localhost:3000/hook",
      "http://[::1]:9000/hook",
      "https://localhost/hook",
    ]) {
      expect(await reason(url, local()), url).toBe("allowed");
    }
    expect(await reason("http://dev.example.com/", local({ "dev.example.com": ["127.0.0.1"] }))).toBe(
      "allowed",
    );
  });

  it("still refuses every other private range and credentials", async () => {
    for (const url of [
      "http://10.0.0.1/",
      "http://192.168.0.10/",
      "http://169.254.169.254/",
      "http://[fd00::1]/",
      "http://[::ffff:127.0.0.1]/",
    ]) {
      expect(await reason(url, local()), url).toBe("private_address");
    }
    expect(await reason("http://a:b@localhost/", local())).toBe("credentials");
    expect(await reason("file:///etc/passwd", local())).toBe("not_https");
  });
});

describe("DNS-over-HTTPS resolver", () => {
  const answer = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), { status, headers: { "content-type": "application/dns-json" } });

  it("asks for A and AAAA and keeps only address records", async () => {
    const asked: string[] = [];
    const resolver = dohResolver("https://doh.test/dns-query", async (input, init) => {
      const url = new URL(String(input));
      asked.push(`${url.searchParams.get("name")} ${url.searchParams.get("type")}`);
      expect(new Headers(init?.headers).get("accept")).toBe("application/dns-json");
      return url.searchParams.get("type") === "A"
        ? answer({
            Status: 0,
            Answer: [
              { name: "hooks.example.com", type: 5, data: "edge.example.net." },
              { name: "edge.example.net", type: 1, data: PUBLIC_V4 },
            ],
          })
        : answer({ Status: 0, Answer: [{ name: "edge.example.net", type: 28, data: PUBLIC_V6 }] });
    });
    expect(await resolver.resolve("hooks.example.com")).toEqual([PUBLIC_V4, PUBLIC_V6]);
    expect(asked.sort()).toEqual(["hooks.example.com A", "hooks.example.com AAAA"]);
  });

  it("answers no addresses for NXDOMAIN and fails on server errors", async () => {
    expect(
      await dohResolver("https://doh.test", async () => answer({ Status: 3 })).resolve("x.test"),
    ).toEqual([]);
    await expect(
      dohResolver("https://doh.test", async () => answer({ Status: 2 })).resolve("x.test"),
    ).rejects.toThrow(/status 2/);
    await expect(
      dohResolver("https://doh.test", async () => answer({}, 503)).resolve("x.test"),
    ).rejects.toThrow(/503/);
  });
});
