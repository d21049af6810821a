/**
 * Synthetic inboxes for the inbox benchmark (bench/inbox.bench.ts): invoice rows, their concepts and
 * taxes as the receiving path stores them, with the distributions of a company's accounts payable
 * over two years, written in multi-row batches. Deterministic (seeded PRNG), so two runs measure the
 * same data.
 *
 * Shape of one inbox: ~300 issuers with a long tail (a few suppliers issue most invoices); issue dates
 * spread over the 24 months before `now`, stamped minutes later and received days later; statuses
 * follow the lifecycle by age (recent invoices wait for review or payment, old ones are settled);
 * 60 % PUE with a real payment form, 40 % PPD (99); mostly G03; 1–5 concepts with common product keys
 * and IVA (some exempt or 0 %, some with ISR/IVA withholdings); amounts with 2 to 6 decimals; a few
 * in USD or EUR with an exchange rate; 6 % archived, most older ones read, a few cancelled.
 */
import { getTableColumns, getTableName } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Db } from "../db/client";
import { invoiceItems, invoiceItemTaxes, invoices, invoiceTaxes } from "../db/schema";
import { type InvoiceStatus, STATUS_CODES } from "../shared/invoices/status";
import { mulberry32 } from "../test/node/helpers/random";

type InvoiceInsert = typeof invoices.$inferInsert;
type ItemInsert = typeof invoiceItems.$inferInsert;
type ItemTaxInsert = typeof invoiceItemTaxes.$inferInsert;
type TaxInsert = typeof invoiceTaxes.$inferInsert;

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Seeded helpers over mulberry32, so two runs seed the same inbox. */
export function prng(seed: number) {
  const next = mulberry32(seed);
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
  /** `[value, weight]` pairs. */
  const weighted = <T>(pairs: ReadonlyArray<readonly [T, number]>) => {
    const total = pairs.reduce((s, [, w]) => s + w, 0);
    let r = next() * total;
    for (const [value, w] of pairs) {
      r -= w;
      if (r < 0) return value;
    }
    return pairs.at(-1)![0];
  };
  /** A version-4-shaped UUID from the generator (crypto.randomUUID would make runs differ). */
  const uuid = () => {
    let hex = "";
    for (let i = 0; i < 4; i++) {
      const w = Math.floor(next() * 4294967296);
      hex += HEX[w >>> 24]! + HEX[(w >>> 16) & 255]! + HEX[(w >>> 8) & 255]! + HEX[w & 255]!;
    }
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
  };
  /** A sampler over fixed `[value, weight]` pairs: binary search over the cumulative weights. */
  const sampler = <T>(pairs: ReadonlyArray<readonly [T, number]>) => {
    const cumulative: number[] = [];
    let total = 0;
    for (const [, w] of pairs) {
      total += w;
      cumulative.push(total);
    }
    return () => {
      const x = next() * total;
      let lo = 0;
      let hi = cumulative.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cumulative[mid]! > x) hi = mid;
        else lo = mid + 1;
      }
      return pairs[lo]![0];
    };
  };
  return { next, int, pick, weighted, sampler, uuid };
}
export type Prng = ReturnType<typeof prng>;

const LETTERS = [..."ABCDEFGHIJKLMNOPQRSTUVWXYZ"];
const ALNUM = [...LETTERS, ..."0123456789"];
const NAME_HEADS = [
  "Servicios",
  "Distribuidora",
  "Comercializadora",
  "Grupo",
  "Transportes",
  "Constructora",
  "Consultores",
  "Suministros",
  "Tecnologías",
  "Alimentos",
];
const NAME_TAILS = [
  "del Norte",
  "Integrales",
  "de Occidente",
  "Industriales",
  "del Bajío",
  "Peninsulares",
  "Médicos",
  "Logísticos",
  "Corporativos",
  "del Pacífico",
  "Mexicanos",
  "Avanzados",
];
const SURNAMES = ["García", "Hernández", "Martínez", "López", "González", "Pérez", "Rodríguez", "Sánchez"];
const GIVEN = ["María", "José", "Juan", "Guadalupe", "Francisco", "Alejandra", "Carlos", "Verónica"];

