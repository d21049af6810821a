/**
 * What the issuing benchmark (issuing.bench.ts) times, shared by the Node run and the bench Worker
 * (issuing-worker.ts) so both run exactly the same code:
 * - the CPU of one stamp: build + seal (the engine, with the SAT test CSD) and then the embedded
 *   sandbox PAC's stamp, for the body the end-to-end run sends (1 concepto) and for 10 conceptos;
 * - folio allocations through the OrgLedger Durable Object (reserve + commit, the two RPCs a stamp
 *   makes for its folio, through workers/services/ledger.ts as the Worker does) against its health
 *   RPC, at a given number of concurrent callers.
 */
import type { OrgLedger } from "../durable-objects/org-ledger";
import { buildCfdi } from "../shared/cfdi/build";
import { type Csd, loadCsd } from "../shared/cfdi/csd";
import { SandboxPac } from "../shared/pac";
import { ledgerCall } from "../workers/services/ledger";

export interface StampCorpusInput {
  cer: Uint8Array;
  key: Uint8Array;
  password: string;
  /** Engine inputs (shared/cfdi/build), each stamped with its own folio. */
  invoices: Record<string, unknown>;
}

export interface StampCorpus {
  csd: Csd;
  invoices: Record<string, Record<string, unknown>>;
  sandbox: SandboxPac;
}

export const prepareStampCorpus = async (input: StampCorpusInput): Promise<StampCorpus> => ({
  csd: await loadCsd({ cer: input.cer, key: input.key, password: input.password }),
  invoices: input.invoices as Record<string, Record<string, unknown>>,
  sandbox: new SandboxPac(),
});

let sequence = 0;

/**
 * Builds and seals invoice `name` with a folio of its own (a sealed document is unique, so the
 * sandbox never answers from its replay memory), and stamps it when `stamp` is set.
 */
export async function stampOnce(corpus: StampCorpus, name: string, stamp: boolean): Promise<number> {
  const folio = String(++sequence);
  const sealed = await buildCfdi({ ...corpus.invoices[name], series: "B", folio }, { csd: corpus.csd });
  if (!stamp) return sealed.xml.length;
  const stamped = await corpus.sandbox.stamp({ xml: sealed.xml, idempotencyKey: `bench-${folio}` });
  return stamped.xml.length;
}

/** The stamp body of the end-to-end run, as the engine's input. */
export const ONE_LINE_INVOICE = {
  type: "I",
  issuer: { rfc: "EKU9003173C9", name: "ESCUELA KEMPER URGATE", taxRegime: "601" },
  receptor: {
    rfc: "MCI7306249Y1",
    name: "MUNICIPIO DE CUAUTITLAN IZCALLI",
    taxRegime: "603",
    postalCode: "54700",
    cfdiUse: "G03",
  },
  expeditionPostalCode: "42501",
  paymentForm: "03",
  paymentMethod: "PUE",
  items: [
    {
      productKey: "86121600",
      unitKey: "E48",
      description: "Curso de actualización",
      quantity: "2",
      unitPrice: "1500.00",
      taxes: [{ tax: "IVA", factor: "Tasa", rate: "0.16" }],
    },
  ],
};

/** The first invoice with `lines` conceptos (the example's lines repeated). */
export function withLines(invoice: { items: unknown[] }, lines: number) {
  const items = Array.from({ length: lines }, (_, i) => ({
    ...(invoice.items[i % invoice.items.length] as object),
    description: `Concepto ${i + 1}`,
  }));
  return { ...invoice, items };
}

export type LedgerOp = "allocate" | "health";

type LedgerEnv = { ORG_LEDGER: DurableObjectNamespace<OrgLedger> };

/**
 * Runs `n` ledger operations for one organization from `concurrency` callers at once and returns
 * the folios allocated (empty for health). One allocation is a reservation then its commit.
 */
export async function runLedger(
  env: LedgerEnv,
  organizationId: string,
  op: LedgerOp,
  n: number,
  concurrency: number,
): Promise<number[]> {
  const folios: number[] = [];
  let next = 0;
  const caller = async () => {
    while (next < n) {
      const i = next++;
      if (op === "health") {
        await ledgerCall(env, organizationId, async (l) => ({
          ok: true,
          value: await l.health(organizationId),
        }));
        continue;
      }
      const idempotencyKey = `bench:${organizationId}:${i}`;
      const r = await ledgerCall(env, organizationId, (l) => l.reserveFolio({ series: "", idempotencyKey }));
      await ledgerCall(env, organizationId, (l) => l.commitFolio(r.reservationId));
      folios.push(r.folio);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, caller));
  return folios;
}
