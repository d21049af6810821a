/**
 * Document-level amounts: SubTotal, Descuento, the grouped Impuestos and Total (CFDI40107–CFDI40119,
 * CFDI40201–CFDI40221), plus the implocal complement's own totals. Document amounts must equal the
 * SAT rounding (half-up, at the currency's decimals) of the sums over the Conceptos.
 */
import type Decimal from "decimal.js";
import { findReglaTasaCuota, impuestos } from "../../catalogs";
import { Dec, isDecimalLiteral, roundSat } from "../amounts";
import { complemento } from "../model";
import { type Context, trasladoKey } from "./context";

const IMPUESTOS = "Comprobante/Impuestos";
const at = (attr: string) => `Comprobante/@${attr}`;

interface Group {
  label: string;
  base: Decimal;
  importe: Decimal;
  /** False when a concept amount of the group is unreadable: its sums are then not compared. */
  complete: boolean;
}

function addTo(
  groups: Map<string, Group>,
  key: string,
  label: string,
  base: Decimal | undefined,
  importe: Decimal | undefined,
  needsImporte: boolean,
) {
  const group = groups.get(key) ?? { label, base: new Dec(0), importe: new Dec(0), complete: true };
  groups.set(key, group);
  if (!base || (needsImporte && !importe)) group.complete = false;
  if (base) group.base = group.base.plus(base);
  if (importe) group.importe = group.importe.plus(importe);
}

/** Sums of the concepts' taxes, by SAT group. */
function conceptGroups(ctx: Context) {
  const traslados = new Map<string, Group>();
  const retenciones = new Map<string, Group>();
  ctx.cfdi.Conceptos.forEach((c, i) => {
    const base = `Comprobante/Conceptos/Concepto[${i + 1}]/Impuestos`;
    c.Impuestos?.Traslados?.forEach((t, j) => {
      const path = `${base}/Traslados/Traslado[${j + 1}]`;
      const label = `Impuesto ${t.Impuesto} ${t.TipoFactor}${t.TasaOCuota === undefined ? "" : ` ${t.TasaOCuota}`}`;
      const exento = t.TipoFactor === "Exento";
      addTo(
        traslados,
        trasladoKey(t.Impuesto, t.TipoFactor, t.TasaOCuota),
        label,
        ctx.amount(t.Base, `${path}/@Base`),
        exento ? undefined : ctx.amount(t.Importe, `${path}/@Importe`),
        !exento,
      );
    });
    c.Impuestos?.Retenciones?.forEach((r, j) => {
      const path = `${base}/Retenciones/Retencion[${j + 1}]`;
      addTo(
        retenciones,
        r.Impuesto,
        `Impuesto ${r.Impuesto}`,
        new Dec(0),
        ctx.amount(r.Importe, `${path}/@Importe`),
        true,
      );
    });
  });
  return { traslados, retenciones };
}

