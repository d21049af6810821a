/**
 * The printed representation (representación impresa) of a CFDI as a PDF: issuer and receiver, the
 * document's data, the conceptos table (wrapped, paginated with its header repeated), taxes and
 * totals with the amount in words, and, once stamped, the TimbreFiscalDigital data, both seals, the
 * TFD's cadena original and SAT's verification QR code (Anexo 20, apartado D). Catalog keys print
 * with their SAT description; amounts print exactly as the XML writes them, with thousands separators.
 */

import {
  type Catalog,
  type CatalogEntry,
  exportaciones,
  formasPago,
  impuestos,
  metodosPago,
  objetosImpuesto,
  regimenesFiscales,
  tiposComprobante,
  tiposRelacion,
  usosCfdi,
} from "../catalogs";
import { dec } from "../cfdi/amounts";
import { tfdCadena } from "../cfdi/cadena";
import { type Cfdi, type Concepto, complemento, type TimbreFiscalDigital, timbre } from "../cfdi/model";
import { LETTER, PdfDocument, type PdfPage, type TextStyle } from "./document";
import { type FontName, textWidth } from "./metrics";
import { encodeQr } from "./qr";
import { amountInWords } from "./words";

const MARGIN = 36;
const CONTENT_WIDTH = LETTER.width - 2 * MARGIN;
const RIGHT = LETTER.width - MARGIN;
const TOP = LETTER.height - MARGIN;
/** Content stops here; the footer sits below. */
const BOTTOM = 48;
const BODY = 7.5;
const LINE = 9.5;
const SMALL = 6;
const SMALL_LINE = 7.2;
const BOLD: FontName = "Helvetica-Bold";

/** SAT's verification URL for the QR code (Anexo 20, apartado D). */
export function satVerificationUrl(cfdi: Cfdi, tfd: TimbreFiscalDigital): string {
  // "tt": the Total without non-significant zeros, keeping one decimal; "fe": the Sello's last 8 characters.
  let total = dec(cfdi.Total).toFixed();
  if (!total.includes(".")) total += ".0";
  const sello = cfdi.Sello ?? "";
  return (
    "https://verificacfdi.facturaelectronica.sat.gob.mx/default.aspx" +
    `?id=${tfd.UUID}&re=${encodeURIComponent(cfdi.Emisor.Rfc)}&rr=${encodeURIComponent(cfdi.Receptor.Rfc)}` +
    `&tt=${total}&fe=${sello.slice(-8)}`
  );
}

