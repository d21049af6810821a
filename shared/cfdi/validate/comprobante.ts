/**
 * Rules on the Comprobante's own attributes, InformacionGlobal, CfdiRelacionados, Emisor and
 * Receptor (codes CFDI40101–CFDI40161 of SAT's Matriz de errores; see ./index for the source).
 * Attributes of a CFDI de pago (tipo P, 4.0) are judged by ./pagos with the CRP201xx codes instead.
 */
import {
  exportaciones,
  formasPago,
  matchesSatPattern,
  meses,
  metodosPago,
  monedas,
  paises,
  periodicidades,
  regimenesFiscales,
  tiposComprobante,
  tiposRelacion,
  usosCfdi,
} from "../../catalogs";
import { dec, isDecimalLiteral } from "../amounts";
import type { Context } from "./context";
import { CFDI40_START } from "./context";
import { isGenericRfc, isRfc, personaOf, RFC_GENERICO_EXTRANJERO, RFC_GENERICO_NACIONAL } from "./rfc";

const FECHA = /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/;
const TIPO_CAMBIO = /^[0-9]{1,18}(\.[0-9]{1,6})?$/;
const CODIGO_POSTAL = /^[0-9]{5}$/;
const UUID = /^[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}$/;
const COMERCIO_EXTERIOR = /^http:\/\/www\.sat\.gob\.mx\/ComercioExterior\d*$/;
export const PUBLICO_EN_GENERAL = "PUBLICO EN GENERAL";

const at = (attr: string) => `Comprobante/@${attr}`;

export const hasComercioExterior = (ctx: Context) =>
  ctx.cfdi.Complemento.some((c) => COMERCIO_EXTERIOR.test(c.node.namespace));

function checkFecha(ctx: Context) {
  const { Fecha } = ctx.cfdi;
  const m = FECHA.exec(Fecha);
  // The pattern admits Feb 30; a real calendar date must survive a round trip through Date.
  const real = m && new Date(`${Fecha}Z`).toISOString().startsWith(Fecha.slice(0, 10));
  if (!real) {
    if (!ctx.isMissing(at("Fecha")))
      ctx.error("CFDI40101", `Fecha "${Fecha}" is not a date AAAA-MM-DDThh:mm:ss`, at("Fecha"));
    return;
  }
  if (ctx.is40 && Fecha < CFDI40_START) {
    ctx.warn(
      "fecha_before_cfdi40",
      `Fecha ${Fecha} predates CFDI 4.0 (${CFDI40_START}); catalogs are checked as of ${CFDI40_START}`,
      at("Fecha"),
    );
  }
  // Fecha is local time of LugarExpedicion (UTC−5…−8): a day of slack avoids false alarms.
  if (new Date(`${Fecha}Z`).getTime() - ctx.now.getTime() > 86_400_000) {
    ctx.warn("fecha_in_future", `Fecha ${Fecha} is later than the validation time`, at("Fecha"));
  }
}