function checkTraslados(ctx: Context, groups: Map<string, Group>, places: number): Decimal | undefined {
  const imp = ctx.cfdi.Impuestos;
  const list = imp?.Traslados ?? [];
  const seen = new Set<string>();
  let sum: Decimal | undefined = new Dec(0);
  list.forEach((t, i) => {
    const path = `${IMPUESTOS}/Traslados/Traslado[${i + 1}]`;
    const key = trasladoKey(t.Impuesto, t.TipoFactor, t.TasaOCuota);
    ctx.catalog(impuestos, t.Impuesto, "CFDI40217", `${path}/@Impuesto`);
    if (seen.has(key)) {
      ctx.error(
        "CFDI40218",
        `More than one Traslado for Impuesto ${t.Impuesto} ${t.TipoFactor} ${t.TasaOCuota ?? ""}`.trim(),
        path,
      );
    }
    seen.add(key);
    if (t.TipoFactor !== "Exento" && t.TasaOCuota !== undefined && isDecimalLiteral(t.TasaOCuota)) {
      if (!findReglaTasaCuota(t.Impuesto, t.TipoFactor, t.TasaOCuota, "traslado", ctx.fecha)) {
        ctx.error(
          "CFDI40219",
          `TasaOCuota ${t.TasaOCuota} is not allowed by c_TasaOCuota for ${t.Impuesto} ${t.TipoFactor}`,
          `${path}/@TasaOCuota`,
        );
      }
    }
    ctx.currencyDecimals(t.Base, "CFDI40214", `${path}/@Base`);
    ctx.currencyDecimals(t.Importe, "CFDI40220", `${path}/@Importe`);
    const baseAmount = ctx.amount(t.Base, `${path}/@Base`);
    const importe = ctx.amount(t.Importe, `${path}/@Importe`);
    if (t.Importe !== undefined) sum = importe && sum ? sum.plus(importe) : undefined;
    const group = groups.get(key);
    if (!group) {
      ctx.error(
        t.TipoFactor === "Exento" ? "CFDI40215" : "CFDI40221",
        `No concept has a Traslado of ${key.replaceAll("|", " ")}`,
        path,
      );
      return;
    }
    if (!group.complete) return;
    if (baseAmount && ctx.is40 && !baseAmount.equals(roundSat(group.base, places))) {
      ctx.error(
        "CFDI40215",
        `Base ${t.Base} is not the rounded sum of the concepts' bases for ${group.label} (${group.base.toFixed()})`,
        `${path}/@Base`,
      );
    }
    if (t.TipoFactor !== "Exento" && t.Importe === undefined) {
      ctx.error("CFDI40221", `A Traslado with TipoFactor ${t.TipoFactor} requires Importe`, path);
    } else if (importe && !importe.equals(roundSat(group.importe, places))) {
      ctx.error(
        "CFDI40221",
        `Importe ${t.Importe} is not the rounded sum of the concepts' importes for ${group.label} (${group.importe.toFixed()})`,
        `${path}/@Importe`,
      );
    }
  });
  for (const [key, group] of groups) {
    if (!seen.has(key)) {
      ctx.error(
        key.includes("|Exento|") ? "CFDI40215" : "CFDI40221",
        `The document Impuestos lack the Traslado for ${group.label} that the concepts carry`,
        imp?.Traslados ? `${IMPUESTOS}/Traslados` : IMPUESTOS,
      );
    }
  }
  return sum;
}

function checkRetenciones(ctx: Context, groups: Map<string, Group>, places: number): Decimal | undefined {
  const imp = ctx.cfdi.Impuestos;
  const list = imp?.Retenciones ?? [];
  const seen = new Set<string>();
  let sum: Decimal | undefined = new Dec(0);
  list.forEach((r, i) => {
    const path = `${IMPUESTOS}/Retenciones/Retencion[${i + 1}]`;
    ctx.catalog(impuestos, r.Impuesto, "CFDI40207", `${path}/@Impuesto`);
    if (seen.has(r.Impuesto))
      ctx.error("CFDI40208", `More than one Retencion for Impuesto ${r.Impuesto}`, path);
    seen.add(r.Impuesto);
    ctx.currencyDecimals(r.Importe, "CFDI40210", `${path}/@Importe`);
    const importe = ctx.amount(r.Importe, `${path}/@Importe`);
    sum = importe && sum ? sum.plus(importe) : undefined;
    const group = groups.get(r.Impuesto);
    if (!group) {
      ctx.error("CFDI40211", `No concept has a Retencion of Impuesto ${r.Impuesto}`, path);
    } else if (group.complete && importe && !importe.equals(roundSat(group.importe, places))) {
      ctx.error(
        "CFDI40211",
        `Importe ${r.Importe} is not the rounded sum of the concepts' retenciones of Impuesto ${r.Impuesto} (${group.importe.toFixed()})`,
        `${path}/@Importe`,
      );
    }
  });
  for (const [key, group] of groups) {
    if (!seen.has(key)) {
      ctx.error(
        "CFDI40211",
        `The document Impuestos lack the Retencion for ${group.label} that the concepts carry`,
        imp?.Retenciones ? `${IMPUESTOS}/Retenciones` : IMPUESTOS,
      );
    }
  }
  return sum;
}

