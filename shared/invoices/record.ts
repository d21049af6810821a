/**
 * From a parsed CFDI and the engine's findings to the inbox's records: the invoice fields of the seed's
 * Invoice object, its items with their taxes, the document-level taxes and the local taxes. Pure: ids
 * and timestamps come from the caller, nothing is read or written here.
 *
 * Rules:
 * - A document is `not_valid` when verification (Sello, certificate, stamp) or validation (SAT's
 *   rules) reports an error; the findings are kept as `validationErrors`. A document without a
 *   TimbreFiscalDigital is accepted with the warning `cfdi_not_stamped`: the engine verifies what is
 *   there, and test or pre-stamp copies are common in an inbox.
 * - Amounts are the CFDI's exact decimal text. Those used by SQL filters and sums are also converted
 *   to integer millionths; documents whose Total does not fit (above MAX_AMOUNT) are refused.
 */

import { dec, sum } from "../cfdi/amounts";
import type { Cfdi, Concepto, ImpuestosLocales } from "../cfdi/model";
import { complemento, timbre } from "../cfdi/model";
import type { ValidationReport } from "../cfdi/validate";
import type { VerificationReport } from "../cfdi/verify";
import { badRequest } from "../errors";
import { isEntityRfc } from "../rfc";
import { type InvoiceStatus, STATUS_CODES } from "./status";

export interface Finding {
  code: string;
  message: string;
  source: "parse" | "verification" | "validation" | "preferences";
  path?: string;
}

/** c_Impuesto. */
export const TAX_CODES: Record<string, "ISR" | "IVA" | "IEPS"> = {
  "001": "ISR",
  "002": "IVA",
  "003": "IEPS",
};

/**
 * Integer millionths keep every CFDI amount exact (at most 6 decimals) and stay exact as JavaScript
 * numbers up to 2^53: about 9 billion in the invoice's currency.
 */
export const MAX_AMOUNT = "9000000000";
const MICROS = 1_000_000;

export function toMicros(amount: string): number {
  const value = dec(amount);
  if (value.abs().greaterThan(MAX_AMOUNT)) {
    throw badRequest("amount_out_of_range", `Amounts above ${MAX_AMOUNT} are not supported`, { amount });
  }
  return value.times(MICROS).toDecimalPlaces(0).toNumber();
}

/** Exact decimal text of a micros integer, without trailing zeros ("1160.5", "0"). */
export const fromMicros = (micros: number | bigint): string => dec(micros.toString()).div(MICROS).toFixed();

export interface TaxRecord {
  taxId: string;
  code: string;
  isWithholding: boolean;
  factor: "Tasa" | "Cuota" | "Exento";
  rate: string | null;
  baseAmount: string | null;
  value: string | null;
}

export interface ItemRecord {
  position: number;
  itemKey: string;
  identification: string | null;
  quantity: string;
  unitKey: string;
  unitDescription: string | null;
  description: string;
  netUnitPriceAmount: string;
  netPriceAmount: string;
  discount: string;
  grossPriceAmount: string;
  taxObject: string | null;
  taxes: TaxRecord[];
}

export interface LocalTaxRecord {
  name: string;
  isWithholding: boolean;
  rate: string;
  value: string;
}

export interface InvoiceRecord {
  status: InvoiceStatus;
  statusCode: number;
  uuid: string | null;
  cfdiVersion: string;
  cfdiType: string;
  series: string | null;
  folioNumber: string | null;
  netPriceAmount: string;
  grossPriceAmount: string;
  discount: string;
  transferredTaxAmount: string;
  withheldTaxAmount: string;
  localTransferredTaxAmount: string;
  localWithheldTaxAmount: string;
  currencyCode: string;
  exchangeRate: string | null;
  originalCurrencyCode: string;
  cfdiUse: string | null;
  paymentMethod: string | null;
  paymentForm: string | null;
  paymentConditions: string | null;
  exportCode: string | null;
  issuerName: string | null;
  issuerTaxIdentifier: string;
  issuerTaxRegime: string;
  issuerPostalCode: string;
  issuerCountry: string;
  issuerIsEntity: boolean;
  recipientName: string | null;
  recipientTaxIdentifier: string;
  recipientTaxRegime: string | null;
  recipientPostalCode: string | null;
  recipientIsEntity: boolean;
  pacTaxIdentifier: string | null;
  issuedAt: string;
  stampedAt: string | null;
  grossPriceMicros: number;
  netPriceMicros: number;
  discountMicros: number;
  taxMicros: number;
  validationErrors: Finding[] | null;
  validationWarnings: Finding[] | null;
  items: ItemRecord[];
  taxes: TaxRecord[];
  localTaxes: LocalTaxRecord[];
}

