/**
 * The summary `timbre cfdi inspect` prints: the facts people look up in a CFDI, in English keys,
 * amounts as the exact strings of the document (never re-formatted numbers).
 */
import { type Cfdi, complemento, timbre } from "../cfdi/model";

const TAX_NAME: Record<string, string> = { "001": "ISR", "002": "IVA", "003": "IEPS" };
const TYPE_NAME: Record<string, string> = {
  I: "Ingreso",
  E: "Egreso",
  T: "Traslado",
  N: "Nómina",
  P: "Pago",
};

const taxName = (code: string) => TAX_NAME[code] ?? code;

export function summarizeCfdi(cfdi: Cfdi) {
  const tfd = timbre(cfdi);
  const pagos20 = complemento(cfdi, "Pagos20");
  const pagos10 = complemento(cfdi, "Pagos10");
  const payments = pagos20?.Pago ?? pagos10?.Pago;
  return {
    uuid: tfd?.UUID ?? null,
    version: cfdi.Version,
    type: cfdi.TipoDeComprobante,
    typeName: TYPE_NAME[cfdi.TipoDeComprobante] ?? null,
    series: cfdi.Serie ?? null,
    folio: cfdi.Folio ?? null,
    date: cfdi.Fecha,
    placeOfIssue: cfdi.LugarExpedicion,
    issuer: {
      rfc: cfdi.Emisor.Rfc,
      name: cfdi.Emisor.Nombre ?? null,
      taxRegime: cfdi.Emisor.RegimenFiscal,
    },
    receiver: {
      rfc: cfdi.Receptor.Rfc,
      name: cfdi.Receptor.Nombre ?? null,
      taxRegime: cfdi.Receptor.RegimenFiscalReceptor ?? null,
      taxZipCode: cfdi.Receptor.DomicilioFiscalReceptor ?? null,
      cfdiUse: cfdi.Receptor.UsoCFDI,
    },
    paymentForm: cfdi.FormaPago ?? null,
    paymentMethod: cfdi.MetodoPago ?? null,
    currency: cfdi.Moneda,
    exchangeRate: cfdi.TipoCambio ?? null,
    subtotal: cfdi.SubTotal,
    discount: cfdi.Descuento ?? null,
    total: cfdi.Total,
    taxes: {
      totalTransferred: cfdi.Impuestos?.TotalImpuestosTrasladados ?? null,
      totalWithheld: cfdi.Impuestos?.TotalImpuestosRetenidos ?? null,
      transferred: (cfdi.Impuestos?.Traslados ?? []).map((t) => ({
        tax: taxName(t.Impuesto),
        factor: t.TipoFactor,
        rate: t.TasaOCuota ?? null,
        base: t.Base ?? null,
        amount: t.Importe ?? null,
      })),
      withheld: (cfdi.Impuestos?.Retenciones ?? []).map((r) => ({
        tax: taxName(r.Impuesto),
        amount: r.Importe,
      })),
    },
    relatedDocuments: cfdi.CfdiRelacionados.map((group) => ({
      relationType: group.TipoRelacion,
      uuids: group.CfdiRelacionado,
    })),
    concepts: cfdi.Conceptos.map((c) => ({
      productKey: c.ClaveProdServ,
      id: c.NoIdentificacion ?? null,
      quantity: c.Cantidad,
      unitKey: c.ClaveUnidad,
      unit: c.Unidad ?? null,
      description: c.Descripcion,
      unitPrice: c.ValorUnitario,
      amount: c.Importe,
      discount: c.Descuento ?? null,
      taxObject: c.ObjetoImp ?? null,
      transferred: (c.Impuestos?.Traslados ?? []).map((t) => ({
        tax: taxName(t.Impuesto),
        factor: t.TipoFactor,
        rate: t.TasaOCuota ?? null,
        base: t.Base,
        amount: t.Importe ?? null,
      })),
      withheld: (c.Impuestos?.Retenciones ?? []).map((r) => ({
        tax: taxName(r.Impuesto),
        factor: r.TipoFactor,
        rate: r.TasaOCuota,
        base: r.Base,
        amount: r.Importe,
      })),
    })),
    ...(payments && {
      payments: {
        version: (pagos20 ?? pagos10)!.Version,
        totalAmount: pagos20?.Totales.MontoTotalPagos ?? null,
        payments: payments.map((p) => ({
          date: p.FechaPago,
          form: p.FormaDePagoP,
          currency: p.MonedaP,
          exchangeRate: p.TipoCambioP ?? null,
          amount: p.Monto,
          operationNumber: p.NumOperacion ?? null,
          documents: p.DoctoRelacionado.map((d) => ({
            uuid: d.IdDocumento,
            series: d.Serie ?? null,
            folio: d.Folio ?? null,
            currency: d.MonedaDR,
            installment: d.NumParcialidad ?? null,
            previousBalance: d.ImpSaldoAnt ?? null,
            paid: d.ImpPagado ?? null,
            outstandingBalance: d.ImpSaldoInsoluto ?? null,
          })),
        })),
      },
    }),
    stamp: tfd
      ? {
          uuid: tfd.UUID,
          stampedAt: tfd.FechaTimbrado,
          pacRfc: tfd.RfcProvCertif,
          satCertificate: tfd.NoCertificadoSAT,
        }
      : null,
    certificateNumber: cfdi.NoCertificado || null,
    complements: cfdi.Complemento.map((c) => (c.kind === "other" ? c.node.name : c.kind)),
  };
}

export type CfdiSummary = ReturnType<typeof summarizeCfdi>;
