/**
 * Building CFDI 4.0: a typed invoice input (./input) becomes a sealed document. This folder owns
 * the input schema, SAT's amount computation (./compute), the XML emission (./xml) and sealing
 * (./seal); parsing, the cadena original, CSD handling and validation are used from their folders.
 * Example inputs for the CLI and the README live in ./examples.
 */
import { badRequest } from "../../errors";
import type { Csd } from "../csd";
import { computeCfdi } from "./compute";
import { invoiceInputSchema, type ValidInvoiceInput } from "./input";
import { type SealedCfdi, sealCfdi } from "./seal";

export { computeCfdi } from "./compute";
export {
  type InvoiceInput,
  type ItemInput,
  invoiceInputSchema,
  type PaymentDocumentInput,
  type PaymentInput,
  type TaxInput,
  type ValidInvoiceInput,
} from "./input";
export { type SealedCfdi, sealCfdi } from "./seal";
export { mexicoCityDateTime, mexicoCityInstant } from "./time";
export { cfdiXml, escapeXml } from "./xml";

export interface InputIssue {
  /** Dotted path of the offending field, e.g. "items.0.unitPrice" ("" for the whole input). */
  path: string;
  message: string;
}

/**
 * Validates and normalizes an invoice input. Throws AppError 400 `invalid_invoice_input` whose
 * `details` lists every problem as `{path, message}`.
 */
export function parseInvoiceInput(input: unknown): ValidInvoiceInput {
  const result = invoiceInputSchema.safeParse(input);
  if (result.success) return result.data;
  const issues: InputIssue[] = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join("."),
    message: issue.message,
  }));
  const first = issues[0]!;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : "";
  throw badRequest(
    "invalid_invoice_input",
    `Invalid invoice input: ${first.path ? `${first.path}: ` : ""}${first.message}${more}`,
    issues,
  );
}

export interface BuildOptions {
  /** The issuer's CSD, from `loadCsd`; load it once and reuse it across documents. */
  csd: Csd;
  /** Supplies Fecha when the input has none (default: the current time). */
  now?: Date;
}

/**
 * Builds and seals a CFDI 4.0 from an invoice input: validate → compute → seal. Errors:
 * `invalid_invoice_input` (400, details per field) and, from sealing, `csd_rfc_mismatch`,
 * `csd_expired`, `csd_not_yet_valid` (422).
 */
export async function buildCfdi(input: unknown, options: BuildOptions): Promise<SealedCfdi> {
  const valid = parseInvoiceInput(input);
  return sealCfdi(computeCfdi(valid, options.now), options.csd);
}