const orNull = (value: string | undefined) => (value === undefined || value === "" ? null : value);
const taxCode = (impuesto: string) => TAX_CODES[impuesto] ?? impuesto;
const asFactor = (value: string): TaxRecord["factor"] =>
  value === "Cuota" || value === "Exento" ? value : "Tasa";

/** A transferred tax, of a concepto or of the document (where Base is optional in CFDI 3.3). */
const transferredTax = (t: {
  Impuesto: string;
  TipoFactor: string;
  TasaOCuota?: string;
  Base?: string;
  Importe?: string;
}): TaxRecord => ({
  taxId: t.Impuesto,
  code: taxCode(t.Impuesto),
  isWithholding: false,
  factor: asFactor(t.TipoFactor),
  rate: orNull(t.TasaOCuota),
  baseAmount: orNull(t.Base),
  value: orNull(t.Importe),
});

function itemTaxes(concepto: Concepto): TaxRecord[] {
  const taxes: TaxRecord[] = (concepto.Impuestos?.Traslados ?? []).map(transferredTax);
  for (const r of concepto.Impuestos?.Retenciones ?? []) {
    taxes.push({
      taxId: r.Impuesto,
      code: taxCode(r.Impuesto),
      isWithholding: true,
      factor: asFactor(r.TipoFactor),
      rate: r.TasaOCuota,
      baseAmount: r.Base,
      value: r.Importe,
    });
  }
  return taxes;
}

function itemRecord(concepto: Concepto, index: number): ItemRecord {
  const taxes = itemTaxes(concepto);
  const transferred = sum(taxes.filter((t) => !t.isWithholding && t.value).map((t) => t.value!));
  const withheld = sum(taxes.filter((t) => t.isWithholding && t.value).map((t) => t.value!));
  const discount = concepto.Descuento ?? "0";
  return {
    position: index + 1,
    itemKey: concepto.ClaveProdServ,
    identification: orNull(concepto.NoIdentificacion),
    quantity: concepto.Cantidad,
    unitKey: concepto.ClaveUnidad,
    unitDescription: orNull(concepto.Unidad),
    description: concepto.Descripcion,
    netUnitPriceAmount: concepto.ValorUnitario,
    netPriceAmount: concepto.Importe,
    discount,
    grossPriceAmount: dec(concepto.Importe).minus(discount).plus(transferred).minus(withheld).toFixed(),
    taxObject: orNull(concepto.ObjetoImp),
    taxes,
  };
}

function documentTaxes(cfdi: Cfdi): TaxRecord[] {
  const taxes: TaxRecord[] = (cfdi.Impuestos?.Traslados ?? []).map(transferredTax);
  // Document-level withholdings carry only Impuesto and Importe.
  for (const r of cfdi.Impuestos?.Retenciones ?? []) {
    taxes.push({
      taxId: r.Impuesto,
      code: taxCode(r.Impuesto),
      isWithholding: true,
      factor: "Tasa",
      rate: null,
      baseAmount: null,
      value: r.Importe,
    });
  }
  return taxes;
}

function localTaxes(implocal: ImpuestosLocales | undefined): LocalTaxRecord[] {
  if (!implocal) return [];
  return [
    ...implocal.TrasladosLocales.map((t) => ({
      name: t.ImpLocTrasladado,
      isWithholding: false,
      rate: t.TasadeTraslado,
      value: t.Importe,
    })),
    ...implocal.RetencionesLocales.map((r) => ({
      name: r.ImpLocRetenido,
      isWithholding: true,
      rate: r.TasadeRetencion,
      value: r.Importe,
    })),
  ];
}

