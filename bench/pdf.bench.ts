/**
 * Printed-representation benchmark (`npx tsx bench/pdf.bench.ts`): median milliseconds of `cfdiPdf`
 * for a stamped CFDI with 10 and with 500 conceptos (the fixture's own, repeated with numbered
 * descriptions), after a warm-up, with the page count and size of each file.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Cfdi } from "../shared/cfdi/model";
import { parseCfdi } from "../shared/cfdi/parse";
import { cfdiPdf } from "../shared/pdf/cfdi";

const FIXTURE = resolve(
  fileURLToPath(new URL("..", import.meta.url)),
  "../shared/fixtures/cfdi/40/test-ingreso-XIQB-persona-fisica-iva16-retenciones-stamped.xml",
);

function withConceptos(cfdi: Cfdi, count: number): Cfdi {
  const base = cfdi.Conceptos;
  return {
    ...cfdi,
    Conceptos: Array.from({ length: count }, (_, i) => ({
      ...base[i % base.length]!,
      Descripcion: `${i + 1}. ${base[i % base.length]!.Descripcion} de mantenimiento y soporte técnico`,
    })),
  };
}

const cfdi = parseCfdi(readFileSync(FIXTURE));
for (const [conceptos, runs] of [
  [10, 200],
  [500, 20],
] as const) {
  const input = withConceptos(cfdi, conceptos);
  for (let i = 0; i < 3; i++) cfdiPdf(input);
  const times: number[] = [];
  let bytes = new Uint8Array();
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    bytes = cfdiPdf(input);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  const pages = (
    Buffer.from(bytes)
      .toString("latin1")
      .match(/\/Type \/Page /g) ?? []
  ).length;
  console.log(
    `cfdiPdf ${String(conceptos).padStart(3)} conceptos: median ${median.toFixed(2)} ms over ${runs} runs ` +
      `(${pages} pages, ${(bytes.length / 1024).toFixed(1)} KiB)`,
  );
}
