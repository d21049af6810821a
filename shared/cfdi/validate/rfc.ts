/**
 * The validator's names for the RFC rules, which live once in shared/rfc.ts (the API validates
 * organizations' RFCs with the same pattern).
 */
import { isEntityRfc } from "../../rfc";

export {
  GENERIC_RFC_FOREIGN as RFC_GENERICO_EXTRANJERO,
  GENERIC_RFC_NATIONAL as RFC_GENERICO_NACIONAL,
  isGenericRfc,
  isValidRfc as isRfc,
} from "../../rfc";

/** Persona type from a well-formed RFC: 12 characters is a persona moral, 13 a persona física. */
export const personaOf = (rfc: string): "fisica" | "moral" => (isEntityRfc(rfc) ? "moral" : "fisica");
