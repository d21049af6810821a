/**
 * Cadena original of complements, driven by declarative transcriptions of SAT's complement XSLTs.
 *
 * Every SAT complement stylesheet has the same shape: one template per element that prints
 * attributes in a fixed order (`Requerido`: always, `Opcional`: only when present) and then applies
 * the templates of selected children in document order. A `ComplementSpec` writes one stylesheet
 * down in that shape; `complementCadena` runs it over the raw `XmlNode`, so adding a complement means
 * transcribing its XSLT, with no code. Each spec below names the stylesheet it transcribes.
 */
import { unprocessable } from "../../errors";
import type { CfdiVersion, XmlNode } from "../model";
import { COMPLEMENT_NAMESPACE } from "../model";
import { normalizeSpace } from "./normalize";

/**
 * Templates by element local name (all in `namespace`). A step is
 * - `"@Name"`: Requerido: `|` + normalize-space(value), `|` alone when the attribute is absent;
 * - `"@Name?"`: Opcional: as above, nothing at all when the attribute is absent;
 * - `"A/B/C"`: for-each over the matching descendants along that child path, in document order,
 *   applying the template of the last step's element name.
 */
export interface ComplementSpec {
  namespace: string;
  root: string;
  templates: Readonly<Record<string, readonly string[]>>;
}

/** Pagos/Pagos20.xslt */
const PAGOS20: ComplementSpec = {
  namespace: COMPLEMENT_NAMESPACE.Pagos20,
  root: "Pagos",
  templates: {
    Pagos: ["@Version", "Totales", "Pago"],
    Totales: [
      "@TotalRetencionesIVA?",
      "@TotalRetencionesISR?",
      "@TotalRetencionesIEPS?",
      "@TotalTrasladosBaseIVA16?",
      "@TotalTrasladosImpuestoIVA16?",
      "@TotalTrasladosBaseIVA8?",
      "@TotalTrasladosImpuestoIVA8?",
      "@TotalTrasladosBaseIVA0?",
      "@TotalTrasladosImpuestoIVA0?",
      "@TotalTrasladosBaseIVAExento?",
      "@MontoTotalPagos",
    ],
    Pago: [
      "@FechaPago",
      "@FormaDePagoP",
      "@MonedaP",
      "@TipoCambioP?",
      "@Monto",
      "@NumOperacion?",
      "@RfcEmisorCtaOrd?",
      "@NomBancoOrdExt?",
      "@CtaOrdenante?",
      "@RfcEmisorCtaBen?",
      "@CtaBeneficiario?",
      "@TipoCadPago?",
      "@CertPago?",
      "@CadPago?",
      "@SelloPago?",
      "DoctoRelacionado",
      "ImpuestosP",
    ],
    DoctoRelacionado: [
      "@IdDocumento",
      "@Serie?",
      "@Folio?",
      "@MonedaDR",
      "@EquivalenciaDR?",
      "@NumParcialidad",
      "@ImpSaldoAnt",
      "@ImpPagado",
      "@ImpSaldoInsoluto",
      "@ObjetoImpDR",
      "ImpuestosDR/RetencionesDR/RetencionDR",
      "ImpuestosDR/TrasladosDR/TrasladoDR",
    ],
    RetencionDR: ["@BaseDR", "@ImpuestoDR", "@TipoFactorDR", "@TasaOCuotaDR", "@ImporteDR"],
    TrasladoDR: ["@BaseDR", "@ImpuestoDR", "@TipoFactorDR", "@TasaOCuotaDR?", "@ImporteDR?"],
    ImpuestosP: ["RetencionesP", "TrasladosP"],
    RetencionesP: ["RetencionP"],
    TrasladosP: ["TrasladoP"],
    RetencionP: ["@ImpuestoP", "@ImporteP"],
    TrasladoP: ["@BaseP", "@ImpuestoP", "@TipoFactorP", "@TasaOCuotaP?", "@ImporteP?"],
  },
};

/** Pagos/Pagos10.xslt */
const PAGOS10: ComplementSpec = {
  namespace: COMPLEMENT_NAMESPACE.Pagos10,
  root: "Pagos",
  templates: {
    Pagos: ["@Version", "Pago"],
    Pago: [
      "@FechaPago",
      "@FormaDePagoP",
      "@MonedaP",
      "@TipoCambioP?",
      "@Monto",
      "@NumOperacion?",
      "@RfcEmisorCtaOrd?",
      "@NomBancoOrdExt?",
      "@CtaOrdenante?",
      "@RfcEmisorCtaBen?",
      "@CtaBeneficiario?",
      "@TipoCadPago?",
      "@CertPago?",
      "@CadPago?",
      "@SelloPago?",
      "DoctoRelacionado",
      "Impuestos",
    ],
    DoctoRelacionado: [
      "@IdDocumento",
      "@Serie?",
      "@Folio?",
      "@MonedaDR",
      "@TipoCambioDR?",
      "@MetodoDePagoDR",
      "@NumParcialidad?",
      "@ImpSaldoAnt?",
      "@ImpPagado?",
      "@ImpSaldoInsoluto?",
    ],
    Impuestos: ["@TotalImpuestosRetenidos?", "@TotalImpuestosTrasladados?", "Retenciones", "Traslados"],
    Retenciones: ["Retencion"],
    Traslados: ["Traslado"],
    Retencion: ["@Impuesto", "@Importe"],
    Traslado: ["@Impuesto", "@TipoFactor", "@TasaOCuota", "@Importe"],
  },
};

