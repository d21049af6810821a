/**
 * EFOS check (article 69-B CFF: taxpayers the SAT presumes or has ruled to invoice simulated
 * operations). `EfosList` is the interface the API uses; `shippedEfosList` reads the list generated
 * into data/efos.ts by scripts/build-catalogs.ts (refresh: README.md, "EFOS list").
 */
import { EFOS } from "./data/efos";
import { EFOS_RFC_WIDTH } from "./efos-csv";
import { findFixedWidth } from "./text-search";
import type { EfosColumns } from "./types";

export interface EfosEntry {
  rfc: string;
  nombre: string;
  /** The SAT's "Situación del contribuyente": Presunto, Definitivo, Desvirtuado or Sentencia Favorable. */
  situacion: string;
}

export interface EfosList {
  /** The list's update date (ISO), null when unknown or when no list is loaded. */
  readonly asOf: string | null;
  readonly size: number;
  find(rfc: string): EfosEntry | undefined;
}

export function efosList(columns: EfosColumns): EfosList {
  let nombres: string[] | undefined;
  return {
    asOf: columns.asOf,
    size: columns.count,
    find(rfc) {
      const key = rfc.trim().toUpperCase();
      if (key.length > EFOS_RFC_WIDTH) return undefined;
      const i = findFixedWidth(columns.rfcs, EFOS_RFC_WIDTH, EFOS_RFC_WIDTH, key.padEnd(EFOS_RFC_WIDTH, " "));
      if (i < 0) return undefined;
      nombres ??= columns.nombres.split("\n");
      return {
        rfc: key,
        nombre: nombres[i]!,
        situacion: columns.situaciones[Number.parseInt(columns.situacion[i]!, 36)]!,
      };
    },
  };
}

export const shippedEfosList: EfosList = efosList(EFOS);
