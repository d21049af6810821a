/**
 * Issuing benchmark (`npm run bench:issuing`), issue #5's targets, each beside a baseline measured in
 * the same run:
 * 1. Folio allocations/s through the OrgLedger Durable Object for one organization (reserve + commit,
 *    the stamp's two folio RPCs) at 1, 16 and 64 concurrent callers, target ≥ 1,000/s; baseline: the
 *    object's health RPC. Runs in a bench Worker (issuing-worker.ts) binding the real OrgLedger class,
 *    started with wrangler's unstable_startWorker and timed from Node; every run checks that it
 *    allocated exactly 1..N. An extra row makes the same allocations inside the object (a bench
 *    subclass calling its own RPC methods), which separates the ledger's work from the RPC transport.
 * 2. CPU of build + seal + sandbox stamp per invoice, target ≤ 5 ms; baseline: build + seal alone.
 *    In-process in Node (wall time per invoice and process CPU time per invoice) and inside workerd
 *    (request time minus an empty request, per invoice).
 * 3. Stamps/s for one organization end to end through the real Worker (wrangler.toml: local D1, R2,
 *    Queues, Durable Objects in a temporary directory), sequential and at concurrency 8, after setting
 *    up an organization through the API (sign up, create organization, upload the SAT test CSD, top
 *    up); baselines: GET /v1/health (public: the dev server, middleware, one D1 query) and GET /v1/balance
 *    (authenticated: D1 + one ledger RPC). Checks the folios are
 *    1..N and the balance went down by exactly N stamps.
 * Options: --folios=<N per run> (default 1000), --stamp-n=<invoices> (default 200), --sequential=<N>
 * (default 10), --concurrent=<N> (default 24), --no-e2e, --no-ledger, --no-cpu, --ledger-in-memory.
 *
 * The machine is shared: numbers move by tens of percent between runs; compare a row with its
 * baseline from the same run.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { sha256Hex } from "../shared/auth/crypto";
import { bytesToBase64 } from "../shared/encoding";
import {
  type LedgerOp,
  ONE_LINE_INVOICE,
  prepareStampCorpus,
  type StampCorpusInput,
  stampOnce,
  withLines,
} from "./issuing-ops";

process.env.WRANGLER_SEND_METRICS = "false";
// Offline: use miniflare's placeholder Request.cf instead of fetching it from Cloudflare.
process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
const { unstable_startWorker } = await import("wrangler");

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const CSD_DIR = resolve(ROOT, "../shared/fixtures/csd/EKU9003173C9");
const TARGETS = { foliosPerSec: 1000, stampCpuMs: 5 };

const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, "").split("=");
    return [k!, v ?? "true"] as const;
  }),
);
const FOLIOS = Number(args.get("folios") ?? 1000);
const STAMP_N = Number(args.get("stamp-n") ?? 200);
const SEQUENTIAL = Number(args.get("sequential") ?? 10);
const CONCURRENT = Number(args.get("concurrent") ?? 24);
const CONCURRENCY = [1, 16, 64];

const fmt = (x: number, digits = 0) =>
  x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const median = (xs: number[]) => quantile(xs, 0.5);
function quantile(xs: number[], q: number) {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
const verdict = (ok: boolean, text: string) => `${ok ? "OK  " : "MISS"} ${text}`;

function row(cells: (string | number)[], widths: number[]) {
  console.log(
    cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[0]!) : String(c).padStart(widths[i]!))).join(""),
  );
}

function expectRange(folios: number[], n: number, what: string) {
  const sorted = [...folios].sort((a, b) => a - b);
  if (sorted.length !== n || sorted.some((f, i) => f !== i + 1)) {
    throw new Error(`${what}: folios are not exactly 1..${n} (${sorted.length} folios)`);
  }
}

function stampInput(): StampCorpusInput {
  const example = JSON.parse(readFileSync(join(ROOT, "shared/cfdi/build/examples/ingreso.json"), "utf8"));
  return {
    cer: new Uint8Array(readFileSync(join(CSD_DIR, "EKU9003173C9.cer"))),
    key: new Uint8Array(readFileSync(join(CSD_DIR, "EKU9003173C9.key"))),
    password: readFileSync(join(CSD_DIR, "password.txt"), "utf8").trim(),
    invoices: { oneLine: ONE_LINE_INVOICE, tenLines: withLines(example, 10) },
  };
}

const STAMP_OPS = [
  { invoice: "oneLine", stamp: false, name: "build + seal, 1 concepto (baseline)" },
  { invoice: "oneLine", stamp: true, name: "build + seal + sandbox stamp, 1 concepto" },
  { invoice: "tenLines", stamp: false, name: "build + seal, 10 conceptos (baseline)" },
  { invoice: "tenLines", stamp: true, name: "build + seal + sandbox stamp, 10 conceptos" },
] as const;

/** In-process: wall time of each invoice, and the process's CPU time (all threads) per invoice. */
async function stampCpuInNode(input: StampCorpusInput) {
  const corpus = await prepareStampCorpus(input);
  console.log(`\nStamp CPU in Node ${process.version} (in-process, ${STAMP_N} invoices each, sequential)`);
  const widths = [46, 12, 10, 14, 0];
  row(["operation", "median ms", "p99 ms", "CPU ms/inv", "  vs target"], widths);
  const results: Record<string, number> = {};
  for (const op of STAMP_OPS) {
    for (let i = 0; i < 50; i++) await stampOnce(corpus, op.invoice, op.stamp);
    const times: number[] = [];
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < STAMP_N; i++) {
      const t0 = performance.now();
      await stampOnce(corpus, op.invoice, op.stamp);
      times.push(performance.now() - t0);
    }
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000 / STAMP_N;
    results[op.name] = cpuMs;
    row(
      [
        op.name,
        fmt(median(times), 2),
        fmt(quantile(times, 0.99), 2),
        fmt(cpuMs, 2),
        op.stamp ? `  ${verdict(cpuMs <= TARGETS.stampCpuMs, `≤ ${TARGETS.stampCpuMs} ms`)}` : "",
      ],
      widths,
    );
  }
  return results;
}