/** The engine's errors and warnings as the inbox keeps them. */
export function findings(verification: VerificationReport, validation: ValidationReport, cfdi: Cfdi) {
  const errors: Finding[] = [
    ...verification.checks
      .filter((c) => !c.ok)
      .map((c) => ({ code: c.code, message: c.message, source: "verification" as const })),
    ...validation.errors.map((i) => ({
      code: i.code,
      message: i.message,
      source: "validation" as const,
      path: i.path,
    })),
  ];
  const warnings: Finding[] = validation.warnings.map((i) => ({
    code: i.code,
    message: i.message,
    source: "validation" as const,
    path: i.path,
  }));
  if (!timbre(cfdi)) {
    warnings.push({
      code: "cfdi_not_stamped",
      message: "The CFDI has no TimbreFiscalDigital: no PAC has certified it yet",
      source: "verification",
    });
  }
  return { errors, warnings };
}

/** The invoice the inbox stores for a received CFDI. */
export function invoiceRecord(
  cfdi: Cfdi,
  verification: VerificationReport,
  validation: ValidationReport,
): InvoiceRecord {
  const { errors, warnings } = findings(verification, validation, cfdi);
  const status: InvoiceStatus = errors.length > 0 ? "not_valid" : "sent";
  const tfd = timbre(cfdi);
  const implocal = complemento(cfdi, "ImpuestosLocales");
  const transferred = cfdi.Impuestos?.TotalImpuestosTrasladados ?? "0";
  const withheld = cfdi.Impuestos?.TotalImpuestosRetenidos ?? "0";
  const localTransferred = implocal?.TotaldeTraslados ?? "0";
  const localWithheld = implocal?.TotaldeRetenciones ?? "0";
  const discount = cfdi.Descuento ?? "0";
  const foreign = cfdi.Receptor.ResidenciaFiscal;
  return {
    status,
    statusCode: STATUS_CODES[status],
    uuid: tfd ? tfd.UUID.toUpperCase() : null,
    cfdiVersion: cfdi.Version,
    cfdiType: cfdi.TipoDeComprobante,
    series: orNull(cfdi.Serie),
    folioNumber: orNull(cfdi.Folio),
    netPriceAmount: cfdi.SubTotal,
    grossPriceAmount: cfdi.Total,
    discount,
    transferredTaxAmount: transferred,
    withheldTaxAmount: withheld,
    localTransferredTaxAmount: localTransferred,
    localWithheldTaxAmount: localWithheld,
    currencyCode: cfdi.Moneda,
    exchangeRate: orNull(cfdi.TipoCambio),
    originalCurrencyCode: cfdi.Moneda,
    cfdiUse: orNull(cfdi.Receptor.UsoCFDI),
    paymentMethod: orNull(cfdi.MetodoPago),
    paymentForm: orNull(cfdi.FormaPago),
    paymentConditions: orNull(cfdi.CondicionesDePago),
    exportCode: orNull(cfdi.Exportacion),
    issuerName: orNull(cfdi.Emisor.Nombre),
    issuerTaxIdentifier: cfdi.Emisor.Rfc,
    issuerTaxRegime: cfdi.Emisor.RegimenFiscal,
    issuerPostalCode: cfdi.LugarExpedicion,
    issuerCountry: "MEX",
    issuerIsEntity: isEntityRfc(cfdi.Emisor.Rfc),
    recipientName: orNull(cfdi.Receptor.Nombre),
    recipientTaxIdentifier: cfdi.Receptor.Rfc,
    recipientTaxRegime: orNull(cfdi.Receptor.RegimenFiscalReceptor),
    recipientPostalCode: orNull(foreign ? undefined : cfdi.Receptor.DomicilioFiscalReceptor),
    recipientIsEntity: isEntityRfc(cfdi.Receptor.Rfc),
    pacTaxIdentifier: tfd ? tfd.RfcProvCertif : null,
    issuedAt: cfdi.Fecha,
    stampedAt: tfd ? tfd.FechaTimbrado : null,
    grossPriceMicros: toMicros(cfdi.Total),
    netPriceMicros: toMicros(cfdi.SubTotal),
    discountMicros: toMicros(discount),
    taxMicros: toMicros(dec(transferred).minus(withheld).toFixed()),
    validationErrors: errors.length > 0 ? errors : null,
    validationWarnings: warnings.length > 0 ? warnings : null,
    items: cfdi.Conceptos.map(itemRecord),
    taxes: documentTaxes(cfdi),
    localTaxes: localTaxes(implocal),
  };
}
