/**
 * The operations the CFDI benchmark measures, shared by the Node run (cfdi.bench.ts) and the
 * workerd run (worker.ts) so both time exactly the same code on the same corpus.
 */
import { XMLParser } from "fast-xml-parser";
import { buildCfdi } from "../shared/cfdi/build";
import { cadenaOriginal } from "../shared/cfdi/cadena";
import { type Csd, loadCsd } from "../shared/cfdi/csd";
import type { Cfdi } from "../shared/cfdi/model";
import { parseCfdi } from "../shared/cfdi/parse";
import { verifySello } from "../shared/cfdi/verify";

/** What a bench run is given: the fixture documents (each once) and the material to seal with. */
export interface CorpusInput {
  docs: Uint8Array[];
  cer: Uint8Array;
  key: Uint8Array;
  password: string;
  /** A build input (invoice JSON) with 10 conceptos. */
  invoice: unknown;
}

export interface Corpus {
  docs: Uint8Array[];
  parsed: Cfdi[];
  /** Documents that carry a Sello and Certificado: the full-path verification corpus. */
  sealed: Uint8Array[];
  csd: Csd;
  invoice: unknown;
}

export async function prepareCorpus(input: CorpusInput): Promise<Corpus> {
  const parsed = input.docs.map((doc) => parseCfdi(doc));
  const sealed = input.docs.filter((_, i) => parsed[i]!.Sello && parsed[i]!.Certificado);
  const csd = await loadCsd({ cer: input.cer, key: input.key, password: input.password });
  return { docs: input.docs, parsed, sealed, csd, invoice: input.invoice };
}

/** fast-xml-parser with its default options: the cost of merely reading the bytes, our ceiling. */
const bareParser = new XMLParser();
/** fast-xml-parser reading attributes too, as a straightforward CFDI parser would have to. */
const attributesParser = new XMLParser({ ignoreAttributes: false });

export type Op = (corpus: Corpus, i: number) => unknown;

export const OPS = {
  bare: (c, i) => bareParser.parse(c.docs[i % c.docs.length]!),
  bareSealed: (c, i) => bareParser.parse(c.sealed[i % c.sealed.length]!),
  attributes: (c, i) => attributesParser.parse(c.docs[i % c.docs.length]!),
  parse: (c, i) => parseCfdi(c.docs[i % c.docs.length]!),
  cadena: (c, i) => cadenaOriginal(c.parsed[i % c.parsed.length]!),
  full: (c, i) => {
    const cfdi = parseCfdi(c.sealed[i % c.sealed.length]!);
    return verifySello(cfdi, cadenaOriginal(cfdi));
  },
  build: (c) => buildCfdi(c.invoice, { csd: c.csd }),
} satisfies Record<string, Op>;

export type OpName = keyof typeof OPS;

/** Runs `op` n times (awaiting when it is asynchronous); the workerd side of the measurement. */
export async function runMany(corpus: Corpus, name: OpName | "noop", n: number): Promise<number> {
  if (name === "noop") return 0;
  const op: Op = OPS[name];
  let sink = 0;
  for (let i = 0; i < n; i++) {
    const result = op(corpus, i);
    if (result instanceof Promise) await result;
    sink++;
  }
  return sink;
}

/** The example 2-line invoice of the build docs stretched to 10 conceptos. */
export function tenLineInvoice(example: { items: unknown[] } & Record<string, unknown>): unknown {
  const items = Array.from({ length: 10 }, (_, i) => ({
    ...(example.items[i % example.items.length] as object),
    description: `Concepto ${i + 1}`,
  }));
  return { ...example, items };
}