/** implocal/implocal.xslt */
const IMPLOCAL: ComplementSpec = {
  namespace: COMPLEMENT_NAMESPACE.ImpuestosLocales,
  root: "ImpuestosLocales",
  templates: {
    ImpuestosLocales: [
      "@version",
      "@TotaldeRetenciones",
      "@TotaldeTraslados",
      "RetencionesLocales",
      "TrasladosLocales",
    ],
    RetencionesLocales: ["@ImpLocRetenido", "@TasadeRetencion", "@Importe"],
    TrasladosLocales: ["@ImpLocTrasladado", "@TasadeTraslado", "@Importe"],
  },
};

/** nomina/nomina12.xslt */
const NOMINA12: ComplementSpec = {
  namespace: COMPLEMENT_NAMESPACE.Nomina12,
  root: "Nomina",
  templates: {
    Nomina: [
      "@Version",
      "@TipoNomina",
      "@FechaPago",
      "@FechaInicialPago",
      "@FechaFinalPago",
      "@NumDiasPagados",
      "@TotalPercepciones?",
      "@TotalDeducciones?",
      "@TotalOtrosPagos?",
      "Emisor",
      "Receptor",
      "Percepciones",
      "Deducciones",
      "OtrosPagos",
      "Incapacidades",
    ],
    Emisor: ["@Curp?", "@RegistroPatronal?", "@RfcPatronOrigen?", "EntidadSNCF"],
    EntidadSNCF: ["@OrigenRecurso", "@MontoRecursoPropio?"],
    Receptor: [
      "@Curp",
      "@NumSeguridadSocial?",
      "@FechaInicioRelLaboral?",
      "@Antigüedad?",
      "@TipoContrato",
      "@Sindicalizado?",
      "@TipoJornada?",
      "@TipoRegimen",
      "@NumEmpleado",
      "@Departamento?",
      "@Puesto?",
      "@RiesgoPuesto?",
      "@PeriodicidadPago",
      "@Banco?",
      "@CuentaBancaria?",
      "@SalarioBaseCotApor?",
      "@SalarioDiarioIntegrado?",
      "@ClaveEntFed",
      "SubContratacion",
    ],
    SubContratacion: ["@RfcLabora", "@PorcentajeTiempo"],
    Percepciones: [
      "@TotalSueldos?",
      "@TotalSeparacionIndemnizacion?",
      "@TotalJubilacionPensionRetiro?",
      "@TotalGravado",
      "@TotalExento",
      "Percepcion",
      "JubilacionPensionRetiro",
      "SeparacionIndemnizacion",
    ],
    Percepcion: [
      "@TipoPercepcion",
      "@Clave",
      "@Concepto",
      "@ImporteGravado",
      "@ImporteExento",
      "AccionesOTitulos",
      "HorasExtra",
    ],
    AccionesOTitulos: ["@ValorMercado", "@PrecioAlOtorgarse"],
    HorasExtra: ["@Dias", "@TipoHoras", "@HorasExtra", "@ImportePagado"],
    JubilacionPensionRetiro: [
      "@TotalUnaExhibicion?",
      "@TotalParcialidad?",
      "@MontoDiario?",
      "@IngresoAcumulable",
      "@IngresoNoAcumulable",
    ],
    SeparacionIndemnizacion: [
      "@TotalPagado",
      "@NumAñosServicio",
      "@UltimoSueldoMensOrd",
      "@IngresoAcumulable",
      "@IngresoNoAcumulable",
    ],
    Deducciones: ["@TotalOtrasDeducciones?", "@TotalImpuestosRetenidos?", "Deduccion"],
    Deduccion: ["@TipoDeduccion", "@Clave", "@Concepto", "@Importe"],
    OtrosPagos: ["OtroPago"],
    OtroPago: [
      "@TipoOtroPago",
      "@Clave",
      "@Concepto",
      "@Importe",
      "SubsidioAlEmpleo",
      "CompensacionSaldosAFavor",
    ],
    SubsidioAlEmpleo: ["@SubsidioCausado"],
    CompensacionSaldosAFavor: ["@SaldoAFavor", "@Año", "@RemanenteSalFav"],
    Incapacidades: ["Incapacidad"],
    Incapacidad: ["@DiasIncapacidad", "@TipoIncapacidad", "@ImporteMonetario?"],
  },
};

// ---------------------------------------------------------------------------------------------
// Compiled form: specs are turned into op lists once, at module load.

const REQUIRED = 0;
const OPTIONAL = 1;
const CHILDREN = 2;

