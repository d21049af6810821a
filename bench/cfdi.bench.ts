/**
 * CFDI engine benchmark (`npm run bench`): throughput and per-document latency of parsing, the
 * cadena original, the full verification path and build+seal, in Node and inside workerd, against
 * fast-xml-parser alone (the ceiling for reading the bytes) and xsltproc (SAT's XSLT) producing the
 * same cadenas. Options: --n=<documents> (default 10000), --passes=<K> (default 5), --no-workerd,
 * --no-xsltproc.
 *
 * Each operation runs in a fresh process (Node) or a fresh isolate (workerd): fast-xml-parser
 * shares its code between the bare and the CFDI configurations, and measuring one after the other
 * in the same JIT skews the second. Each reports its best of PASSES interleaved passes of N
 * documents (--passes=K, default 5), which on a shared machine is the closest to the cost of the
 * code itself.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { bytesToBase64 } from "../shared/cfdi/csd";
import { parseCfdi } from "../shared/cfdi/parse";
import { type Corpus, type CorpusInput, OPS, type OpName, prepareCorpus, tenLineInvoice } from "./ops";

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const FIXTURES = resolve(ROOT, "../shared/fixtures");
const XSLT_DIR = join(FIXTURES, "xslt", "www.sat.gob.mx", "sitio_internet", "cfd");
const XSLT = {
  "4.0": join(XSLT_DIR, "4", "cadenaoriginal_4_0", "cadenaoriginal_4_0.xslt"),
  "3.3": join(XSLT_DIR, "3", "cadenaoriginal_3_3", "cadenaoriginal_3_3.xslt"),
};

// Targets set for this engine (issue #3) and reference rates the lead measured on the dev machine.
const TARGETS = {
  parseVsBare: 0.6,
  cadenaVsXsltproc: 10,
  fullVsXsltproc: 0.8,
  fullVsBare: 0.6,
  buildSealMs: 2,
};

const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, "").split("=");
    return [k!, v ?? "true"] as const;
  }),
);
const N = Math.max(10_000, Number(args.get("n") ?? 10_000));

const OPERATIONS: ReadonlyArray<{ op: OpName; name: string; perDocuments: number }> = [
  { op: "bare", name: "bare fast-xml-parser", perDocuments: 1 },
  { op: "attributes", name: "fast-xml-parser with attributes", perDocuments: 1 },
  { op: "parse", name: "parseCfdi", perDocuments: 1 },
  { op: "cadena", name: "cadena from parsed", perDocuments: 1 },
  // The full path runs over the sealed documents only, so its ceiling is bare parsing of those bytes.
  { op: "bareSealed", name: "bare fast-xml-parser, sealed documents", perDocuments: 1 },
  { op: "full", name: "full path: parse + cadena + verify Sello", perDocuments: 1 },
  // One invoice per ten documents: 1,000 sealed invoices are plenty and keep the run short.
  { op: "build", name: "build + seal 10-line invoice", perDocuments: 10 },
];
/**
 * The machine (a shared VM) drifts by tens of percent over a minute, so operations are measured in
 * interleaved passes — every operation once per pass, in a fresh process or isolate each time — and
 * each keeps its best pass: a ratio then compares measurements taken moments apart.
 */
const PASSES = Math.max(1, Number(args.get("passes") ?? 5));

interface Result {
  name: string;
  docsPerSec: number;
  medianUs?: number;
  p99Us?: number;
}

function listXml(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return listXml(full);
    return name.endsWith(".xml") ? [full] : [];
  });
}

function loadInput(): CorpusInput {
  const files = [...listXml(join(FIXTURES, "cfdi", "40")), ...listXml(join(FIXTURES, "cfdi", "33"))].sort();
  const csdDir = join(FIXTURES, "csd", "EKU9003173C9");
  const example = JSON.parse(readFileSync(join(ROOT, "shared/cfdi/build/examples/ingreso.json"), "utf8"));
  return {
    docs: files.map((f) => new Uint8Array(readFileSync(f))),
    cer: new Uint8Array(readFileSync(join(csdDir, "EKU9003173C9.cer"))),
    key: new Uint8Array(readFileSync(join(csdDir, "EKU9003173C9.key"))),
    password: readFileSync(join(csdDir, "password.txt"), "utf8").trim(),
    invoice: tenLineInvoice(example),
  };
}

const percentile = (sorted: Float64Array, p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

/** Times every call (performance.now has sub-microsecond resolution in Node) after a warm-up. */
async function measure(name: string, corpus: Corpus, op: OpName, n: number): Promise<Result> {
  const fn = OPS[op] as (c: Corpus, i: number) => unknown;
  for (let i = 0; i < Math.min(n, 2000); i++) {
    const r = fn(corpus, i);
    if (r instanceof Promise) await r;
  }
  const times = new Float64Array(n);
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = fn(corpus, i);
    if (r instanceof Promise) await r;
    times[i] = performance.now() - t0;
  }
  const docsPerSec = (n / (performance.now() - start)) * 1000;
  times.sort();
  return { name, docsPerSec, medianUs: percentile(times, 0.5) * 1000, p99Us: percentile(times, 0.99) * 1000 };
}