export interface Issuer {
  rfc: string;
  name: string;
  regime: string;
  postalCode: string;
  isEntity: boolean;
  /** Share of the inbox this issuer sends (a long tail). */
  weight: number;
}

/** `n` issuers, one in six a persona física (13-character RFC, régimen 612), Zipf-like weights. */
export function makeIssuers(r: Prng, n: number): Issuer[] {
  const seen = new Set<string>();
  const out: Issuer[] = [];
  for (let i = 0; out.length < n; i++) {
    const isEntity = i % 6 !== 5;
    const initials = Array.from({ length: isEntity ? 3 : 4 }, () => r.pick(LETTERS)).join("");
    const date = `${String(r.int(60, 99)).padStart(2, "0")}${String(r.int(1, 12)).padStart(2, "0")}${String(r.int(1, 28)).padStart(2, "0")}`;
    const rfc = `${initials}${date}${r.pick(ALNUM)}${r.pick(ALNUM)}${r.int(0, 9)}`;
    if (seen.has(rfc)) continue;
    seen.add(rfc);
    const name = isEntity
      ? `${r.pick(NAME_HEADS)} ${r.pick(NAME_TAILS)} ${initials} SA de CV`
      : `${r.pick(GIVEN)} ${r.pick(SURNAMES)} ${r.pick(SURNAMES)}`;
    out.push({
      rfc,
      name: name.toUpperCase(),
      regime: isEntity ? "601" : "612",
      postalCode: String(r.int(1000, 99999)).padStart(5, "0"),
      isEntity,
      weight: 1 / (out.length + 1) ** 0.9,
    });
  }
  return out;
}

/** Common ClaveProdServ of a company's purchases, with a description and unit. */
export const PRODUCTS: ReadonlyArray<readonly [string, string, string]> = [
  ["84111506", "Servicios de facturación", "E48"],
  ["80111600", "Servicios de personal temporal", "E48"],
  ["81112106", "Servicios de nube y hospedaje", "E48"],
  ["43211503", "Computadora portátil", "H87"],
  ["43211507", "Computadora de escritorio", "H87"],
  ["44121618", "Tijeras de oficina", "H87"],
  ["44122003", "Carpetas", "H87"],
  ["14111507", "Papel para impresora", "XBX"],
  ["15101514", "Gasolina Magna", "LTR"],
  ["15101505", "Diésel", "LTR"],
  ["78101802", "Transporte de carga por carretera", "E48"],
  ["78102203", "Servicios de paquetería", "E48"],
  ["72101500", "Servicios de mantenimiento de edificios", "E48"],
  ["76111500", "Servicios de limpieza", "E48"],
  ["80131500", "Arrendamiento de inmuebles", "E48"],
  ["83111603", "Servicio de telefonía celular", "E48"],
  ["83101800", "Energía eléctrica", "KWH"],
  ["50202306", "Refrescos", "H87"],
  ["50181900", "Pan y galletas", "H87"],
  ["90101501", "Servicios de restaurante", "E48"],
  ["90111800", "Hospedaje", "E48"],
  ["80141600", "Publicidad", "E48"],
  ["86101700", "Capacitación", "E48"],
  ["84111600", "Servicios de auditoría", "E48"],
  ["80121700", "Servicios legales", "E48"],
  ["25172504", "Llantas", "H87"],
  ["26111701", "Baterías", "H87"],
  ["31162800", "Tornillería", "KGM"],
  ["40141700", "Válvulas", "H87"],
  ["46181504", "Guantes de seguridad", "PR"],
];

