/**
 * c_ClaveUnidad (SAT units of measure, 2.4k entries): existence check and the q= search of
 * `/v1/catalogs/unit-keys`, on the same folded text index as the product keys.
 */
import { CLAVES_UNIDAD } from "./data/claves-unidad";
import { type TextIndex, textIndex } from "./text-search";
import type { ClaveUnidad } from "./types";

let keys: Set<string> | undefined;

/** Whether `clave` is a key of c_ClaveUnidad (validity dates are not checked). */
export function unitKeyExists(clave: string): boolean {
  keys ??= new Set(CLAVES_UNIDAD.map((e) => e.clave));
  return keys.has(clave);
}

let index: TextIndex | undefined;

/**
 * Units whose key starts with `query`, or whose name or symbol holds every word of it (accent- and
 * case-insensitive), best first (see `TextIndex.search`), at most `limit`.
 */
export function searchUnitKeys(query: string, limit: number): ClaveUnidad[] {
  const entries = CLAVES_UNIDAD;
  index ??= textIndex(entries.length, () => [
    entries.map((e) => e.clave).join("\n"),
    entries.map((e) => e.texto).join("\n"),
    entries.map((e) => e.simbolo ?? "").join("\n"),
  ]);
  return index.search(query, limit).map((i) => entries[i]!);
}
