/**
 * The ZIP-import half of the inbox benchmark: distinct sealed CFDIs built by the engine with SAT's
 * test CSD, the engine-only cost of receiving them (the baseline), and the real import path
 * (uploadFile → startZipImport → runZipImport per queued slice) against embedded libSQL and the
 * in-memory R2 of test/node/db/libsql.ts.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { invoices, tasks } from "../db/schema";
import { buildCfdi, type InvoiceInput } from "../shared/cfdi/build";
import { type Csd, loadCsd } from "../shared/cfdi/csd";
import { parseCfdi } from "../shared/cfdi/parse";
import { validateCfdi } from "../shared/cfdi/validate";
import { verifyCfdi } from "../shared/cfdi/verify";
import { writeZip } from "../shared/zip/write";
import { openLibsql, PASSWORD } from "../test/node/db/libsql";
import { runZipImport } from "../workers/jobs/zip-import";
import { uploadFile } from "../workers/services/files";
import { createOrganization } from "../workers/services/organizations";
import { createUser } from "../workers/services/users";
import { startZipImport, type ZipImportJob } from "../workers/services/zip-imports";
import { PRODUCTS, prng } from "./inbox-seed";

const ISSUER = { rfc: "EKU9003173C9", name: "ESCUELA KEMPER URGATE", taxRegime: "601" };
const RECEIVER = { rfc: "MCI7306249Y1", name: "MUNICIPIO DE CUAUTITLAN IZCALLI", taxRegime: "603" };

export async function loadTestCsd(fixtures: string): Promise<Csd> {
  const dir = join(fixtures, "csd", ISSUER.rfc);
  return loadCsd({
    cer: new Uint8Array(readFileSync(join(dir, `${ISSUER.rfc}.cer`))),
    key: new Uint8Array(readFileSync(join(dir, `${ISSUER.rfc}.key`))),
    password: readFileSync(join(dir, "password.txt"), "utf8").trim(),
  });
}

/**
 * `n` distinct sealed invoices from the SAT test issuer to RECEIVER: 1–5 concepts of common product
 * keys, IVA 16 % (some exempt), PUE or PPD, unit prices with 2 to 6 decimals, issued over the last
 * 60 days.
 */
export async function buildDocuments(n: number, csd: Csd): Promise<Uint8Array[]> {
  const r = prng(7);
  const utf8 = new TextEncoder();
  const now = Date.now();
  const docs: Uint8Array[] = [];
  for (let i = 1; i <= n; i++) {
    const ppd = r.next() < 0.4;
    const issued = new Date(now - 6 * 3_600_000 - r.int(3_600, 60 * 86_400) * 1000);
    const input: InvoiceInput = {
      type: "I",
      series: "F",
      folio: String(i),
      date: issued.toISOString().slice(0, 19),
      issuer: ISSUER,
      receptor: {
        ...RECEIVER,
        postalCode: "54700",
        cfdiUse: r.weighted([
          ["G03", 8],
          ["G01", 2],
        ] as const),
      },
      expeditionPostalCode: "42501",
      paymentMethod: ppd ? "PPD" : "PUE",
      ...(ppd
        ? {}
        : {
            paymentForm: r.weighted([
              ["03", 7],
              ["04", 2],
              ["01", 1],
            ] as const),
          }),
      items: Array.from(
        {
          length: r.weighted([
            [1, 40],
            [2, 25],
            [3, 15],
            [4, 10],
            [5, 10],
          ] as const),
        },
        () => {
          const [productKey, description, unitKey] = r.pick(PRODUCTS);
          const decimals = r.int(2, 6);
          return {
            productKey,
            quantity: String(
              r.weighted([
                [1, 6],
                [r.int(2, 30), 4],
              ] as const),
            ),
            unitKey,
            description: `${description} ${r.int(1, 999)}`,
            unitPrice: (20 + r.next() * 20_000).toFixed(decimals),
            taxes:
              r.next() < 0.9
                ? [{ tax: "IVA" as const, factor: "Tasa" as const, rate: "0.16" }]
                : [{ tax: "IVA" as const, factor: "Exento" as const }],
          };
        },
      ),
    };
    docs.push(utf8.encode((await buildCfdi(input, { csd })).xml));
  }
  return docs;
}

/** The engine's share of receiving one document: parse, verify the seal, validate. */
export async function engineOnly(docs: readonly Uint8Array[]): Promise<number> {
  const started = performance.now();
  for (const doc of docs) {
    const cfdi = parseCfdi(doc);
    await verifyCfdi(cfdi);
    validateCfdi(cfdi);
  }
  return performance.now() - started;
}

export interface ImportResult {
  zipBytes: number;
  uploadMs: number;
  startMs: number;
  slicesMs: number;
  slices: number;
  task: typeof tasks.$inferSelect;
  stored: number;
}

/** Uploads the ZIP of `docs` and imports it through the request and queue paths, in order. */
export async function importZip(docs: readonly Uint8Array[]): Promise<ImportResult> {
  const h = await openLibsql();
  try {
    const user = await createUser(h.ctx, {
      firstName: "Ana",
      lastName: "Cuentas",
      emailAddress: "bench@example.com",
      password: PASSWORD,
    });
    const actor = h.as(user.id);
    const org = await createOrganization(actor, {
      name: RECEIVER.name,
      taxIdentifier: RECEIVER.rfc,
      taxRegimes: [RECEIVER.taxRegime],
    });
    const zip = writeZip(
      docs.map((data, i) => ({ name: `facturas/F-${String(i + 1).padStart(5, "0")}.xml`, data })),
    );

    let t0 = performance.now();
    const file = await uploadFile(actor, {
      organizationId: org.id,
      type: "invoices_upload_zip",
      readFile: async () => new File([zip], "facturas.zip", { type: "application/zip" }),
    });
    const uploadMs = performance.now() - t0;

    t0 = performance.now();
    const queuedBefore = h.sent.length;
    await startZipImport(actor, {
      organizationId: org.id,
      fileId: file.id,
      createOrganizationProspects: false,
      createProducts: false,
    });
    const startMs = performance.now() - t0;
    const slices = h.sent
      .slice(queuedBefore)
      .filter((m): m is ZipImportJob => m.type === "invoices.zip_import");

    t0 = performance.now();
    for (const slice of slices) await runZipImport(h.ctx, slice);
    const slicesMs = performance.now() - t0;

    const [task] = await h.db.select().from(tasks).where(eq(tasks.organizationId, org.id));
    const stored = (
      await h.db.select({ id: invoices.id }).from(invoices).where(eq(invoices.organizationId, org.id))
    ).length;
    return { zipBytes: zip.length, uploadMs, startMs, slicesMs, slices: slices.length, task: task!, stored };
  } finally {
    h.close();
  }
}
