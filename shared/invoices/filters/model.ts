/**
 * The one filter model under every invoice listing. Each dialect (Tatem, Syntage, Contafy) parses its
 * query parameters into this small AST; db/invoice-queries turns it into SQL. Fields are logical
 * invoice fields, not columns, so a dialect never names storage and the SQL layer never knows which
 * dialect asked.
 *
 * Values are already normalized by the parsers: amounts are integer millionths, dates are in
 * the clock their field is stored in (see FIELD_KINDS), RFCs and UUIDs upper case.
 */

/** Which party of an invoice an organization is: receiver (`organization_id`) or issuer (`provider_id`). */
export type Side = "organization" | "provider";
export const SIDES: readonly Side[] = ["organization", "provider"];

/**
 * Which sides the caller's organizations must hold on a listed invoice. Per side: true = must hold it,
 * false = must not, undefined = either. At least one side always has to match, so an empty scope means
 * "issued or received by one of the organizations".
 */
export type Scope = Partial<Record<Side, boolean>>;

/**
 * Storage clock of a date field. `utc`: ISO 8601 instants with milliseconds and Z (our own
 * timestamps). `local`: the CFDI's wall time as written, `YYYY-MM-DDTHH:MM:SS` without offset (SAT
 * writes Mexico's time of issue). Filter values are converted to the field's clock so that text
 * comparison orders them correctly.
 */
export type Clock = "utc" | "local";

export type FieldKind =
  | { type: "text" }
  | { type: "status" }
  | { type: "integer" }
  | { type: "boolean" }
  | { type: "micros" }
  | { type: "date"; clock: Clock };

const text = { type: "text" } as const;
const bool = { type: "boolean" } as const;
const micros = { type: "micros" } as const;
const utc = { type: "date", clock: "utc" } as const;
const local = { type: "date", clock: "local" } as const;

/** Every field a filter or a sort may name, with its kind. */
export const FIELD_KINDS = {
  id: text,
  uuid: text,
  status: { type: "status" },
  statusCode: { type: "integer" },
  cfdiVersion: text,
  cfdiType: text,
  series: text,
  folioNumber: text,
  cfdiUse: text,
  paymentMethod: text,
  paymentForm: text,
  currencyCode: text,
  issuerName: text,
  issuerTaxIdentifier: text,
  issuerTaxRegime: text,
  issuerIsEntity: bool,
  recipientName: text,
  recipientTaxIdentifier: text,
  recipientTaxRegime: text,
  recipientIsEntity: bool,
  /** Name and RFC of the receiving organization as registered here (Tatem's `organization.*` sorts). */
  organizationName: text,
  organizationTaxIdentifier: text,
  pacTaxIdentifier: text,
  xmlFileId: text,
  pdfFileId: text,
  isCancelled: bool,
  isRead: bool,
  grossPrice: micros,
  netPrice: micros,
  discount: micros,
  tax: micros,
  paid: micros,
  due: micros,
  createdAt: utc,
  updatedAt: utc,
  sentAt: utc,
  paymentDueAt: utc,
  cancelledAt: utc,
  archivedByOrganizationAt: utc,
  archivedByProviderAt: utc,
  issuedAt: local,
  stampedAt: local,
  lastPaymentAt: utc,
  fullyPaidAt: utc,
  /** Two-digit month of issuedAt ("03"), for month filters without a year. */
  issuedMonth: text,
  /**
   * Facts we do not hold (SAT cancellation status, list 69-B status): always null, so an equality or
   * partial filter on them matches nothing and `exists` false matches everything.
   */
  cancellationStatus: text,
  cancellationProcessStatus: text,
  issuerBlacklistStatus: text,
  recipientBlacklistStatus: text,
} as const satisfies Record<string, FieldKind>;

export type Field = keyof typeof FIELD_KINDS;

/** Fields of an invoice's concepts and document taxes, matched by `some` conditions. */
export const ITEM_FIELDS = { itemKey: text, itemDescription: text } as const;
export const TAX_FIELDS = { taxId: text, taxRate: micros } as const;
export type ItemField = keyof typeof ITEM_FIELDS;
export type TaxField = keyof typeof TAX_FIELDS;

/** Text, booleans, status names, integers, or micros. */
export type Scalar = string | number | boolean;

export interface Bound {
  value: string | number;
  inclusive: boolean;
}

/** A comparison of one field. */
export type Comparison<F extends string = Field> =
  | { op: "eq"; field: F; value: Scalar }
  | { op: "in"; field: F; values: readonly Scalar[] }
  /** Case-insensitive substring. */
  | { op: "contains"; field: F; value: string }
  | { op: "range"; field: F; lower?: Bound; upper?: Bound }
  /** present: true = not null, false = null. */
  | { op: "exists"; field: F; present: boolean };

/**
 * A condition on the invoice: a comparison, a disjunction, or "some item / document tax matches every
 * comparison of `where`". Conditions of a query are ANDed.
 */
export type InvoiceCondition =
  | Comparison<Field>
  | { op: "any"; of: readonly InvoiceCondition[] }
  | { op: "item"; where: readonly Comparison<ItemField>[] }
  | { op: "tax"; where: readonly Comparison<TaxField>[] };

export type Direction = "asc" | "desc";
export interface Sort {
  field: Field;
  direction: Direction;
}

/**
 * Page numbers (offset) or a keyset cursor. A cursor names an invoice id: `after` lists what comes
 * after it in the listing's order (the next page), `before` what comes before it (the previous page).
 */
export type Pagination =
  | { kind: "offset"; page: number; limit: number }
  | { kind: "cursor"; limit: number; after?: string; before?: string };

export interface ListQuery {
  conditions: InvoiceCondition[];
  sort: Sort[];
  pagination: Pagination;
}