const PAYMENT_FORMS_PUE: ReadonlyArray<readonly [string, number]> = [
  ["03", 70],
  ["04", 12],
  ["28", 6],
  ["01", 5],
  ["02", 4],
  ["06", 3],
];
const CFDI_USES: ReadonlyArray<readonly [string, number]> = [
  ["G03", 72],
  ["G01", 14],
  ["I04", 4],
  ["I08", 3],
  ["G02", 3],
  ["S01", 2],
  ["CP01", 2],
];
const CURRENCIES: ReadonlyArray<readonly [readonly [string, string | null], number]> = [
  [["MXN", null], 95],
  [["USD", "17.1234"], 4],
  [["EUR", "18.987654"], 1],
];

const DAY = 86_400_000;
/** Mexico City has been UTC−6 all year since 2022: local CFDI wall time → UTC instant. */
const LOCAL_OFFSET = 6 * 3_600_000;
const wall = (t: number) => new Date(t).toISOString().slice(0, 19);
const iso = (t: number) => new Date(t).toISOString();

/** Micros of a random amount in [min, max) pesos with `decimals` significant decimals (2–6). */
function amountMicros(r: Prng, min: number, max: number, decimals: number): number {
  const step = 10 ** (6 - decimals);
  return Math.round((min + r.next() * (max - min)) * 10 ** decimals) * step;
}
/**
 * Decimal text of integer millionths, as shared/invoices/record's fromMicros writes it ("1160.5"),
 * without decimal.js: every seeded amount is a safe integer, and seeding a 100k inbox formats
 * millions of them.
 */
function fromMicros(micros: number): string {
  const sign = micros < 0 ? "-" : "";
  const abs = Math.abs(micros);
  const units = Math.floor(abs / 1_000_000);
  const fraction = String(abs % 1_000_000)
    .padStart(6, "0")
    .replace(/0+$/, "");
  return `${sign}${units}${fraction ? `.${fraction}` : ""}`;
}
const rate = (micros: number, rateMicros: number) => Math.round((micros * rateMicros) / 1_000_000);

/** The status an invoice has reached `ageDays` after it was received. */
function lifecycle(r: Prng, ageDays: number): InvoiceStatus {
  if (r.next() < 0.025) return "not_valid";
  if (ageDays < 3)
    return r.weighted([
      ["sent", 85],
      ["accepted", 10],
      ["processing", 5],
    ] as const);
  if (ageDays < 45)
    return r.weighted([
      ["sent", 20],
      ["accepted", 50],
      ["paid", 20],
      ["rejected", 5],
      ["completed", 5],
    ] as const);
  if (ageDays < 120)
    return r.weighted([
      ["accepted", 15],
      ["paid", 30],
      ["completed", 45],
      ["rejected", 6],
      ["sent", 4],
    ] as const);
  return r.weighted([
    ["completed", 82],
    ["paid", 8],
    ["rejected", 6],
    ["accepted", 3],
    ["sent", 1],
  ] as const);
}

export interface SeededInvoice {
  invoice: InvoiceInsert;
  items: ItemInsert[];
  itemTaxes: ItemTaxInsert[];
  taxes: TaxInsert[];
}

/** The organization that receives, and who sends to it. */
export interface Inbox {
  organizationId: string;
  recipient: { rfc: string; name: string };
  /** Draws an issuer by its weight. */
  issuer: () => Issuer;
}

export const inbox = (
  r: Prng,
  organizationId: string,
  recipient: Inbox["recipient"],
  issuers: readonly Issuer[],
): Inbox => ({ organizationId, recipient, issuer: r.sampler(issuers.map((i) => [i, i.weight] as const)) });