/** Checks the document Impuestos; returns its written totals (0 when absent) for the Total check. */
function checkImpuestos(ctx: Context, places: number) {
  const imp = ctx.cfdi.Impuestos;
  if (imp && (ctx.tipo === "T" || ctx.tipo === "P")) {
    ctx.error("CFDI40201", `A CFDI of type ${ctx.tipo} must not have Impuestos`, IMPUESTOS);
  }
  const { traslados, retenciones } = conceptGroups(ctx);
  const trasladado = checkTraslados(ctx, traslados, places);
  const retenido = checkRetenciones(ctx, retenciones, places);

  const totalTras = ctx.amount(imp?.TotalImpuestosTrasladados, `${IMPUESTOS}/@TotalImpuestosTrasladados`);
  const totalRet = ctx.amount(imp?.TotalImpuestosRetenidos, `${IMPUESTOS}/@TotalImpuestosRetenidos`);
  ctx.currencyDecimals(
    imp?.TotalImpuestosTrasladados,
    "CFDI40204",
    `${IMPUESTOS}/@TotalImpuestosTrasladados`,
  );
  ctx.currencyDecimals(imp?.TotalImpuestosRetenidos, "CFDI40202", `${IMPUESTOS}/@TotalImpuestosRetenidos`);
  const conImporte = (imp?.Traslados ?? []).some((t) => t.Importe !== undefined);
  if (conImporte && imp?.TotalImpuestosTrasladados === undefined) {
    ctx.error("CFDI40212", "Traslados with Importe require TotalImpuestosTrasladados", IMPUESTOS);
  } else if (totalTras && trasladado && !totalTras.equals(trasladado)) {
    ctx.error(
      "CFDI40205",
      `TotalImpuestosTrasladados ${totalTras.toFixed()} is not the sum of the Traslados (${trasladado.toFixed()})`,
      `${IMPUESTOS}/@TotalImpuestosTrasladados`,
    );
  }
  if ((imp?.Retenciones?.length ?? 0) > 0 && imp?.TotalImpuestosRetenidos === undefined) {
    ctx.error("CFDI40206", "Retenciones require TotalImpuestosRetenidos", IMPUESTOS);
  } else if (totalRet && retenido && !totalRet.equals(retenido)) {
    ctx.error(
      "CFDI40203",
      `TotalImpuestosRetenidos ${totalRet.toFixed()} is not the sum of the Retenciones (${retenido.toFixed()})`,
      `${IMPUESTOS}/@TotalImpuestosRetenidos`,
    );
  }
  return { trasladados: totalTras ?? new Dec(0), retenidos: totalRet ?? new Dec(0) };
}

/** implocal totals (their own complement) and their net effect on Total. */
function impuestosLocales(ctx: Context): Decimal | undefined {
  const local = complemento(ctx.cfdi, "ImpuestosLocales");
  if (!local) return new Dec(0);
  const path = "Comprobante/Complemento/ImpuestosLocales";
  const traslados = ctx.amount(local.TotaldeTraslados, `${path}/@TotaldeTraslados`);
  const retenciones = ctx.amount(local.TotaldeRetenciones, `${path}/@TotaldeRetenciones`);
  const sum = (rows: { Importe: string }[], row: string) => {
    let total: Decimal | undefined = new Dec(0);
    rows.forEach((r, i) => {
      const v = ctx.amount(r.Importe, `${path}/${row}[${i + 1}]/@Importe`);
      total = v && total ? total.plus(v) : undefined;
    });
    return total;
  };
  const trasSum = sum(local.TrasladosLocales, "TrasladosLocales");
  const retSum = sum(local.RetencionesLocales, "RetencionesLocales");
  if (traslados && trasSum && !traslados.equals(trasSum)) {
    ctx.error(
      "implocal_total_mismatch",
      `TotaldeTraslados ${local.TotaldeTraslados} is not the sum of TrasladosLocales (${trasSum.toFixed()})`,
      `${path}/@TotaldeTraslados`,
    );
  }
  if (retenciones && retSum && !retenciones.equals(retSum)) {
    ctx.error(
      "implocal_total_mismatch",
      `TotaldeRetenciones ${local.TotaldeRetenciones} is not the sum of RetencionesLocales (${retSum.toFixed()})`,
      `${path}/@TotaldeRetenciones`,
    );
  }
  return traslados && retenciones ? traslados.minus(retenciones) : undefined;
}