/** One operation measured in a child process of its own; prints the Result as JSON. */
async function childMain(op: OpName) {
  const spec = OPERATIONS.find((o) => o.op === op)!;
  const corpus = await prepareCorpus(loadInput());
  const result = await measure(spec.name, corpus, op, Math.ceil(N / spec.perDocuments));
  console.log(JSON.stringify(result));
}

function measureInChild(op: OpName): Result {
  const run = spawnSync(
    process.execPath,
    ["--import", "tsx", fileURLToPath(import.meta.url), `--child=${op}`, `--n=${N}`],
    { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
  );
  if (run.status !== 0) throw new Error(`measuring ${op} failed (status ${run.status})`);
  return JSON.parse(run.stdout.trim().split("\n").pop()!) as Result;
}

/** Runs `pass` PASSES times and keeps, per operation, the result of its fastest pass. */
function bestOfPasses(pass: () => Result[]): Result[] {
  let best: Result[] | undefined;
  for (let i = 0; i < PASSES; i++) {
    const results = pass();
    best = best ? best.map((b, k) => (results[k]!.docsPerSec > b.docsPerSec ? results[k]! : b)) : results;
  }
  return best!;
}

/** xsltproc over the same N documents, one process per CFDI version, timed as a whole. */
function measureXsltproc(input: CorpusInput, n: number): Result | string {
  if (spawnSync("xsltproc", ["--version"]).status !== 0) return "xsltproc not installed";
  const dir = mkdtempSync(join(tmpdir(), "timbre-bench-"));
  try {
    const byVersion: Record<"3.3" | "4.0", string[]> = { "3.3": [], "4.0": [] };
    const versions = input.docs.map((d) => parseCfdi(d).Version);
    for (let i = 0; i < n; i++) {
      const k = i % input.docs.length;
      const file = `${i}.xml`;
      writeFileSync(join(dir, file), input.docs[k]!);
      byVersion[versions[k]!].push(file);
    }
    const start = performance.now();
    for (const version of ["4.0", "3.3"] as const) {
      if (byVersion[version].length === 0) continue;
      const run = spawnSync("xsltproc", [XSLT[version], ...byVersion[version]], {
        cwd: dir,
        stdio: ["ignore", "ignore", "ignore"],
      });
      if (run.status !== 0) return `xsltproc failed (status ${run.status})`;
    }
    return {
      name: "xsltproc cadena (1 process per version)",
      docsPerSec: (n / (performance.now() - start)) * 1000,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The same operations inside workerd, via wrangler's unstable_startWorker (a fresh Worker per
 * operation), timed from Node: one request per pass, minus an empty request of the same N
 * so that the proxy's and the scheduler's share is not counted.
 */
async function measureWorkerd(input: CorpusInput, n: number): Promise<Result[]> {
  process.env.WRANGLER_SEND_METRICS = "false";
  // Offline: use miniflare's placeholder Request.cf instead of fetching it from Cloudflare.
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
  const { unstable_startWorker } = await import("wrangler");
  const body = JSON.stringify({
    docs: input.docs.map(bytesToBase64),
    cer: bytesToBase64(input.cer),
    key: bytesToBase64(input.key),
    password: input.password,
    invoice: input.invoice,
  });
  const results: Result[] = [];
  for (const { op, name, perDocuments } of OPERATIONS) {
    const worker = await unstable_startWorker({
      config: join(ROOT, "bench", "wrangler.toml"),
      dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, watch: false, logLevel: "warn" },
    });
    try {
      await worker.ready;
      const load = await worker.fetch("http://bench/load", { method: "POST", body });
      if (!load.ok) throw new Error(`bench worker failed to load: ${await load.text()}`);
      const timeRun = async (which: OpName | "noop", count: number) => {
        const t0 = performance.now();
        const res = await worker.fetch(`http://bench/run?op=${which}&n=${count}`);
        if (!res.ok) throw new Error(`workerd ${which}: ${await res.text()}`);
        await res.json();
        return performance.now() - t0;
      };
      const count = Math.ceil(n / perDocuments);
      await timeRun(op, Math.min(count, 2000));
      const elapsed = (await timeRun(op, count)) - (await timeRun("noop", count));
      results.push({ name, docsPerSec: (count / elapsed) * 1000 });
    } finally {
      await worker.dispose();
    }
  }
  return results;
}

const fmt = (x: number | undefined, digits = 0) =>
  x === undefined
    ? "-"
    : x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

function table(title: string, rows: Result[], notes: Map<string, string>) {
  console.log(`\n${title}`);
  console.log(
    `${"operation".padEnd(44)}${"docs/s".padStart(10)}${"median µs".padStart(12)}${"p99 µs".padStart(10)}  vs target`,
  );
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(44)}${fmt(r.docsPerSec).padStart(10)}${fmt(r.medianUs, 1).padStart(12)}${fmt(r.p99Us, 1).padStart(10)}  ${notes.get(r.name) ?? ""}`,
    );
  }
}

function verdicts(rows: Result[], xslt: Result | undefined): Map<string, string> {
  const by = (prefix: string) => rows.find((r) => r.name.startsWith(prefix));
  const bare = by("bare fast-xml-parser")!;
  const bareSealed = by("bare fast-xml-parser, sealed")!;
  const notes = new Map<string, string>();
  const check = (ok: boolean, text: string) => `${ok ? "OK  " : "MISS"} ${text}`;
  const ratio = (a: number, b: number) => a / b;
  const parse = by("parseCfdi")!;
  notes.set(
    parse.name,
    check(
      ratio(parse.docsPerSec, bare.docsPerSec) >= TARGETS.parseVsBare,
      `${fmt(ratio(parse.docsPerSec, bare.docsPerSec) * 100)}% of bare (≥${TARGETS.parseVsBare * 100}%)`,
    ),
  );
  const full = by("full")!;
  const fullVsBare = ratio(full.docsPerSec, bareSealed.docsPerSec);
  let fullNote = check(
    fullVsBare >= TARGETS.fullVsBare,
    `${fmt(fullVsBare * 100)}% of bare on the same bytes (≥${TARGETS.fullVsBare * 100}%)`,
  );
  const cadena = by("cadena")!;
  if (xslt) {
    const c = ratio(cadena.docsPerSec, xslt.docsPerSec);
    notes.set(
      cadena.name,
      check(c >= TARGETS.cadenaVsXsltproc, `${fmt(c, 1)}× xsltproc (≥${TARGETS.cadenaVsXsltproc}×)`),
    );
    const f = ratio(full.docsPerSec, xslt.docsPerSec);
    fullNote += `; ${check(f >= TARGETS.fullVsXsltproc, `${fmt(f, 2)}× xsltproc (≥${TARGETS.fullVsXsltproc}×)`)}`;
  }
  notes.set(full.name, fullNote);
  const build = by("build")!;
  const ms = build.medianUs !== undefined ? build.medianUs / 1000 : 1000 / build.docsPerSec;
  notes.set(
    build.name,
    check(ms <= TARGETS.buildSealMs, `${fmt(ms, 2)} ms per invoice (≤${TARGETS.buildSealMs} ms)`),
  );
  notes.set(bare.name, "ceiling");
  notes.set(bareSealed.name, "ceiling of the full path");
  const attributes = by("fast-xml-parser with")!;
  notes.set(attributes.name, `info: ${fmt(ratio(attributes.docsPerSec, bare.docsPerSec) * 100)}% of bare`);
  return notes;
}

async function main() {
  const input = loadInput();
  const corpus = await prepareCorpus(input);
  const avgKb = input.docs.reduce((sum, d) => sum + d.length, 0) / input.docs.length / 1024;
  console.log(
    `Corpus: ${input.docs.length} CFDI 3.3/4.0 fixtures from ${relative(ROOT, FIXTURES)} (${fmt(avgKb, 1)} KB average; ${corpus.sealed.length} sealed) repeated to ${fmt(N)} documents; Node ${process.version}; best of ${PASSES} interleaved passes`,
  );

  const node = bestOfPasses(() => OPERATIONS.map(({ op }) => measureInChild(op)));
  const xslt = args.has("no-xsltproc") ? "skipped (--no-xsltproc)" : measureXsltproc(input, N);
  const xsltResult = typeof xslt === "string" ? undefined : xslt;
  table("Node", xsltResult ? [...node, xsltResult] : node, verdicts(node, xsltResult));
  if (typeof xslt === "string") console.log(`xsltproc: ${xslt}`);

  if (!args.has("no-workerd")) {
    const passes: Result[][] = [];
    for (let pass = 0; pass < PASSES; pass++) passes.push(await measureWorkerd(input, N));
    const workerd = bestOfPasses(() => passes.shift()!);
    table(
      "workerd (wrangler unstable_startWorker; per request, minus an empty request; per-document latency not observable)",
      workerd,
      verdicts(workerd, xsltResult),
    );
  }
  console.log(
    "\nReference points on the dev machine (lead): xsltproc ≈6,000 cadenas/s, bare fast-xml-parser ≈6,700 docs/s (7.6 KB average).",
  );
}

const child = args.get("child");
if (child) await childMain(child as OpName);
else await main();