function checkPagoYMoneda(ctx: Context) {
  const c = ctx.cfdi;
  // A CFDI de pago 4.0 has its own fixed values for these attributes (CRP201xx, ./pagos).
  const judgedByPagos = ctx.is40 && ctx.tipo === "P";
  const noPayment = ctx.tipo === "T" || ctx.tipo === "P";
  const ingresoOEgreso = ctx.tipo === "I" || ctx.tipo === "E";
  if (!judgedByPagos) {
    if (c.FormaPago !== undefined) {
      ctx.catalog(formasPago, c.FormaPago, "CFDI40104", at("FormaPago"));
      if (noPayment) {
        ctx.error("CFDI40103", `FormaPago must not exist in a CFDI of type ${ctx.tipo}`, at("FormaPago"));
      }
    } else if (ingresoOEgreso) {
      ctx.warn(
        "forma_pago_missing",
        "FormaPago should be present in a CFDI de ingreso or egreso",
        at("FormaPago"),
      );
    }
    if (c.MetodoPago !== undefined) {
      ctx.catalog(metodosPago, c.MetodoPago, "CFDI40124", at("MetodoPago"));
      if (noPayment) {
        ctx.error("CFDI40125", `MetodoPago must not exist in a CFDI of type ${ctx.tipo}`, at("MetodoPago"));
      }
      if (c.MetodoPago === "PPD" && c.FormaPago !== undefined && c.FormaPago !== "99") {
        ctx.error(
          "CFDI40105",
          `With MetodoPago PPD, FormaPago must be "99" (Por definir), not "${c.FormaPago}"`,
          at("FormaPago"),
        );
      }
    } else if (ingresoOEgreso) {
      ctx.warn(
        "metodo_pago_missing",
        "MetodoPago should be present in a CFDI de ingreso or egreso",
        at("MetodoPago"),
      );
    }
  }

  ctx.catalog(monedas, c.Moneda, "CFDI40113", at("Moneda"));
  if (judgedByPagos) return;
  const tc = c.TipoCambio;
  if (tc !== undefined && !TIPO_CAMBIO.test(tc)) {
    ctx.error("CFDI40117", `TipoCambio "${tc}" does not match [0-9]{1,18}(.[0-9]{1,6})?`, at("TipoCambio"));
  } else if (c.Moneda === "MXN") {
    if (tc !== undefined && !dec(tc).equals(1)) {
      ctx.error("CFDI40114", `With Moneda MXN, TipoCambio must be 1, not "${tc}"`, at("TipoCambio"));
    }
  } else if (c.Moneda === "XXX") {
    if (tc !== undefined)
      ctx.error("CFDI40116", "With Moneda XXX, TipoCambio must not exist", at("TipoCambio"));
  } else if (tc === undefined && monedas.has(c.Moneda)) {
    ctx.error("CFDI40115", `TipoCambio is required for Moneda ${c.Moneda}`, at("TipoCambio"));
  }
}

function checkTipoYLimites(ctx: Context) {
  const c = ctx.cfdi;
  const tipo = ctx.catalog(tiposComprobante, c.TipoDeComprobante, "CFDI40121", at("TipoDeComprobante"));
  if (!tipo || !isDecimalLiteral(c.Total)) return;
  const aboveLimit = dec(c.Total).gt(tipo.valorMaximo);
  if (aboveLimit && c.Confirmacion === undefined) {
    ctx.error(
      "CFDI40120",
      `Total exceeds ${tipo.valorMaximo}, the limit for type ${tipo.clave}, without Confirmacion`,
      at("Total"),
    );
  }
  // Only the Total limit is known here (TipoCambio limits need the day's published rate).
  const tipoCambioNeedsNoConfirmation = c.Moneda === "MXN" || c.Moneda === "XXX";
  if (c.Confirmacion !== undefined && !aboveLimit && tipoCambioNeedsNoConfirmation) {
    ctx.error(
      "CFDI40127",
      "Confirmacion must not exist: Total and TipoCambio are within their limits",
      at("Confirmacion"),
    );
  }
}

function checkExportacionYLugar(ctx: Context) {
  const c = ctx.cfdi;
  if (ctx.is40 && c.Exportacion !== undefined) {
    const exportacion = ctx.catalog(exportaciones, c.Exportacion, "CFDI40123", at("Exportacion"));
    // A CFDI de pago must say 01 (CRP20102, ./pagos).
    if (exportacion?.clave === "02" && ctx.tipo !== "P" && !hasComercioExterior(ctx)) {
      ctx.error("CFDI40122", "Exportacion 02 requires the Comercio Exterior complement", at("Exportacion"));
    }
  }
  const cp = c.LugarExpedicion;
  if (!CODIGO_POSTAL.test(cp)) {
    if (!ctx.isMissing(at("LugarExpedicion"))) {
      ctx.error("CFDI40126", `LugarExpedicion "${cp}" is not a 5-digit postal code`, at("LugarExpedicion"));
    }
  } else if (ctx.lookups.postalCodeExists?.(cp) === false) {
    ctx.error(
      "CFDI40126",
      `LugarExpedicion "${cp}" is not in the SAT catalog c_CodigoPostal`,
      at("LugarExpedicion"),
    );
  }
}

