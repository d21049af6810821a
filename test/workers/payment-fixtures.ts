/**
 * Documents for the payment suites, sealed by the engine with SAT's test CSD (EKU9003173C9): invoices
 * of any total, currency and payment method, and payment complements (Pagos 2.0) paying them. The
 * corpus's Pagos fixtures pay invoices that are not in the corpus, so the suites build the invoices
 * they pay, and complements for the cases the corpus lacks.
 *
 * Built documents are sealed but not stamped: only a PAC's TimbreFiscalDigital gives a CFDI its UUID,
 * and the inbox stores unstamped copies without one. `giveUuid` writes the UUID a stamp would have
 * given straight into the database, so that a complement can name the invoice.
 */
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { invoices } from "../../db/schema";
import { buildCfdi, type InvoiceInput } from "../../shared/cfdi/build/index";
import { type Csd, loadCsd } from "../../shared/cfdi/csd/index";
import { STATUS_CODES } from "../../shared/invoices/status";
import { callMultipart, db } from "./harness";

export const ISSUER = { rfc: "EKU9003173C9", name: "ESCUELA KEMPER URGATE", taxRegime: "601" };
export const MUNICIPIO = {
  rfc: "MCI7306249Y1",
  name: "MUNICIPIO DE CUAUTITLAN IZCALLI",
  taxRegime: "603",
  postalCode: "54700",
};
export const CARLOS = {
  rfc: "COSC8001137NA",
  name: "CARLOS CORTES SOTO",
  taxRegime: "605",
  postalCode: "52000",
};

type Receptor = typeof MUNICIPIO;

let csd: Promise<Csd> | undefined;
const fixture = (name: string) => env.TEST_FIXTURES[`csd/EKU9003173C9/${name}`]!;
const ekuCsd = () =>
  (csd ??= loadCsd({
    cer: fixture("EKU9003173C9.cer"),
    key: fixture("EKU9003173C9.key"),
    password: atob(fixture("password.txt")).trim(),
  }));

/** An invoice of one 16 % IVA line whose unit price gives the wanted total. */
export async function invoiceXml(options: {
  unitPrice: string;
  receptor?: Receptor;
  cfdiUse?: string;
  paymentMethod?: "PPD" | "PUE";
  currency?: string;
  exchangeRate?: string;
}): Promise<string> {
  const input: InvoiceInput = {
    type: "I",
    issuer: ISSUER,
    receptor: { ...(options.receptor ?? MUNICIPIO), cfdiUse: options.cfdiUse ?? "G03" },
    expeditionPostalCode: "42501",
    paymentMethod: options.paymentMethod ?? "PPD",
    ...(options.paymentMethod === "PUE" ? { paymentForm: "03" } : {}),
    ...(options.currency ? { currency: options.currency, exchangeRate: options.exchangeRate } : {}),
    items: [
      {
        productKey: "84111506",
        quantity: "1",
        unitKey: "E48",
        description: "Servicio de consultoría",
        unitPrice: options.unitPrice,
        taxes: [{ tax: "IVA", factor: "Tasa", rate: "0.16" }],
      },
    ],
  };
  return (await buildCfdi(input, { csd: await ekuCsd() })).xml;
}

export interface PaidDocument {
  uuid: string;
  amountPaid: string;
  previousBalance: string;
  installment?: number;
  currency?: string;
  equivalence?: string;
}

/** A payment complement with one Pago (transfer, MXN unless said) relating `documents`. */
export async function complementXml(
  documents: PaidDocument[],
  options: { receptor?: Receptor; date?: string; currency?: string; exchangeRate?: string } = {},
): Promise<string> {
  const input: InvoiceInput = {
    type: "P",
    issuer: ISSUER,
    receptor: options.receptor ?? MUNICIPIO,
    expeditionPostalCode: "42501",
    payments: [
      {
        date: options.date ?? "2026-11-18T12:00:00",
        paymentForm: "03",
        currency: options.currency ?? "MXN",
        ...(options.exchangeRate ? { exchangeRate: options.exchangeRate } : {}),
        relatedDocuments: documents.map((d) => ({
          uuid: d.uuid,
          currency: d.currency ?? "MXN",
          ...(d.equivalence ? { equivalence: d.equivalence } : {}),
          installment: d.installment ?? 1,
          previousBalance: d.previousBalance,
          amountPaid: d.amountPaid,
          taxes: [{ tax: "IVA", rate: "0.16" }],
        })),
      },
    ] as InvoiceInput["payments"],
  };
  return (await buildCfdi(input, { csd: await ekuCsd() })).xml;
}

/** Gives a stored, unstamped invoice the UUID a PAC's stamp would have given it (see the header). */
export async function giveUuid(invoiceId: string, uuid = crypto.randomUUID().toUpperCase()) {
  await db().update(invoices).set({ uuid }).where(eq(invoices.id, invoiceId));
  return uuid;
}

/**
 * Puts an invoice in `status` directly: the receiver's review (PATCH /v1/invoices/status) is another
 * suite's subject, and payments start from the status it leaves.
 */
export async function setStatus(invoiceId: string, status: (typeof invoices.$inferSelect)["status"]) {
  const now = new Date().toISOString();
  await db()
    .update(invoices)
    .set({
      status,
      statusCode: STATUS_CODES[status],
      updatedAt: now,
      ...(status === "accepted" ? { acceptedAt: now } : {}),
    })
    .where(eq(invoices.id, invoiceId));
}

/** POST /v1/invoice-payments with the complement (and optionally its PDF). */
export const uploadComplement = (
  token: string,
  invoiceIds: string[],
  xml: string,
  extra: Record<string, string> = {},
) =>
  callMultipart("POST", `/v1/invoice-payments?invoice_ids=${invoiceIds.join(",")}`, token, {
    invoicePaymentXml: xml,
    ...extra,
  });