type Op =
  | { kind: typeof REQUIRED | typeof OPTIONAL; name: string }
  | { kind: typeof CHILDREN; path: readonly string[]; template: Template };

interface Template {
  ops: Op[];
}

interface CompiledSpec {
  namespace: string;
  root: Template;
}

function compile(spec: ComplementSpec): CompiledSpec {
  const compiled = new Map<string, Template>();
  const template = (name: string): Template => {
    let t = compiled.get(name);
    if (t) return t;
    const steps = spec.templates[name];
    if (!steps) throw new Error(`Complement spec ${spec.namespace} has no template for ${name}`);
    t = { ops: [] };
    compiled.set(name, t);
    for (const step of steps) {
      if (step.startsWith("@")) {
        const optional = step.endsWith("?");
        t.ops.push({ kind: optional ? OPTIONAL : REQUIRED, name: step.slice(1, optional ? -1 : undefined) });
      } else {
        const path = step.split("/");
        t.ops.push({ kind: CHILDREN, path, template: template(path[path.length - 1] as string) });
      }
    }
    return t;
  };
  return { namespace: spec.namespace, root: template(spec.root) };
}

/** Compiled specs by namespace URI, then root element name. */
type Registry = ReadonlyMap<string, ReadonlyMap<string, CompiledSpec>>;

/**
 * The complement stylesheets each CFDI version's cadenaoriginal XSLT includes, among those
 * transcribed here (4.0 does not include Pagos 1.0, 3.3 does not include Pagos 2.0).
 */
const BY_VERSION: Record<CfdiVersion, Registry> = {
  "4.0": registry([PAGOS20, IMPLOCAL, NOMINA12]),
  "3.3": registry([PAGOS10, IMPLOCAL, NOMINA12]),
};

function registry(specs: ComplementSpec[]): Registry {
  const byNamespace = new Map<string, Map<string, CompiledSpec>>();
  for (const spec of specs) {
    const byRoot = byNamespace.get(spec.namespace) ?? new Map<string, CompiledSpec>();
    byRoot.set(spec.root, compile(spec));
    byNamespace.set(spec.namespace, byRoot);
  }
  return byNamespace;
}

/**
 * The cadena fragment of one complement (a child of cfdi:Complemento or cfdi:ComplementoConcepto),
 * as the `version` cadenaoriginal XSLT produces it. Throws `cadena_unsupported_complement` for a
 * complement with no transcription here, rather than leaving it out of the cadena.
 */
export function complementCadena(version: CfdiVersion, node: XmlNode): string {
  if (node.namespace === COMPLEMENT_NAMESPACE.TimbreFiscalDigital && node.name === "TimbreFiscalDigital") {
    return tfdInDocument(node);
  }
  const spec = BY_VERSION[version].get(node.namespace)?.get(node.name);
  if (!spec) throw unsupported(version, node);
  return run(spec.root, node, spec.namespace);
}

/**
 * Neither cadenaoriginal XSLT has a template for the stamp, so XSLT's built-in rule applies: it
 * contributes its text content, which is "" for every schema-valid TFD (an empty element) but is
 * copied verbatim (whitespace included) when a document has some.
 */
function tfdInDocument(node: XmlNode): string {
  if (node.children.length > 0) {
    throw unprocessable(
      "cadena_unsupported_complement",
      "tfd:TimbreFiscalDigital must be an empty element; this one has child elements",
      { element: "TimbreFiscalDigital", namespace: node.namespace },
    );
  }
  return node.text;
}

function run(template: Template, node: XmlNode, ns: string): string {
  let out = "";
  const attributes = node.attributes;
  for (const op of template.ops) {
    if (op.kind === CHILDREN) {
      if (op.path.length === 1) {
        const name = op.path[0];
        for (const child of node.children) {
          if (child.name === name && child.namespace === ns) out += run(op.template, child, ns);
        }
      } else {
        out += forEach(op.path, 0, node, ns, op.template);
      }
    } else {
      const value = attributes[op.name];
      if (value !== undefined) out += `|${normalizeSpace(value)}`;
      else if (op.kind === REQUIRED) out += "|";
    }
  }
  return out;
}

function forEach(
  path: readonly string[],
  depth: number,
  node: XmlNode,
  ns: string,
  template: Template,
): string {
  const name = path[depth];
  const last = depth === path.length - 1;
  let out = "";
  for (const child of node.children) {
    if (child.name !== name || child.namespace !== ns) continue;
    out += last ? run(template, child, ns) : forEach(path, depth + 1, child, ns, template);
  }
  return out;
}

function unsupported(version: CfdiVersion, node: XmlNode) {
  const label = node.prefix ? `${node.prefix}:${node.name}` : node.name;
  return unprocessable(
    "cadena_unsupported_complement",
    `The cadena original for CFDI ${version} cannot be computed: complement ${label} (${node.namespace || "no namespace"}) is not supported`,
    { element: node.name, namespace: node.namespace, version },
  );
}
