/**
 * SAT catalog search benchmark (`npx tsx bench/catalogs.bench.ts`), issue #6's target: unit-key
 * search answers in ≤ 5 ms in process. Measures, for a fixed set of queries users type (short
 * prefixes, whole words, accents, keys, multi-word), the first call of each index (the one-time
 * per-isolate build: column split, folding) and then median and p99 per query of:
 * - `searchUnitKeys` (c_ClaveUnidad, 2,418 units) and `searchProductKeys` (c_ClaveProdServ, 52,514);
 * - the baseline in the same run: a naive filter over the raw rows (one object per row, every
 *   query folding each row's text with toLowerCase/normalize, then the same ranking sort).
 * Prints PASS/MISS against the 5 ms target for both searches. Options: --runs=100 (per query).
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseCsvRecords } from "../shared/catalogs/csv";
import { CLAVES_UNIDAD } from "../shared/catalogs/data/claves-unidad";
import { searchProductKeys } from "../shared/catalogs/product-keys";
import { searchUnitKeys } from "../shared/catalogs/unit-keys";

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const TARGET_MS = 5;
const LIMIT = 30;
const runsArg = process.argv.find((a) => a.startsWith("--runs="));
const RUNS = Math.max(10, Number(runsArg?.split("=")[1] ?? 100));
/** The naive product-key baseline costs ~0.1 s a call: a few runs keep the whole bench under 30 s. */
const NAIVE_PRODUCT_RUNS = 5;

const UNIT_QUERIES = ["pie", "pieza", "kilo", "metro cuadrado", "servicio", "H87", "litro", "caja"];
const PRODUCT_QUERIES = [
  "ser",
  "servicios",
  "facturación",
  "camion",
  "computadora portatil",
  "tornillo",
  "84111506",
  "8411",
  "piña",
  "consultoria",
];

interface Row {
  key: string;
  texts: string[];
}

/** The obvious implementation: fold every row per query, keep rows holding every word, rank, sort. */
function naiveSearch(rows: readonly Row[], query: string, limit: number): Row[] {
  const fold = (s: string) =>
    s
      .toLowerCase()
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "");
  const q = fold(query).trim();
  const words = q.split(/\s+/);
  const hits: Array<[number, number, Row]> = [];
  rows.forEach((row, i) => {
    const key = fold(row.key);
    const texts = row.texts.map(fold);
    const all = texts.join(" ");
    if (key.startsWith(q)) hits.push([key === q ? 0 : 1, i, row]);
    else if (words.every((w) => all.includes(w))) hits.push([texts[0]!.startsWith(q) ? 2 : 4, i, row]);
  });
  hits.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return hits.slice(0, limit).map((h) => h[2]);
}

function time<T>(fn: () => T): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
  return { median: at(0.5), p99: at(0.99) };
}

/** Every query RUNS times, interleaved, after a warm-up; all samples of all queries together. */
function measure(queries: string[], fn: (q: string) => unknown, runs: number) {
  for (const q of queries) for (let i = 0; i < 5; i++) fn(q);
  const all: number[] = [];
  const perQuery = new Map<string, number[]>(queries.map((q) => [q, []]));
  for (let r = 0; r < runs; r++)
    for (const q of queries) {
      const t = time(() => fn(q));
      all.push(t);
      perQuery.get(q)!.push(t);
    }
  return { all: stats(all), perQuery: [...perQuery].map(([q, s]) => [q, stats(s)] as const) };
}

const ms = (n: number) => `${n.toFixed(3)} ms`;

function report(
  name: string,
  first: number,
  indexed: ReturnType<typeof measure>,
  naive: ReturnType<typeof measure>,
) {
  console.log(`\n${name}`);
  console.log(`  first call (builds the index once per isolate): ${ms(first)}`);
  console.log("  query                    index median / p99        naive median / p99");
  indexed.perQuery.forEach(([q, s], i) => {
    const n = naive.perQuery[i]![1];
    console.log(
      `  ${q.padEnd(24)} ${ms(s.median).padStart(10)} / ${ms(s.p99).padEnd(12)} ${ms(n.median).padStart(10)} / ${ms(n.p99)}`,
    );
  });
  const verdict =
    indexed.all.p99 <= TARGET_MS
      ? "PASS"
      : indexed.all.median <= TARGET_MS
        ? "PASS (median; p99 MISS)"
        : "MISS";
  console.log(
    `  all queries: index median ${ms(indexed.all.median)}, p99 ${ms(indexed.all.p99)}; naive median ${ms(naive.all.median)}, p99 ${ms(naive.all.p99)}; speed-up ×${(naive.all.median / indexed.all.median).toFixed(1)} (median)`,
  );
  console.log(`  target ≤ ${TARGET_MS} ms: ${verdict}`);
}

const unitRows: Row[] = CLAVES_UNIDAD.map((e) => ({ key: e.clave, texts: [e.texto, e.simbolo ?? ""] }));
const [, ...prodRecords] = parseCsvRecords(
  readFileSync(resolve(ROOT, "../shared/fixtures/catalogs/large/c_ClaveProdServ.csv"), "utf8"),
);
const productRows: Row[] = prodRecords.map((r) => ({ key: r[0]!, texts: [r[1]!, r[8]!] }));

console.log(`SAT catalog search, ${RUNS} runs per query, limit ${LIMIT}, Node ${process.version}`);
const unitFirst = time(() => searchUnitKeys("pieza", LIMIT));
const productFirst = time(() => searchProductKeys("facturación", LIMIT));
report(
  `unit keys (${unitRows.length} rows)`,
  unitFirst,
  measure(UNIT_QUERIES, (q) => searchUnitKeys(q, LIMIT), RUNS),
  measure(UNIT_QUERIES, (q) => naiveSearch(unitRows, q, LIMIT), RUNS),
);
report(
  `product keys (${productRows.length} rows)`,
  productFirst,
  measure(PRODUCT_QUERIES, (q) => searchProductKeys(q, LIMIT), RUNS),
  measure(PRODUCT_QUERIES, (q) => naiveSearch(productRows, q, LIMIT), NAIVE_PRODUCT_RUNS),
);