type BenchWorker = Awaited<ReturnType<typeof unstable_startWorker>>;

async function startWorker(config: string, persist: string | false, bindings?: Record<string, string>) {
  const worker = await unstable_startWorker({
    config,
    ...(bindings && {
      bindings: Object.fromEntries(
        Object.entries(bindings).map(([k, value]) => [k, { type: "plain_text" as const, value }]),
      ),
    }),
    dev: {
      server: { hostname: "127.0.0.1", port: 0 },
      inspector: false,
      watch: false,
      logLevel: "warn",
      persist,
    },
  });
  await worker.ready;
  return worker;
}

async function timed(worker: BenchWorker, path: string) {
  const t0 = performance.now();
  const res = await worker.fetch(`http://bench${path}`);
  const body = (await res.json()) as { folios?: number[] };
  if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
  return { ms: performance.now() - t0, body };
}

/** Inside workerd: request time minus an empty request's, per invoice. */
async function stampCpuInWorkerd(worker: BenchWorker, input: StampCorpusInput) {
  const load = await worker.fetch("http://bench/load", {
    method: "POST",
    body: JSON.stringify({
      cer: bytesToBase64(input.cer),
      key: bytesToBase64(input.key),
      password: input.password,
      invoices: input.invoices,
    }),
  });
  if (!load.ok) throw new Error(`bench worker /load: ${await load.text()}`);
  console.log(`\nStamp CPU inside workerd (${STAMP_N} invoices per request, minus an empty request)`);
  const widths = [46, 12, 0];
  row(["operation", "ms/invoice", "  vs target"], widths);
  const results: Record<string, number> = {};
  for (const op of STAMP_OPS) {
    const path = `/stamp?invoice=${op.invoice}&stamp=${op.stamp ? 1 : 0}`;
    await timed(worker, `${path}&n=50`);
    const noop = Math.min(
      ...(await Promise.all([0, 1, 2].map(() => timed(worker, "/noop")))).map((r) => r.ms),
    );
    const ms = ((await timed(worker, `${path}&n=${STAMP_N}`)).ms - noop) / STAMP_N;
    results[op.name] = ms;
    row(
      [
        op.name,
        fmt(ms, 2),
        op.stamp ? `  ${verdict(ms <= TARGETS.stampCpuMs, `≤ ${TARGETS.stampCpuMs} ms`)}` : "",
      ],
      widths,
    );
  }
  return results;
}