function checkInformacionGlobal(ctx: Context) {
  const { InformacionGlobal: global, Receptor, Emisor } = ctx.cfdi;
  const base = "Comprobante/InformacionGlobal";
  const publicoEnGeneral = Receptor.Rfc === RFC_GENERICO_NACIONAL && Receptor.Nombre === PUBLICO_EN_GENERAL;
  if (!global) {
    if (publicoEnGeneral && ctx.tipo !== "P") {
      ctx.error(
        "CFDI40130",
        `InformacionGlobal is required when the receptor is ${RFC_GENERICO_NACIONAL} "${PUBLICO_EN_GENERAL}"`,
        base,
      );
    }
    return;
  }
  if (!publicoEnGeneral) {
    ctx.error(
      "informacion_global_receptor",
      `InformacionGlobal (factura global) requires the receptor ${RFC_GENERICO_NACIONAL} "${PUBLICO_EN_GENERAL}"`,
      base,
    );
  }
  const periodicidad = ctx.catalog(periodicidades, global.Periodicidad, "CFDI40131", `${base}/@Periodicidad`);
  if (periodicidad?.clave === "05" && Emisor.RegimenFiscal !== "621") {
    ctx.error(
      "CFDI40132",
      "Periodicidad 05 (bimestral) is only for the emisor régimen 621",
      `${base}/@Periodicidad`,
    );
  }
  const mes = ctx.catalog(meses, global.Meses, "CFDI40133", `${base}/@Meses`);
  if (periodicidad && mes) {
    const bimestral = Number(mes.clave) >= 13;
    if (periodicidad.clave === "05" && !bimestral) {
      ctx.error("CFDI40135", `With Periodicidad 05, Meses must be 13–18, not ${mes.clave}`, `${base}/@Meses`);
    } else if (periodicidad.clave !== "05" && bimestral) {
      ctx.error(
        "CFDI40134",
        `With Periodicidad ${periodicidad.clave}, Meses must be 01–12, not ${mes.clave}`,
        `${base}/@Meses`,
      );
    }
  }
  const year = Number(ctx.cfdi.Fecha.slice(0, 4));
  const año = global.Año;
  if (!/^\d{4}$/.test(año) || (Number.isFinite(year) && Number(año) !== year && Number(año) !== year - 1)) {
    ctx.error("CFDI40136", `Año "${año}" must be the year of Fecha or the one before`, `${base}/@Año`);
  }
}

function checkRelacionados(ctx: Context) {
  ctx.cfdi.CfdiRelacionados.forEach((group, i) => {
    const base = `Comprobante/CfdiRelacionados[${i + 1}]`;
    ctx.catalog(tiposRelacion, group.TipoRelacion, "CFDI40137", `${base}/@TipoRelacion`);
    group.CfdiRelacionado.forEach((uuid, j) => {
      if (!UUID.test(uuid)) {
        ctx.error("uuid_invalid", `"${uuid}" is not a UUID`, `${base}/CfdiRelacionado[${j + 1}]/@UUID`);
      }
    });
  });
}

function checkEmisor(ctx: Context) {
  const { Rfc, RegimenFiscal, FacAtrAdquirente } = ctx.cfdi.Emisor;
  const base = "Comprobante/Emisor";
  const rfcOk = isRfc(Rfc);
  if (!rfcOk) ctx.error("rfc_invalid", `Emisor Rfc "${Rfc}" is not a well-formed RFC`, `${base}/@Rfc`);
  else if (isGenericRfc(Rfc))
    ctx.error("emisor_rfc_generic", `The emisor cannot use the generic RFC ${Rfc}`, `${base}/@Rfc`);
  const regimen = ctx.catalog(regimenesFiscales, RegimenFiscal, "CFDI40140", `${base}/@RegimenFiscal`);
  if (regimen && rfcOk && !regimen[personaOf(Rfc)]) {
    ctx.error(
      "CFDI40141",
      `RegimenFiscal ${regimen.clave} does not apply to a persona ${personaOf(Rfc) === "moral" ? "moral" : "física"}`,
      `${base}/@RegimenFiscal`,
    );
  }
  if (FacAtrAdquirente !== undefined && !/^[0-9]{10}$/.test(FacAtrAdquirente)) {
    ctx.error(
      "CFDI40142",
      `FacAtrAdquirente "${FacAtrAdquirente}" is not a 10-digit number`,
      `${base}/@FacAtrAdquirente`,
    );
  }
}