/** One received invoice of the inbox, issued up to 24 months before `now`. */
export function makeInvoice(
  r: Prng,
  { organizationId, recipient, issuer: drawIssuer }: Inbox,
  now: number,
): SeededInvoice {
  const issuer = drawIssuer();
  const id = r.uuid();
  // Received over the last 24 months, more in recent ones (the business grows), days after it was
  // stamped (Mexico City wall time) and minutes after it was issued.
  const created = now - 60_000 - Math.floor(730 * (1 - Math.sqrt(r.next())) * DAY) - r.int(0, 86_399) * 1000;
  const stamped = created - LOCAL_OFFSET - Math.floor(r.next() ** 3 * 10 * DAY);
  const issued = stamped - r.int(5, 600) * 1000;
  const ageDays = (now - created) / DAY;
  const status = lifecycle(r, ageDays);
  const ppd = r.next() < 0.4;
  const [currency, exchangeRate] = r.weighted(CURRENCIES);
  const withholds = !issuer.isEntity || r.next() < 0.05;

  const items: ItemInsert[] = [];
  const itemTaxes: ItemTaxInsert[] = [];
  const byTax = new Map<string, ItemTaxInsert & { baseMicros: number; valueMicros: number }>();
  const createdAt = iso(created);
  let net = 0;
  let discount = 0;
  let transferred = 0;
  let withheld = 0;
  const lines = r.weighted([
    [1, 40],
    [2, 25],
    [3, 15],
    [4, 10],
    [5, 10],
  ] as const);
  for (let position = 1; position <= lines; position++) {
    const [itemKey, description, unitKey] = r.pick(PRODUCTS);
    const quantity = r.weighted([
      [1, 50],
      [2, 15],
      [r.int(3, 50), 25],
      [r.int(1, 40) + 0.5, 10],
    ] as const);
    const unit = amountMicros(r, 20, quantity > 10 ? 900 : 25_000, r.int(2, 6));
    const importe = Math.round(quantity * unit);
    const lineDiscount = r.next() < 0.08 ? Math.round(importe / 20) : 0;
    const base = importe - lineDiscount;
    const itemId = r.uuid();
    net += importe;
    discount += lineDiscount;
    const lineTaxes: Array<{
      taxId: string;
      code: string;
      withholding: boolean;
      rate: string | null;
      value: number;
    }> = [];
    const iva = r.weighted([
      ["0.160000", 88],
      ["0.000000", 6],
      [null, 6],
    ] as const);
    lineTaxes.push({
      taxId: "002",
      code: "IVA",
      withholding: false,
      rate: iva,
      value: iva ? rate(base, Number(iva) * 1e6) : 0,
    });
    if (withholds && iva === "0.160000") {
      lineTaxes.push({
        taxId: "001",
        code: "ISR",
        withholding: true,
        rate: "0.100000",
        value: rate(base, 100_000),
      });
      lineTaxes.push({
        taxId: "002",
        code: "IVA",
        withholding: true,
        rate: "0.106667",
        value: rate(base, 106_667),
      });
    }
    let lineGross = base;
    for (const t of lineTaxes) {
      if (t.withholding) {
        withheld += t.value;
        lineGross -= t.value;
      } else {
        transferred += t.value;
        lineGross += t.value;
      }
      const row: ItemTaxInsert = {
        id: r.uuid(),
        invoiceId: id,
        invoiceItemId: itemId,
        taxId: t.taxId,
        code: t.code,
        isWithholding: t.withholding,
        factor: t.rate === null ? "Exento" : "Tasa",
        rate: t.rate,
        baseAmount: fromMicros(base),
        value: t.rate === null ? null : fromMicros(t.value),
        createdAt,
        updatedAt: createdAt,
      };
      itemTaxes.push(row);
      const key = `${t.taxId}|${t.withholding}|${t.rate}`;
      const group = byTax.get(key);
      if (group) {
        group.baseMicros += base;
        group.valueMicros += t.value;
      } else {
        byTax.set(key, { ...row, id: r.uuid(), baseMicros: base, valueMicros: t.value });
      }
    }
    items.push({
      id: itemId,
      invoiceId: id,
      position,
      itemKey,
      identification: r.next() < 0.3 ? `SKU-${r.int(1000, 99999)}` : null,
      quantity: String(quantity),
      unitKey,
      unitDescription: null,
      description:
        `${description} ${r.pick(["", "mensual", "lote", "folio", "pedido"])} ${r.int(1, 999)}`.replace(
          /\s+/g,
          " ",
        ),
      netUnitPriceAmount: fromMicros(unit),
      netPriceAmount: fromMicros(importe),
      discount: fromMicros(lineDiscount),
      grossPriceAmount: fromMicros(lineGross),
      taxObject: "02",
      createdAt,
      updatedAt: createdAt,
    });
  }
  const gross = net - discount + transferred - withheld;
  const taxes: TaxInsert[] = [...byTax.values()].map(
    ({ baseMicros, valueMicros, invoiceItemId: _, ...t }) => ({
      ...t,
      baseAmount: fromMicros(baseMicros),
      value: t.rate === null ? null : fromMicros(valueMicros),
    }),
  );

  const valid = status !== "not_valid" && status !== "processing";
  const after = (from: number, minDays: number, maxDays: number) =>
    Math.min(now - 1000, from + minDays * DAY + Math.floor(r.next() * (maxDays - minDays) * DAY));
  const accepted = ["accepted", "paid", "completed"].includes(status) ? after(created, 0, 5) : null;
  const paid = ["paid", "completed"].includes(status) ? after(accepted!, 5, 40) : null;
  const completed = status === "completed" ? after(paid!, 1, 20) : null;
  // PUE is settled at issuance; PPD owes its total until a payment arrives.
  const settled = !ppd || paid !== null;
  const paidMicros = valid && settled ? gross : 0;
  const dueMicros = valid ? gross - paidMicros : 0;
  const archived = r.next() < 0.06 ? iso(after(created, 1, 60)) : null;
  const cancelled = r.next() < 0.01;
  const uuid = r.uuid().toUpperCase();
  return {
    invoice: {
      id,
      organizationId,
      providerId: null,
      status,
      statusCode: STATUS_CODES[status],
      uuid,
      cfdiVersion: "4.0",
      cfdiType: "I",
      series: r.pick(["A", "F", "FAC", null]),
      folioNumber: String(r.int(1, 99_999)),
      netPriceAmount: fromMicros(net),
      grossPriceAmount: fromMicros(gross),
      discount: fromMicros(discount),
      transferredTaxAmount: fromMicros(transferred),
      withheldTaxAmount: fromMicros(withheld),
      currencyCode: currency,
      exchangeRate,
      originalCurrencyCode: currency,
      cfdiUse: r.weighted(CFDI_USES),
      paymentMethod: ppd ? "PPD" : "PUE",
      paymentForm: ppd ? "99" : r.weighted(PAYMENT_FORMS_PUE),
      exportCode: "01",
      issuerName: issuer.name,
      issuerTaxIdentifier: issuer.rfc,
      issuerTaxRegime: issuer.regime,
      issuerPostalCode: issuer.postalCode,
      issuerCountry: "MEX",
      issuerIsEntity: issuer.isEntity,
      recipientName: recipient.name,
      recipientTaxIdentifier: recipient.rfc,
      recipientTaxRegime: "601",
      recipientPostalCode: "54700",
      recipientIsEntity: true,
      pacTaxIdentifier: r.pick(["SAT970701NN3", "FIN1203015JA", "SPR190613I52"]),
      xmlFileId: r.uuid(),
      pdfFileId: r.next() < 0.7 ? r.uuid() : null,
      issuedAt: wall(issued),
      stampedAt: wall(stamped),
      sentAt: valid ? createdAt : null,
      acceptedAt: accepted ? iso(accepted) : null,
      paidAt: paid ? iso(paid) : null,
      completedAt: completed ? iso(completed) : null,
      rejectedAt: status === "rejected" ? iso(after(created, 0, 10)) : null,
      paymentDueAt: valid ? iso(created + 30 * DAY) : null,
      lastPaymentAt: valid && settled ? iso(paid ?? created) : null,
      fullyPaidAt: valid && settled ? iso(paid ?? created) : null,
      paidAmount: fromMicros(paidMicros),
      dueAmount: fromMicros(dueMicros),
      grossPriceMicros: gross,
      netPriceMicros: net,
      discountMicros: discount,
      taxMicros: transferred - withheld,
      paidMicros,
      dueMicros,
      validationErrors:
        status === "not_valid"
          ? [{ code: "sello_invalid", message: "El sello no corresponde", source: "verification" }]
          : null,
      isCancelled: cancelled,
      cancelledAt: cancelled ? iso(after(created, 1, 30)) : null,
      isRead: ageDays > 7 ? r.next() < 0.9 : r.next() < 0.3,
      archivedByOrganizationAt: archived,
      source: r.weighted([
        ["upload", 55],
        ["zip", 45],
      ] as const),
      createdAt,
      updatedAt: iso(Math.max(created, completed ?? paid ?? accepted ?? created)),
    },
    items,
    itemTaxes,
    taxes,
  };
}