/** Folio allocations and health round trips through the Durable Object, from inside the Worker. */
async function ledgerThroughput(worker: BenchWorker) {
  console.log(
    `\nOrgLedger Durable Object, one organization per run (${FOLIOS} operations per run, timed from Node)`,
  );
  const widths = [36, 13, 10, 12, 10, 0];
  row(["operation", "callers", "ops/s", "ms/op", "vs health", "  vs target"], widths);
  const results: Record<string, number> = {};
  for (const c of CONCURRENCY) {
    const rates: Partial<Record<LedgerOp, number>> = {};
    for (const op of ["health", "allocate"] as const) {
      const org = crypto.randomUUID();
      await timed(worker, `/ledger?op=health&org=${org}&n=1&c=1`);
      const { ms, body } = await timed(worker, `/ledger?op=${op}&org=${org}&n=${FOLIOS}&c=${c}`);
      if (op === "allocate") expectRange(body.folios!, FOLIOS, `${c} callers`);
      const rate = (FOLIOS / ms) * 1000;
      rates[op] = rate;
      results[`${op}@${c}`] = rate;
      row(
        [
          op === "health" ? "health RPC (baseline)" : "folio allocation (reserve + commit)",
          c,
          fmt(rate),
          fmt(1000 / rate, 3),
          op === "health" ? "" : `${fmt((rate / rates.health!) * 100)}%`,
          op === "health"
            ? ""
            : `  ${verdict(rate >= TARGETS.foliosPerSec, `≥ ${fmt(TARGETS.foliosPerSec)}/s`)}`,
        ],
        widths,
      );
    }
  }
  // Where an allocation's time goes: the same reserve + commit made inside the object, no transport.
  const org0 = crypto.randomUUID();
  await timed(worker, `/in-object?org=${org0}-warm&n=20`);
  const inObject = await timed(worker, `/in-object?org=${org0}&n=${FOLIOS}`);
  expectRange(inObject.body.folios!, FOLIOS, "in-object");
  const inObjectRate = (FOLIOS / inObject.ms) * 1000;
  results["in-object"] = inObjectRate;
  row(
    [
      "allocation inside the object (no RPC)",
      "-",
      fmt(inObjectRate),
      fmt(1000 / inObjectRate, 3),
      "",
      "  info: the ledger's own work",
    ],
    widths,
  );
  // Latency: one caller, requests of 10 sequential operations each, per operation.
  const org = crypto.randomUUID();
  const latency = (op: LedgerOp) => async () => {
    const samples: number[] = [];
    for (let i = 0; i < 100; i++)
      samples.push((await timed(worker, `/ledger?op=${op}&org=${org}&n=10&c=1`)).ms / 10);
    return samples;
  };
  await latency("health")();
  const health = await latency("health")();
  const allocate = await latency("allocate")();
  console.log(
    `latency per operation, 1 caller (100 requests of 10 operations; each sample is a request's mean): health median ${fmt(median(health), 3)} ms, p99 ${fmt(quantile(health, 0.99), 3)} ms; allocation median ${fmt(median(allocate), 3)} ms, p99 ${fmt(quantile(allocate, 0.99), 3)} ms`,
  );
  return results;
}

const WRANGLER = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");

function wrangler(persist: string, ...rest: string[]) {
  const run = spawnSync(process.execPath, [WRANGLER, ...rest, "--local", "--persist-to", persist], {
    cwd: ROOT,
    env: { ...process.env, CI: "true", NO_UPDATE_NOTIFIER: "1" },
    encoding: "utf8",
  });
  if (run.status !== 0) throw new Error(`wrangler ${rest.join(" ")}: ${run.stderr || run.stdout}`);
}

const BENCH_CLIENT = { id: "bench-client", secret: "bench-client-secret" };
const PASSWORD = "Bench-Pass-2026!";