/** The UsoCFDI each document type demands of every receptor, where the SAT fixes one. */
const USO_POR_TIPO: Record<string, string> = { P: "CP01", N: "CN01" };

function checkReceptor(ctx: Context) {
  const r = ctx.cfdi.Receptor;
  const base = "Comprobante/Receptor";
  const rfcOk = isRfc(r.Rfc);
  if (!rfcOk && !ctx.isMissing(`${base}/@Rfc`)) {
    ctx.error("rfc_invalid", `Receptor Rfc "${r.Rfc}" is not a well-formed RFC`, `${base}/@Rfc`);
  }
  const persona = rfcOk ? personaOf(r.Rfc) : undefined;
  const generic = isGenericRfc(r.Rfc);
  if (!ctx.is40) return;

  const regimen =
    r.RegimenFiscalReceptor === undefined
      ? undefined
      : ctx.catalog(
          regimenesFiscales,
          r.RegimenFiscalReceptor,
          "CFDI40157",
          `${base}/@RegimenFiscalReceptor`,
        );
  if (regimen && persona && !regimen[persona]) {
    ctx.error(
      "CFDI40158",
      `RegimenFiscalReceptor ${regimen.clave} does not apply to a persona ${persona === "moral" ? "moral" : "física"}`,
      `${base}/@RegimenFiscalReceptor`,
    );
  } else if (regimen && generic && regimen.clave !== "616") {
    ctx.error(
      "receptor_generico_regimen",
      `With the generic RFC ${r.Rfc}, RegimenFiscalReceptor must be 616 (Sin obligaciones fiscales)`,
      `${base}/@RegimenFiscalReceptor`,
    );
  }

  const cp = r.DomicilioFiscalReceptor;
  if (cp !== undefined && !ctx.isMissing(`${base}/@DomicilioFiscalReceptor`)) {
    if (!CODIGO_POSTAL.test(cp)) {
      ctx.error(
        "codigo_postal_invalid",
        `DomicilioFiscalReceptor "${cp}" is not a 5-digit postal code`,
        `${base}/@DomicilioFiscalReceptor`,
      );
    } else if (generic && cp !== ctx.cfdi.LugarExpedicion) {
      ctx.error(
        "CFDI40149",
        `With the generic RFC ${r.Rfc}, DomicilioFiscalReceptor must equal LugarExpedicion (${ctx.cfdi.LugarExpedicion})`,
        `${base}/@DomicilioFiscalReceptor`,
      );
    } else if (ctx.lookups.postalCodeExists?.(cp) === false) {
      ctx.error(
        "codigo_postal_unknown",
        `DomicilioFiscalReceptor "${cp}" is not in c_CodigoPostal`,
        `${base}/@DomicilioFiscalReceptor`,
      );
    }
  }

  if (
    r.Rfc === RFC_GENERICO_NACIONAL &&
    r.Nombre !== PUBLICO_EN_GENERAL &&
    ctx.cfdi.InformacionGlobal === undefined
  ) {
    ctx.warn(
      "receptor_publico_en_general_nombre",
      `Operations with the público en general under ${RFC_GENERICO_NACIONAL} are named "${PUBLICO_EN_GENERAL}"`,
      `${base}/@Nombre`,
    );
  }

  const uso = ctx.catalog(usosCfdi, r.UsoCFDI, "CFDI40160", `${base}/@UsoCFDI`);
  if (uso) {
    const required = USO_POR_TIPO[ctx.tipo];
    const usoPath = `${base}/@UsoCFDI`;
    if (required && uso.clave !== required) {
      ctx.error(
        "CFDI40161",
        `A CFDI of type ${ctx.tipo} requires UsoCFDI ${required}, not ${uso.clave}`,
        usoPath,
      );
    } else if (generic && !required && uso.clave !== "S01") {
      ctx.error(
        "CFDI40161",
        `With the generic RFC ${r.Rfc}, UsoCFDI must be S01 (Sin efectos fiscales)`,
        usoPath,
      );
    } else if (persona && !uso[persona]) {
      ctx.error(
        "CFDI40161",
        `UsoCFDI ${uso.clave} does not apply to a persona ${persona === "moral" ? "moral" : "física"}`,
        usoPath,
      );
    } else if (regimen && !uso.regimenesReceptor.includes(regimen.clave)) {
      ctx.error(
        "CFDI40161",
        `UsoCFDI ${uso.clave} is not allowed for RegimenFiscalReceptor ${regimen.clave} (allowed: ${uso.regimenesReceptor.join(", ")})`,
        usoPath,
      );
    }
  }

  checkExtranjero(ctx, rfcOk);
}

