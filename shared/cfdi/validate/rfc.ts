/** RFC shapes (Anexo 20 t_RFC pattern) and the SAT's generic RFCs. */

/** Receptor without RFC in Mexico: público en general, or a sale to a national without RFC. */
export const RFC_GENERICO_NACIONAL = "XAXX010101000";
/** Foreign receptor (residente en el extranjero). */
export const RFC_GENERICO_EXTRANJERO = "XEXX010101000";

/** 3 letters (moral) or 4 (física), YYMMDD, 3-character homoclave. */
const RFC_PATTERN = /^[A-ZÑ&]{3,4}[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])[A-Z0-9]{2}[0-9A]$/u;

export const isRfc = (rfc: string) => RFC_PATTERN.test(rfc);

export const isGenericRfc = (rfc: string) => rfc === RFC_GENERICO_NACIONAL || rfc === RFC_GENERICO_EXTRANJERO;

/** Persona type from a well-formed RFC: 12 characters is a persona moral, 13 a persona física. */
export const personaOf = (rfc: string): "fisica" | "moral" => ([...rfc].length === 12 ? "moral" : "fisica");