export function checkTotales(ctx: Context) {
  if (ctx.is40 && ctx.tipo === "P") return;
  const c = ctx.cfdi;
  const places = ctx.decimals;
  const conIngresos = ["I", "E", "N"].includes(ctx.tipo);

  const subTotal = ctx.amount(c.SubTotal, at("SubTotal"));
  ctx.currencyDecimals(c.SubTotal, "CFDI40107", at("SubTotal"));
  let importes: Decimal | undefined = new Dec(0);
  let descuentos: Decimal | undefined = new Dec(0);
  let conDescuento = false;
  c.Conceptos.forEach((concepto, i) => {
    const base = `Comprobante/Conceptos/Concepto[${i + 1}]`;
    const importe = ctx.amount(concepto.Importe, `${base}/@Importe`);
    importes = importe && importes ? importes.plus(importe) : undefined;
    if (concepto.Descuento === undefined) return;
    conDescuento = true;
    const d = ctx.amount(concepto.Descuento, `${base}/@Descuento`);
    descuentos = d && descuentos ? descuentos.plus(d) : undefined;
  });
  if (subTotal && !conIngresos && !subTotal.isZero()) {
    ctx.error("CFDI40109", `SubTotal must be 0 in a CFDI of type ${ctx.tipo}`, at("SubTotal"));
  } else if (
    subTotal &&
    importes &&
    places !== undefined &&
    conIngresos &&
    !subTotal.equals(roundSat(importes, places))
  ) {
    ctx.error(
      "CFDI40108",
      `SubTotal ${c.SubTotal} is not the rounded sum of the concepts' Importe (${importes.toFixed()})`,
      at("SubTotal"),
    );
  }

  if (conDescuento && !conIngresos) {
    ctx.error(
      "CFDI40111",
      `Concepts of a CFDI of type ${ctx.tipo} cannot carry Descuento`,
      "Comprobante/Conceptos",
    );
  }
  const descuento = ctx.amount(c.Descuento, at("Descuento"));
  ctx.currencyDecimals(c.Descuento, "CFDI40112", at("Descuento"));
  if (descuento && subTotal && descuento.gt(subTotal)) {
    ctx.error(
      "CFDI40110",
      `Descuento ${c.Descuento} is greater than SubTotal ${c.SubTotal}`,
      at("Descuento"),
    );
  }
  if (places !== undefined && descuentos) {
    const expected = roundSat(descuentos, places);
    if (c.Descuento === undefined ? !expected.isZero() : descuento && !descuento.equals(expected)) {
      ctx.error(
        "descuento_mismatch",
        `Descuento ${c.Descuento ?? "(absent)"} is not the rounded sum of the concepts' Descuento (${descuentos.toFixed()})`,
        at("Descuento"),
      );
    }
  }

  const taxes = places === undefined ? undefined : checkImpuestos(ctx, places);
  const locales = impuestosLocales(ctx);
  const total = ctx.amount(c.Total, at("Total"));
  if (!total) return;
  ctx.currencyDecimals(c.Total, "total_decimals", at("Total"));
  if (!conIngresos) {
    if (!total.isZero()) ctx.error("CFDI40119", `Total must be 0 in a CFDI of type ${ctx.tipo}`, at("Total"));
    return;
  }
  if (!subTotal || !taxes || !locales || places === undefined || (c.Descuento !== undefined && !descuento))
    return;
  const expected = roundSat(
    subTotal
      .minus(descuento ?? 0)
      .plus(taxes.trasladados)
      .minus(taxes.retenidos)
      .plus(locales),
    places,
  );
  if (!total.equals(expected)) {
    ctx.error(
      "CFDI40119",
      `Total ${c.Total} is not SubTotal − Descuento + traslados − retenciones (+ impuestos locales) = ${expected.toFixed(places)}`,
      at("Total"),
    );
  }
}
