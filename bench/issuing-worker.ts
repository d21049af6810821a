/**
 * Bench Worker of issuing.bench.ts: the real OrgLedger Durable Object class behind a binding, and the
 * stamping CPU path in memory, each run N times per request so that the Node driver times it from
 * outside (inside workerd the clock does not advance during pure CPU work).
 *   POST /load                          body: StampCorpusInput as JSON (bytes as base64)
 *   GET  /stamp?invoice=&stamp=0|1&n=   build + seal (+ sandbox stamp) n invoices
 *   GET  /ledger?op=&org=&n=&c=         n allocations (or health calls) from c concurrent callers
 *   GET  /in-object?org=&n=             n allocations made inside the object, without RPC transport
 *   GET  /noop                          the request's own overhead
 */
import { OrgLedger } from "../durable-objects/org-ledger";
import { base64ToBytes } from "../shared/encoding";
import { type LedgerOp, prepareStampCorpus, runLedger, type StampCorpus, stampOnce } from "./issuing-ops";

export { OrgLedger };

/**
 * The same object with one bench method: reserve + commit n times through its own RPC methods,
 * so that the cost of the ledger's work can be told apart from the cost of reaching it.
 */
export class InObjectLedger extends OrgLedger {
  async allocateMany(n: number): Promise<number[]> {
    const folios: number[] = [];
    for (let i = 0; i < n; i++) {
      const reserved = await this.reserveFolio({ series: "", idempotencyKey: `in-object:${i}` });
      if (!reserved.ok) throw new Error(`reserve refused: ${reserved.code}`);
      const committed = this.commitFolio(reserved.value.reservationId);
      if (!committed.ok) throw new Error(`commit refused: ${committed.code}`);
      folios.push(reserved.value.folio);
    }
    return folios;
  }
}

interface Env {
  ORG_LEDGER: DurableObjectNamespace<OrgLedger>;
  IN_OBJECT_LEDGER: DurableObjectNamespace<InObjectLedger>;
}

let corpus: StampCorpus | undefined;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const param = (name: string, fallback: string) => url.searchParams.get(name) ?? fallback;
    const n = Number(param("n", "1"));
    switch (url.pathname) {
      case "/load": {
        const body = (await request.json()) as {
          cer: string;
          key: string;
          password: string;
          invoices: Record<string, unknown>;
        };
        corpus = await prepareStampCorpus({
          cer: base64ToBytes(body.cer),
          key: base64ToBytes(body.key),
          password: body.password,
          invoices: body.invoices,
        });
        return Response.json({ loaded: true });
      }
      case "/stamp": {
        if (!corpus) return new Response("POST /load first", { status: 409 });
        const invoice = param("invoice", "oneLine");
        const stamp = param("stamp", "1") === "1";
        for (let i = 0; i < n; i++) await stampOnce(corpus, invoice, stamp);
        return Response.json({ ran: n });
      }
      case "/ledger": {
        const folios = await runLedger(
          env,
          param("org", "bench"),
          param("op", "health") as LedgerOp,
          n,
          Number(param("c", "1")),
        );
        return Response.json({ folios });
      }
      case "/in-object": {
        const ns = env.IN_OBJECT_LEDGER;
        const folios = await ns.get(ns.idFromName(param("org", "bench"))).allocateMany(n);
        return Response.json({ folios });
      }
      case "/noop":
        return Response.json({ ran: 0 });
      default:
        return new Response("not found", { status: 404 });
    }
  },
};
