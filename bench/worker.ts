/**
 * Bench Worker: holds the corpus in memory and runs one operation N times per request, so that the
 * Node driver (cfdi.bench.ts) can time it from outside; inside workerd the clock does not advance
 * during pure CPU work.
 *   POST /load          body: CorpusInput as JSON (Uint8Arrays as base64)
 *   GET  /run?op=&n=    runs OPS[op] n times ("noop" measures the request overhead)
 */
import { base64ToBytes } from "../shared/cfdi/csd";
import { type Corpus, type OpName, prepareCorpus, runMany } from "./ops";

interface LoadBody {
  docs: string[];
  cer: string;
  key: string;
  password: string;
  invoice: unknown;
}

let corpus: Corpus | undefined;

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/load" && request.method === "POST") {
      const body = (await request.json()) as LoadBody;
      corpus = await prepareCorpus({
        docs: body.docs.map((d) => base64ToBytes(d)),
        cer: base64ToBytes(body.cer),
        key: base64ToBytes(body.key),
        password: body.password,
        invoice: body.invoice,
      });
      return Response.json({ docs: corpus.docs.length, sealed: corpus.sealed.length });
    }
    if (url.pathname === "/run") {
      if (!corpus) return new Response("POST /load first", { status: 409 });
      const op = (url.searchParams.get("op") ?? "noop") as OpName | "noop";
      const n = Number(url.searchParams.get("n") ?? "1");
      return Response.json({ ran: await runMany(corpus, op, n) });
    }
    return new Response("not found", { status: 404 });
  },
};