/** "1234567.50" → "1,234,567.50": the digits as written, grouped. */
export function groupThousands(value: string): string {
  const [whole = "", fraction] = value.split(".");
  const sign = whole.startsWith("-") ? "-" : "";
  const digits = whole.replace(/^[-+]/, "");
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${sign}${grouped}${fraction === undefined ? "" : `.${fraction}`}`;
}

const money = (value: string) => `$${groupThousands(value)}`;

function describe<T extends CatalogEntry>(catalog: Catalog<T>, key: string | undefined): string | undefined {
  if (key === undefined || key === "") return undefined;
  const entry = catalog.get(key);
  return entry ? `${key} - ${entry.texto}` : key;
}

const taxName = (code: string) => impuestos.get(code)?.texto ?? code;

/** "Tasa 0.160000" → "16%"; Cuota → "$0.3500 por unidad"; Exento → "Exento". */
function rate(tipoFactor: string, tasaOCuota: string | undefined): string {
  if (tipoFactor === "Exento" || tasaOCuota === undefined) return tipoFactor;
  if (tipoFactor === "Tasa") return `${dec(tasaOCuota).times(100).toFixed()}%`;
  return `cuota ${money(tasaOCuota)}`;
}

/**
 * Greedy line breaking at spaces; a word wider than the line (a seal, a long key) is broken between
 * characters. Returns at least one line.
 */
export function wrap(text: string, font: FontName, size: number, width: number): string[] {
  const lines: string[] = [];
  const space = textWidth(" ", font, size);
  let line = "";
  let lineWidth = 0;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const w = textWidth(word, font, size);
    if (line && lineWidth + space + w <= width) {
      line += ` ${word}`;
      lineWidth += space + w;
      continue;
    }
    if (line) lines.push(line);
    if (w <= width) {
      line = word;
      lineWidth = w;
      continue;
    }
    // Character by character; the last piece starts the next line.
    line = "";
    lineWidth = 0;
    for (const ch of word) {
      const cw = textWidth(ch, font, size);
      if (line && lineWidth + cw > width) {
        lines.push(line);
        line = "";
        lineWidth = 0;
      }
      line += ch;
      lineWidth += cw;
    }
  }
  lines.push(line);
  return lines;
}

type Pair = readonly [label: string, value: string | undefined];

interface Column {
  title: string;
  width: number;
  align: "left" | "right";
}

const CELL_PADDING = 3;
const CONCEPT_COLUMNS: Column[] = [
  { title: "Clave", width: 48, align: "left" },
  { title: "Cantidad", width: 46, align: "right" },
  { title: "Unidad", width: 60, align: "left" },
  { title: "Descripción", width: 236, align: "left" },
  { title: "Valor unitario", width: 75, align: "right" },
  { title: "Importe", width: 75, align: "right" },
];

/** Pages laid out top to bottom, a new page whenever the next block does not fit. */
class Flow {
  readonly doc: PdfDocument;
  page!: PdfPage;
  y = TOP;

  constructor(
    cfdi: Cfdi,
    private readonly runningHeader: string,
  ) {
    const tfd = timbre(cfdi);
    this.doc = new PdfDocument({
      title: `CFDI ${tfd?.UUID ?? [cfdi.Serie, cfdi.Folio].filter(Boolean).join(" ")}`.trim(),
      subject: `Representación impresa de un CFDI ${cfdi.Version}`,
      ...(cfdi.Emisor.Nombre && { author: cfdi.Emisor.Nombre }),
    });
    this.page = this.doc.addPage();
  }

  newPage() {
    this.page = this.doc.addPage();
    this.y = TOP;
    this.text(MARGIN, this.y - SMALL, this.runningHeader, { size: SMALL, gray: 0.35 });
    this.y -= SMALL_LINE + 4;
  }

  /** Makes room for `height` points, on a new page when needed; true when a page was started. */
  ensure(height: number): boolean {
    if (this.y - height >= BOTTOM) return false;
    this.newPage();
    return true;
  }

  text(x: number, baseline: number, text: string, style: TextStyle = {}) {
    this.page.text(x, baseline, text, style);
  }

  textRight(right: number, baseline: number, text: string, style: TextStyle = {}) {
    const width = textWidth(text, style.font ?? "Helvetica", style.size ?? BODY);
    this.page.text(right - width, baseline, text, style);
  }

  /** A grey bar with a bold title across the content width. */
  sectionTitle(title: string) {
    this.ensure(14 + LINE * 2);
    this.page.rect(MARGIN, this.y - 12, CONTENT_WIDTH, 12, { fill: 0.88 });
    this.text(MARGIN + CELL_PADDING, this.y - 9, title, { font: BOLD, size: 8 });
    this.y -= 15;
  }

  /** "Label: value" lines from `top`, the value wrapped beside the label; returns the height used. */
  pairs(x: number, top: number, width: number, pairs: readonly Pair[]): number {
    let y = top;
    for (const [label, value] of pairs) {
      if (value === undefined || value === "") continue;
      const head = `${label}: `;
      const labelWidth = textWidth(head, BOLD, BODY);
      this.text(x, y - BODY, head, { font: BOLD, size: BODY });
      for (const [i, line] of wrap(value, "Helvetica", BODY, width - labelWidth).entries()) {
        if (i > 0) y -= LINE;
        this.text(x + labelWidth, y - BODY, line, { size: BODY });
      }
      y -= LINE;
    }
    return top - y;
  }

  /** Two columns of label/value pairs side by side, the flow moved below the taller. */
  twoColumns(left: readonly Pair[], right: readonly Pair[]) {
    const half = CONTENT_WIDTH / 2;
    // Room for every value to wrap once: the header block is short, a page break inside it is not.
    const lines = Math.max(...[left, right].map((pairs) => pairs.filter(([, v]) => v).length));
    this.ensure(2 * lines * LINE + 4);
    const used = Math.max(
      this.pairs(MARGIN + CELL_PADDING, this.y, half - 2 * CELL_PADDING, left),
      this.pairs(MARGIN + half + CELL_PADDING, this.y, half - 2 * CELL_PADDING, right),
    );
    this.y -= used + 6;
  }
}

export function cfdiPdf(cfdi: Cfdi): Uint8Array<ArrayBuffer> {
  const tfd = timbre(cfdi);
  const serieFolio = [cfdi.Serie, cfdi.Folio].filter(Boolean).join(" ");
  const flow = new Flow(
    cfdi,
    [
      cfdi.Emisor.Nombre ?? cfdi.Emisor.Rfc,
      serieFolio && `Serie y folio ${serieFolio}`,
      tfd && `Folio fiscal ${tfd.UUID}`,
    ]
      .filter(Boolean)
      .join("  ·  "),
  );
  header(flow, cfdi, tfd, serieFolio);
  receptorAndDocument(flow, cfdi);
  conceptos(flow, cfdi);
  totals(flow, cfdi);
  if (tfd) stamp(flow, cfdi, tfd);
  footers(flow, cfdi, tfd);
  return flow.doc.save();
}

function header(flow: Flow, cfdi: Cfdi, tfd: TimbreFiscalDigital | undefined, serieFolio: string) {
  const top = flow.y;
  const leftWidth = 280;
  let y = top;
  for (const line of wrap(cfdi.Emisor.Nombre ?? cfdi.Emisor.Rfc, BOLD, 12, leftWidth)) {
    flow.text(MARGIN, y - 12, line, { font: BOLD, size: 12 });
    y -= 14;
  }
  y -= 2;
  y -= flow.pairs(MARGIN, y, leftWidth, [
    ["RFC", cfdi.Emisor.Rfc],
    ["Régimen fiscal", describe(regimenesFiscales, cfdi.Emisor.RegimenFiscal)],
    ["Lugar de expedición", cfdi.LugarExpedicion],
    ["Certificado del emisor", cfdi.NoCertificado],
  ]);

  const boxX = MARGIN + leftWidth + 16;
  const boxWidth = RIGHT - boxX;
  const kind = tiposComprobante.get(cfdi.TipoDeComprobante)?.texto ?? cfdi.TipoDeComprobante;
  let boxY = top - 4;
  flow.text(boxX + 6, boxY - 10, `CFDI ${cfdi.Version} · ${kind}`, { font: BOLD, size: 10 });
  boxY -= 16;
  boxY -= flow.pairs(boxX + 6, boxY, boxWidth - 12, [
    ["Serie y folio", serieFolio || undefined],
    ["Fecha de emisión", cfdi.Fecha.replace("T", " ")],
    ["Folio fiscal", tfd?.UUID],
    ["Certificación", tfd?.FechaTimbrado.replace("T", " ")],
    ["Certificado SAT", tfd?.NoCertificadoSAT],
    ["Tipo de comprobante", describe(tiposComprobante, cfdi.TipoDeComprobante)],
  ]);
  flow.page.rect(boxX, boxY - 2, boxWidth, top - boxY + 2, { stroke: 0.6 });
  flow.y = Math.min(y, boxY - 2) - 10;
}

function receptorAndDocument(flow: Flow, cfdi: Cfdi) {
  const r = cfdi.Receptor;
  flow.sectionTitle("Receptor");
  flow.twoColumns(
    [
      ["Nombre", r.Nombre],
      ["RFC", r.Rfc],
      ["Uso del CFDI", describe(usosCfdi, r.UsoCFDI)],
    ],
    [
      ["Domicilio fiscal (C.P.)", r.DomicilioFiscalReceptor],
      ["Régimen fiscal", describe(regimenesFiscales, r.RegimenFiscalReceptor)],
      ["Residencia fiscal", r.ResidenciaFiscal],
      ["Registro de identidad fiscal", r.NumRegIdTrib],
    ],
  );
  flow.sectionTitle("Datos del comprobante");
  const global = cfdi.InformacionGlobal;
  flow.twoColumns(
    [
      ["Forma de pago", describe(formasPago, cfdi.FormaPago)],
      ["Método de pago", describe(metodosPago, cfdi.MetodoPago)],
      ["Condiciones de pago", cfdi.CondicionesDePago],
      [
        "Información global",
        global && `periodicidad ${global.Periodicidad}, meses ${global.Meses}, año ${global.Año}`,
      ],
    ],
    [
      ["Moneda", cfdi.Moneda],
      ["Tipo de cambio", cfdi.TipoCambio],
      ["Exportación", describe(exportaciones, cfdi.Exportacion)],
      ["Confirmación", cfdi.Confirmacion],
    ],
  );
  if (cfdi.CfdiRelacionados.length > 0) {
    flow.sectionTitle("CFDI relacionados");
    for (const group of cfdi.CfdiRelacionados) {
      flow.ensure(Math.ceil(group.CfdiRelacionado.length / 3) * LINE + LINE);
      const used = flow.pairs(MARGIN + CELL_PADDING, flow.y, CONTENT_WIDTH - 2 * CELL_PADDING, [
        [describe(tiposRelacion, group.TipoRelacion) ?? "", group.CfdiRelacionado.join(", ")],
      ]);
      flow.y -= used;
    }
    flow.y -= 6;
  }
}

/** The small grey line under a concepto's description: its identifiers, taxes and extras. */
function conceptoDetails(c: Concepto): string {
  const parts: string[] = [];
  if (c.NoIdentificacion) parts.push(`No. identificación ${c.NoIdentificacion}`);
  if (c.ObjetoImp) parts.push(`Objeto de impuesto ${describe(objetosImpuesto, c.ObjetoImp)}`);
  if (c.Descuento) parts.push(`Descuento ${money(c.Descuento)}`);
  for (const t of c.Impuestos?.Traslados ?? []) {
    parts.push(
      `Traslado ${taxName(t.Impuesto)} ${rate(t.TipoFactor, t.TasaOCuota)} base ${money(t.Base)}` +
        (t.Importe ? ` importe ${money(t.Importe)}` : ""),
    );
  }
  for (const t of c.Impuestos?.Retenciones ?? []) {
    parts.push(
      `Retención ${taxName(t.Impuesto)} ${rate(t.TipoFactor, t.TasaOCuota)} base ${money(t.Base)} importe ${money(t.Importe)}`,
    );
  }
  for (const a of c.InformacionAduanera) parts.push(`Pedimento ${a.NumeroPedimento}`);
  for (const p of c.CuentaPredial) parts.push(`Cuenta predial ${p.Numero}`);
  const terceros = c.ACuentaTerceros;
  if (terceros)
    parts.push(`A cuenta de terceros ${terceros.RfcACuentaTerceros} ${terceros.NombreACuentaTerceros}`);
  for (const p of c.Parte) parts.push(`Parte ${p.ClaveProdServ} ${p.Cantidad} ${p.Descripcion}`);
  return parts.join("  ·  ");
}

function conceptos(flow: Flow, cfdi: Cfdi) {
  const tableHeader = () => {
    flow.page.rect(MARGIN, flow.y - 13, CONTENT_WIDTH, 13, { fill: 0.2 });
    let x = MARGIN;
    for (const col of CONCEPT_COLUMNS) {
      const style = { font: BOLD, size: BODY, gray: 1 } as const;
      if (col.align === "right") flow.textRight(x + col.width - CELL_PADDING, flow.y - 9.5, col.title, style);
      else flow.text(x + CELL_PADDING, flow.y - 9.5, col.title, style);
      x += col.width;
    }
    flow.y -= 13;
  };
  flow.ensure(13 + 2 * LINE + 6);
  tableHeader();
  for (const c of cfdi.Conceptos) {
    const cells = [
      c.ClaveProdServ,
      groupThousands(c.Cantidad),
      [c.ClaveUnidad, c.Unidad].filter(Boolean).join(" "),
      c.Descripcion,
      money(c.ValorUnitario),
      money(c.Importe),
    ].map((value, i) => wrap(value, "Helvetica", BODY, CONCEPT_COLUMNS[i]!.width - 2 * CELL_PADDING));
    const details = conceptoDetails(c);
    const detailLines = details
      ? wrap(details, "Helvetica", SMALL, CONCEPT_COLUMNS[3]!.width - 2 * CELL_PADDING)
      : [];
    const height =
      Math.max(...cells.map((lines) => lines.length)) * LINE +
      detailLines.length * SMALL_LINE +
      2 * CELL_PADDING;
    if (flow.ensure(height)) tableHeader();
    let x = MARGIN;
    for (const [i, lines] of cells.entries()) {
      const col = CONCEPT_COLUMNS[i]!;
      for (const [n, line] of lines.entries()) {
        const baseline = flow.y - CELL_PADDING - BODY - n * LINE;
        if (col.align === "right")
          flow.textRight(x + col.width - CELL_PADDING, baseline, line, { size: BODY });
        else flow.text(x + CELL_PADDING, baseline, line, { size: BODY });
      }
      if (i === 3) {
        const below = flow.y - CELL_PADDING - lines.length * LINE;
        for (const [n, line] of detailLines.entries()) {
          flow.text(x + CELL_PADDING, below - SMALL - n * SMALL_LINE + 1, line, { size: SMALL, gray: 0.35 });
        }
      }
      x += col.width;
    }
    flow.y -= height;
    flow.page.line(MARGIN, flow.y, RIGHT, flow.y, { width: 0.3, gray: 0.7 });
  }
  flow.y -= 8;
}

function totals(flow: Flow, cfdi: Cfdi) {
  const rows: [string, string][] = [["Subtotal", money(cfdi.SubTotal)]];
  if (cfdi.Descuento !== undefined) rows.push(["Descuento", money(cfdi.Descuento)]);
  for (const t of cfdi.Impuestos?.Traslados ?? []) {
    rows.push([
      `${taxName(t.Impuesto)} trasladado ${rate(t.TipoFactor, t.TasaOCuota)}`,
      t.Importe ? money(t.Importe) : "Exento",
    ]);
  }
  for (const t of cfdi.Impuestos?.Retenciones ?? [])
    rows.push([`${taxName(t.Impuesto)} retenido`, money(t.Importe)]);
  const locales = complemento(cfdi, "ImpuestosLocales");
  for (const t of locales?.TrasladosLocales ?? []) {
    rows.push([`${t.ImpLocTrasladado} ${t.TasadeTraslado}% (local)`, money(t.Importe)]);
  }
  for (const t of locales?.RetencionesLocales ?? []) {
    rows.push([`${t.ImpLocRetenido} ${t.TasadeRetencion}% retenido (local)`, money(t.Importe)]);
  }

  const words = wrap(`(${amountInWords(cfdi.Total, cfdi.Moneda)})`, "Helvetica", BODY, 300);
  const height = Math.max((rows.length + 1) * LINE + 8, words.length * LINE + LINE + 4);
  flow.ensure(height);
  const top = flow.y;
  flow.text(MARGIN, top - BODY, "Importe con letra:", { font: BOLD, size: BODY });
  for (const [i, line] of words.entries())
    flow.text(MARGIN, top - BODY - (i + 1) * LINE, line, { size: BODY });

  const labelRight = RIGHT - 90;
  let y = top;
  for (const [label, value] of rows) {
    flow.textRight(labelRight, y - BODY, label, { font: BOLD, size: BODY });
    flow.textRight(RIGHT - CELL_PADDING, y - BODY, value, { size: BODY });
    y -= LINE;
  }
  flow.page.line(labelRight - 120, y - 1, RIGHT, y - 1, { width: 0.6 });
  y -= 3;
  flow.textRight(labelRight, y - 9, "Total", { font: BOLD, size: 9 });
  flow.textRight(RIGHT - CELL_PADDING, y - 9, money(cfdi.Total), { font: BOLD, size: 9 });
  flow.y = top - height - 6;
}

/** The TFD block: QR code on the left; seals and the TFD's cadena original on the right. */
function stamp(flow: Flow, cfdi: Cfdi, tfd: TimbreFiscalDigital) {
  const qrSide = 104;
  const textX = MARGIN + qrSide + 10;
  const columnWidth = RIGHT - textX;
  const blocks: [string, string][] = [
    ["Sello digital del CFDI", cfdi.Sello ?? tfd.SelloCFD],
    ["Sello digital del SAT", tfd.SelloSAT],
    ["Cadena original del complemento de certificación digital del SAT", tfdCadena(tfd)],
  ];
  const wrapped = blocks.map(
    ([label, value]) => [label, wrap(value, "Helvetica", SMALL, columnWidth)] as const,
  );
  const textHeight = wrapped.reduce((h, [, lines]) => h + SMALL_LINE + 1 + lines.length * SMALL_LINE + 3, 0);
  const legend = `RFC del proveedor de certificación: ${tfd.RfcProvCertif}`;
  const height = Math.max(qrSide, textHeight) + LINE + 16;
  flow.ensure(height);
  flow.sectionTitle("Timbre fiscal digital");
  const top = flow.y;
  flow.page.qrCode(encodeQr(satVerificationUrl(cfdi, tfd)), MARGIN, top - qrSide, qrSide);
  let y = top;
  for (const [label, lines] of wrapped) {
    flow.text(textX, y - SMALL, `${label}:`, { font: BOLD, size: SMALL + 0.5 });
    y -= SMALL_LINE + 1;
    for (const line of lines) {
      flow.text(textX, y - SMALL, line, { size: SMALL });
      y -= SMALL_LINE;
    }
    y -= 3;
  }
  y = Math.min(y, top - qrSide) - 4;
  flow.text(MARGIN, y - BODY, legend, { size: BODY });
  flow.y = y - LINE - 4;
}

function footers(flow: Flow, cfdi: Cfdi, tfd: TimbreFiscalDigital | undefined) {
  const pages = flow.doc.pages;
  const legend = `Este documento es una representación impresa de un CFDI ${cfdi.Version}${tfd ? ` · Folio fiscal ${tfd.UUID}` : ""}`;
  for (const [i, page] of pages.entries()) {
    page.line(MARGIN, 34, RIGHT, 34, { width: 0.3, gray: 0.6 });
    page.text(MARGIN, 24, legend, { size: SMALL, gray: 0.35 });
    const label = `Página ${i + 1} de ${pages.length}`;
    page.text(RIGHT - textWidth(label, "Helvetica", SMALL), 24, label, { size: SMALL, gray: 0.35 });
  }
}
