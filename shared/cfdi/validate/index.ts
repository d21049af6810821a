/**
 * `validateCfdi`: SAT business rules over a parsed CFDI, as a report of errors and warnings.
 *
 * Codes are SAT's where its error matrix has one: CFDI40101–CFDI40221 from the "Matriz de errores
 * CFDI 4.0" (as transcribed per code at gncys.com/anexo20/4.0/errores/, cross-checked against PAC
 * responses quoting "CFDI40157 - … RegimenFiscalR …", "CFDI40149 - … LugarExpedicion"), and
 * CRP20101–CRP20274 from the Pagos 2.0 matrix as PACs return it. Rules without a SAT code use stable
 * snake_case codes (rfc_invalid, amount_invalid, descuento_mismatch, attribute_required…).
 *
 * Not checked, because they need SAT services or data not shipped: registry (LRFC/LCO) lookups,
 * names and postal codes against the RFC, TipoCambio limits against the day's published rate,
 * Confirmacion keys, Sello and certificate (see ../verify). c_ClaveProdServ and c_CodigoPostal are
 * checked only when `options.lookups` provides them.
 *
 * CFDI 3.3 documents get the rules that exist in both versions (structure, RFC, catalogs common to
 * both, tolerances, sums and totals, Pagos 1.0 balances), reported with the equivalent 4.0 code
 * and announced by the warning `cfdi33_subset`.
 */
import type { CatalogLookups } from "../../catalogs";
import type { Cfdi } from "../model";
import { checkComprobante } from "./comprobante";
import { checkConceptos } from "./conceptos";
import { Context, type Issue } from "./context";
import { checkTotales } from "./impuestos";
import { checkPagos } from "./pagos";

export type { Issue } from "./context";

export interface ValidationReport {
  /** True when there are no errors (warnings do not invalidate). */
  valid: boolean;
  errors: Issue[];
  warnings: Issue[];
}

export interface ValidateOptions {
  /** Lookups for c_ClaveProdServ / c_CodigoPostal; without them those keys are not checked. */
  lookups?: CatalogLookups;
  /** Reference time (default: now), used to flag documents dated in the future. */
  now?: Date;
}

export function validateCfdi(cfdi: Cfdi, options: ValidateOptions = {}): ValidationReport {
  const ctx = new Context(cfdi, options.lookups ?? {}, options.now ?? new Date());
  for (const path of cfdi.missingAttributes) {
    ctx.error("attribute_required", `The required attribute ${path.split("/@").pop()} is missing`, path);
  }
  if (!ctx.is40) {
    ctx.warn(
      "cfdi33_subset",
      "CFDI 3.3: only the rules shared with 4.0 are checked, reported with their 4.0 codes",
      "Comprobante/@Version",
    );
  }
  checkComprobante(ctx);
  checkConceptos(ctx);
  checkTotales(ctx);
  checkPagos(ctx);
  return { valid: ctx.errors.length === 0, errors: ctx.errors, warnings: ctx.warnings };
}