/**
 * libSQL binds up to 32,766 parameters per statement. insertRows (db/client) sizes statements for
 * D1's 100, which is one invoice row (95 columns) per statement: a 100k inbox would take minutes to
 * write that way, so the seeder writes statements of a few hundred rows instead.
 */
const LIBSQL_PARAMETERS = 32_000;
/** Invoices per atomic batch. */
const INVOICES_PER_BATCH = 2000;

type Statement = { sql: string; args: Array<string | number | null> };
interface Client {
  batch(statements: Statement[], mode: "write"): Promise<unknown>;
}

/**
 * Multi-row inserts of `rows` into `table` with every column bound, as drizzle would write them:
 * names, defaults and driver values (booleans, JSON) come from the table's own column definitions.
 */
function insertStatements(table: SQLiteTable, rows: ReadonlyArray<Record<string, unknown>>): Statement[] {
  const columns = Object.entries(getTableColumns(table));
  const tuple = `(${columns.map(() => "?").join(", ")})`;
  const head = `insert into "${getTableName(table)}" (${columns.map(([, c]) => `"${c.name}"`).join(", ")}) values `;
  const perStatement = Math.floor(LIBSQL_PARAMETERS / columns.length);
  const out: Statement[] = [];
  for (let i = 0; i < rows.length; i += perStatement) {
    const chunk = rows.slice(i, i + perStatement);
    const args: Statement["args"] = [];
    for (const row of chunk) {
      for (const [key, column] of columns) {
        const value = row[key] === undefined ? (column.default ?? null) : row[key];
        args.push(value === null ? null : (column.mapToDriverValue(value) as string | number));
      }
    }
    out.push({ sql: head + chunk.map(() => tuple).join(", "), args });
  }
  return out;
}

/**
 * Writes `count` invoices of the inbox (with their concepts and taxes) in atomic batches of
 * multi-row inserts; returns the rows written (all tables).
 */
export async function seedInvoices(db: Db, r: Prng, to: Inbox, count: number, now: number): Promise<number> {
  const client = (db as unknown as { $client: Client }).$client;
  let rows = 0;
  for (let done = 0; done < count; done += INVOICES_PER_BATCH) {
    const docs = Array.from({ length: Math.min(INVOICES_PER_BATCH, count - done) }, () =>
      makeInvoice(r, to, now),
    );
    await client.batch(
      [
        ...insertStatements(
          invoices,
          docs.map((d) => d.invoice),
        ),
        ...insertStatements(
          invoiceItems,
          docs.flatMap((d) => d.items),
        ),
        ...insertStatements(
          invoiceItemTaxes,
          docs.flatMap((d) => d.itemTaxes),
        ),
        ...insertStatements(
          invoiceTaxes,
          docs.flatMap((d) => d.taxes),
        ),
      ],
      "write",
    );
    rows += docs.reduce((n, d) => n + 1 + d.items.length + d.itemTaxes.length + d.taxes.length, 0);
  }
  return rows;
}
