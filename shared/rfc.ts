/**
 * RFC (Registro Federal de Contribuyentes) syntax, as SAT's pattern defines it: 3 letters (persona
 * moral, 12 characters) or 4 letters (persona física, 13), a YYMMDD date and a 3-character homoclave.
 * `&` and `Ñ` are legal letters.
 */
export const RFC_PATTERN = /^[A-ZÑ&]{3,4}[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])[A-Z0-9]{2}[0-9A]$/u;

export const GENERIC_RFC_NATIONAL = "XAXX010101000";
export const GENERIC_RFC_FOREIGN = "XEXX010101000";

export const normalizeRfc = (rfc: string) => rfc.trim().toUpperCase();
export const isValidRfc = (rfc: string) => RFC_PATTERN.test(rfc);
export const isGenericRfc = (rfc: string) => rfc === GENERIC_RFC_NATIONAL || rfc === GENERIC_RFC_FOREIGN;
/** Personas morales have 12-character RFCs; personas físicas 13. */
export const isEntityRfc = (rfc: string) => rfc.length === 12;