function checkExtranjero(ctx: Context, rfcOk: boolean) {
  const r = ctx.cfdi.Receptor;
  const base = "Comprobante/Receptor";
  const extranjero = r.Rfc === RFC_GENERICO_EXTRANJERO;
  const pais =
    r.ResidenciaFiscal === undefined
      ? undefined
      : ctx.catalog(paises, r.ResidenciaFiscal, "CFDI40150", `${base}/@ResidenciaFiscal`);
  if (r.ResidenciaFiscal !== undefined) {
    if (rfcOk && !extranjero) {
      ctx.error(
        "CFDI40151",
        `ResidenciaFiscal must not exist unless the receptor is ${RFC_GENERICO_EXTRANJERO}`,
        `${base}/@ResidenciaFiscal`,
      );
    } else if (r.ResidenciaFiscal === "MEX") {
      ctx.error("CFDI40152", "ResidenciaFiscal must not be MEX", `${base}/@ResidenciaFiscal`);
    }
  }
  if (r.NumRegIdTrib !== undefined) {
    const path = `${base}/@NumRegIdTrib`;
    if (rfcOk && !extranjero) {
      ctx.error(
        "CFDI40154",
        `NumRegIdTrib must not exist unless the receptor is ${RFC_GENERICO_EXTRANJERO}`,
        path,
      );
    } else if (r.ResidenciaFiscal === undefined) {
      ctx.error("CFDI40153", "NumRegIdTrib requires ResidenciaFiscal", path);
    } else if (!hasComercioExterior(ctx)) {
      ctx.error("CFDI40155", "NumRegIdTrib requires the Comercio Exterior complement", path);
    } else if (
      pais?.patronIdentidadTributaria &&
      !matchesSatPattern(pais.patronIdentidadTributaria, r.NumRegIdTrib)
    ) {
      ctx.error(
        "CFDI40156",
        `NumRegIdTrib "${r.NumRegIdTrib}" does not match the pattern for ${pais.clave}`,
        path,
      );
    }
  }
  if (extranjero && r.ResidenciaFiscal === undefined && r.NumRegIdTrib === undefined) {
    ctx.warn(
      "residencia_fiscal_missing",
      `A foreign receptor (${RFC_GENERICO_EXTRANJERO}) should state ResidenciaFiscal`,
      `${base}/@ResidenciaFiscal`,
    );
  }
}

export function checkComprobante(ctx: Context) {
  checkFecha(ctx);
  checkTipoYLimites(ctx);
  checkPagoYMoneda(ctx);
  checkExportacionYLugar(ctx);
  if (ctx.is40) checkInformacionGlobal(ctx);
  checkRelacionados(ctx);
  checkEmisor(ctx);
  checkReceptor(ctx);
}