/** The real Worker on wrangler.toml with local bindings in `persist`, and an issuer set up by API. */
async function endToEnd(input: StampCorpusInput) {
  const persist = mkdtempSync(join(tmpdir(), "timbre-bench-issuing-"));
  try {
    wrangler(persist, "d1", "migrations", "apply", "DB");
    // The one thing the API cannot create: an OAuth client to log in with (npm start seeds one too).
    const seed = join(persist, "client.sql");
    writeFileSync(
      seed,
      `INSERT INTO oauth_clients (id, name, secret_hash, created_at) VALUES ('${BENCH_CLIENT.id}', 'Bench', '${await sha256Hex(BENCH_CLIENT.secret)}', '${new Date().toISOString()}');`,
    );
    wrangler(persist, "d1", "execute", "DB", "--file", seed);
    const worker = await startWorker(join(ROOT, "wrangler.toml"), persist, {
      ENVIRONMENT: "development",
      DEV_ROUTES: "false",
      TOKEN_SIGNING_KEY: "bench-signing-key-0123456789abcdef0123456789",
      DATA_ENCRYPTION_KEY: "YmVuY2gtZGF0YS1rZXktMDEyMzQ1Njc4OWFiY2RlZjA=",
    });
    try {
      return await stampRuns(worker, input);
    } finally {
      await worker.dispose();
    }
  } finally {
    rmSync(persist, { recursive: true, force: true });
  }
}

