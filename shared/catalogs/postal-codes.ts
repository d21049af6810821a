/**
 * c_CodigoPostal (95.7k postal codes) with the names of their estado, municipio and localidad, for
 * `/v1/catalogs/geo` and for validation (`postalCodeExists`). The records are fixed width and sorted,
 * so a lookup is a binary search over the generated string: nothing is parsed ahead of time.
 */
import { CODIGOS_POSTALES } from "./data/codigos-postales";
import { ESTADOS } from "./data/estados";
import { LOCALIDADES } from "./data/localidades";
import { MUNICIPIOS } from "./data/municipios";
import { findFixedWidth } from "./text-search";
import type { CodigoPostal } from "./types";

const { records, width, husos, vigencias } = CODIGOS_POSTALES;

/** Municipio and localidad keys repeat across estados: both are looked up as "estado/clave". */
let names:
  | { estados: Map<string, string>; municipios: Map<string, string>; localidades: Map<string, string> }
  | undefined;
const byEstado = (rows: readonly { estado: string; clave: string; texto: string }[]) =>
  new Map(rows.map((r) => [`${r.estado}/${r.clave}`, r.texto]));

/** Whether `codigoPostal` (5 digits) is in c_CodigoPostal. */
export const postalCodeExists = (codigoPostal: string): boolean =>
  findFixedWidth(records, width, 5, codigoPostal) >= 0;

/** The postal code's entry, or undefined when it is not in the catalog. */
export function postalCode(codigoPostal: string): CodigoPostal | undefined {
  const i = findFixedWidth(records, width, 5, codigoPostal);
  if (i < 0) return undefined;
  const record = records.slice(i * width, (i + 1) * width);
  names ??= {
    estados: new Map(ESTADOS.map((e) => [e.clave, e.texto])),
    municipios: byEstado(MUNICIPIOS),
    localidades: byEstado(LOCALIDADES),
  };
  const estado = record.slice(5, 8);
  const named = (clave: string, map: Map<string, string>) => {
    const texto = map.get(`${estado}/${clave}`);
    return clave === "" || texto === undefined ? undefined : { clave, texto };
  };
  const municipio = named(record.slice(8, 11).trim(), names.municipios);
  const localidad = named(record.slice(11, 13).trim(), names.localidades);
  const [desde, hasta] = vigencias[Number.parseInt(record[15]!, 36)]!.split("|");
  return {
    codigoPostal,
    estado: { clave: estado, texto: names.estados.get(estado) ?? estado },
    ...(municipio ? { municipio } : {}),
    ...(localidad ? { localidad } : {}),
    estimuloFranjaFronteriza: Number(record[13]),
    husoHorario: husos[Number.parseInt(record[14]!, 36)]!,
    ...(desde ? { vigenciaDesde: desde } : {}),
    ...(hasta ? { vigenciaHasta: hasta } : {}),
  };
}