async function stampRuns(worker: BenchWorker, input: StampCorpusInput) {
  const base = await worker.url;
  let token = "";
  const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(new URL(path, base), {
      method,
      headers: {
        ...headers,
        ...(token && { authorization: `Bearer ${token}` }),
        ...(body !== undefined && !(body instanceof FormData) && { "content-type": "application/json" }),
      },
      body: body instanceof FormData ? body : body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined, text };
  };
  const must = async (expected: number, ...request: Parameters<typeof api>) => {
    const res = await api(...request);
    if (res.status !== expected) throw new Error(`${request[0]} ${request[1]}: ${res.status} ${res.text}`);
    return res.json;
  };

  const email = `bench.${Date.now()}@example.com`;
  await must(201, "POST", "/v1/users", {
    firstName: "Ana",
    lastName: "Prueba",
    emailAddress: email,
    password: PASSWORD,
  });
  const login = await fetch(new URL("/v1/oauth/token", base), {
    method: "POST",
    body: new URLSearchParams({
      grant_type: "password",
      username: email,
      password: PASSWORD,
      client_id: BENCH_CLIENT.id,
      client_secret: BENCH_CLIENT.secret,
    }),
  });
  token = ((await login.json()) as { access_token: string }).access_token;
  const { organization } = await must(201, "POST", "/v1/organizations", {
    name: "ESCUELA KEMPER URGATE",
    taxIdentifier: "EKU9003173C9",
    taxRegimes: ["601"],
    postalCode: "42501",
  });
  const orgId = organization.id as string;
  const upload = async (type: string, bytes: Uint8Array) => {
    const form = new FormData();
    form.append("file", new File([bytes], `csd.${type}`, { type: "application/octet-stream" }));
    return (await must(201, "POST", `/v1/files?type=${type}&organization_id=${orgId}`, form)).file
      .id as string;
  };
  await must(200, "PUT", `/v1/organizations/${orgId}/csd`, {
    csdCertFileId: await upload("csd_cert_file", input.cer),
    csdKeyFileId: await upload("csd_key_file", input.key),
    csdPassword: input.password,
  });
  const WARM_UP = 3;
  const total = WARM_UP + SEQUENTIAL + CONCURRENT;
  // A stamp costs 1.00 MXN until a plan is configured; the minimum top-up is 100 MXN.
  await must(201, "POST", `/v1/balance/top-ups?organization_id=${orgId}`, { amount: Math.max(100, total) });
  const balance = async () =>
    (await must(200, "GET", `/v1/balance?organization_id=${orgId}`)).balanceAmount as number;
  const before = await balance();

  const r = ONE_LINE_INVOICE.receptor;
  const body = {
    recipient: { name: r.name, taxIdentifier: r.rfc, taxRegime: r.taxRegime, postalCode: r.postalCode },
    items: [
      {
        description: "Curso de actualización",
        itemKey: "86121600",
        unitKey: "E48",
        quantity: 2,
        netUnitPriceAmount: "1500.00",
      },
    ],
    paymentForm: "03",
    cfdiUse: "G03",
    paymentMethod: "PUE",
  };
  const folios: number[] = [];
  let sent = 0;
  const stamp = async () => {
    const t0 = performance.now();
    const res = await api("POST", `/v1/invoices/stamp?provider_id=${orgId}`, body, {
      "idempotency-key": `bench-${++sent}`,
    });
    const ms = performance.now() - t0;
    if (res.status !== 201) throw new Error(`stamp: ${res.status} ${res.text}`);
    folios.push(Number(res.json.invoice.folioNumber));
    return ms;
  };
  const baseline = async () => {
    const t0 = performance.now();
    await balance();
    return performance.now() - t0;
  };
  // The floor of any request here: the dev server, the middleware and one D1 round trip.
  const health = async () => {
    const t0 = performance.now();
    await must(200, "GET", "/v1/health");
    return performance.now() - t0;
  };
  /** `n` calls from `concurrency` callers: each call's latency and the calls per second. */
  const run = async (fn: () => Promise<number>, n: number, concurrency: number) => {
    const times: number[] = [];
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next++ < n) times.push(await fn());
      }),
    );
    return { times, perSec: (n / (performance.now() - t0)) * 1000 };
  };

  for (let i = 0; i < WARM_UP; i++) await stamp();
  await run(baseline, 10, 1);
  console.log(
    `\nEnd to end: POST /v1/invoices/stamp through the real Worker (wrangler.toml, local D1/R2/Queues/DO), one organization, sandbox provider`,
  );
  const widths = [44, 10, 12, 10, 10];
  row(["requests", "n", "median ms", "p99 ms", "req/s"], widths);
  const results: Record<string, number> = {};
  const rows = [
    { name: "GET /v1/health, sequential (floor)", fn: health, n: SEQUENTIAL * 2, c: 1 },
    { name: "GET /v1/balance, sequential (baseline)", fn: baseline, n: SEQUENTIAL * 2, c: 1 },
    { name: "stamp, sequential", fn: stamp, n: SEQUENTIAL, c: 1 },
    { name: "GET /v1/balance, 8 concurrent (baseline)", fn: baseline, n: CONCURRENT * 2, c: 8 },
    { name: "stamp, 8 concurrent", fn: stamp, n: CONCURRENT, c: 8 },
  ];
  for (const { name, fn, n, c } of rows) {
    const { times, perSec } = await run(fn, n, c);
    results[name] = perSec;
    row([name, n, fmt(median(times), 1), fmt(quantile(times, 0.99), 1), fmt(perSec, 1)], widths);
  }
  expectRange(folios, total, "end to end");
  const after = await balance();
  if (before - after !== total) {
    throw new Error(`end to end: balance went from ${before} to ${after} for ${total} stamps`);
  }
  console.log(`checked: folios 1..${total} with no duplicate or gap; balance ${before} → ${after} MXN`);
  return results;
}

async function main() {
  console.log(`Issuing benchmark; Node ${process.version}; shared machine: expect run-to-run noise`);
  const input = stampInput();
  if (!args.has("no-cpu")) await stampCpuInNode(input);
  if (!args.has("no-cpu") || !args.has("no-ledger")) {
    // The Durable Object's SQLite on disk, as in production, unless --ledger-in-memory.
    const persist = mkdtempSync(join(tmpdir(), "timbre-bench-ledger-"));
    const worker = await startWorker(
      join(ROOT, "bench", "issuing-wrangler.toml"),
      args.has("ledger-in-memory") ? false : persist,
    );
    try {
      if (!args.has("no-cpu")) await stampCpuInWorkerd(worker, input);
      if (!args.has("no-ledger")) await ledgerThroughput(worker);
    } finally {
      await worker.dispose();
      rmSync(persist, { recursive: true, force: true });
    }
  }
  if (!args.has("no-e2e")) await endToEnd(input);
}

await main();
