/**
 * Query-value parsers shared by the three listing dialects: comma lists, booleans, exact amounts as
 * integer millionths, dates and months converted to the clock of the field they filter (see
 * model.ts `Clock`). Dates without an offset are Mexico City wall time, as the seed says of its dates.
 */
import { z } from "zod";
import { dec, decimalPlaces, isDecimalLiteral } from "../../cfdi/amounts";
import { mexicoCityDateTime, mexicoCityInstant } from "../../cfdi/build/time";
import { MAX_AMOUNT, toMicros } from "../record";
import type { Bound, Clock } from "./model";

/** Comma-separated values, each parsed by `item`; blanks around commas are ignored. */
export const commaList = <T extends z.ZodType<unknown, string>>(item: T, max = 100) =>
  z
    .string()
    .transform((s) =>
      s
        .split(",")
        .map((v) => v.trim())
        .filter((v) => v !== ""),
    )
    .pipe(z.array(item).min(1).max(max));

/** Query booleans arrive as text; only the two literal spellings count. */
export const queryBoolean = z.enum(["true", "false"]).transform((v) => v === "true");

/**
 * An exact decimal amount as integer millionths (shared/invoices/record's `toMicros`, the conversion
 * the stored `*_micros` columns were made with): at most 6 decimals, the most a CFDI amount has, and
 * within the amounts the inbox stores.
 */
const amountSchema = (signed: boolean) =>
  z
    .string()
    .trim()
    .refine(
      (text) =>
        isDecimalLiteral(text) &&
        !/^[+-]?\./.test(text) &&
        !text.endsWith(".") &&
        decimalPlaces(text) <= 6 &&
        (signed || !text.startsWith("-")) &&
        dec(text).abs().lte(MAX_AMOUNT),
      { message: `Expected an amount${signed ? "" : " ≥ 0"} with at most 6 decimals, up to ${MAX_AMOUNT}` },
    )
    .transform(toMicros);

/** A non-negative exact amount → micros. */
export const Amount = amountSchema(false);
/** A possibly negative exact amount → micros. */
export const SignedAmount = amountSchema(true);

/** A date or date-time as written in a query, before it is put on a field's clock. */
export interface DateInput {
  /** Wall time `YYYY-MM-DDTHH:MM:SS[.mmm]` as written (midnight for a date). */
  wall: string;
  dateOnly: boolean;
  /** The instant, when the text carried Z or an offset. */
  instant?: Date;
}

const DATE_TEXT =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

function readDate(text: string): DateInput | null {
  const m = DATE_TEXT.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h = "00", mi = "00", s = "00", frac, zone] = m;
  const ms = (frac ?? "").slice(0, 3).padEnd(3, "0");
  const wall = `${y}-${mo}-${d}T${h}:${mi}:${s}${ms === "000" ? "" : `.${ms}`}`;
  // Date.parse accepts impossible dates (Feb 30) by rolling over; compare back to refuse them.
  const check = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`);
  if (Number.isNaN(check.getTime()) || check.toISOString().slice(0, 19) !== `${y}-${mo}-${d}T${h}:${mi}:${s}`)
    return null;
  const dateOnly = m[4] === undefined;
  if (!zone) return { wall, dateOnly };
  const offset = zone === "Z" ? "Z" : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
  const instant = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}${offset}`);
  return Number.isNaN(instant.getTime()) ? null : { wall, dateOnly, instant };
}

/** `YYYY-MM-DD` or an ISO 8601 date-time, with or without an offset. */
export const DateText = z.string().transform((text, ctx) => {
  const parsed = readDate(text);
  if (!parsed) {
    ctx.addIssue({ code: "custom", message: `Not a date or ISO 8601 date-time: "${text}"` });
    return z.NEVER;
  }
  return parsed;
});

/** The instant a Mexico City wall time denotes. */
function wallInstant(wall: string): Date {
  const [seconds, ms = "000"] = wall.split(".");
  return new Date(mexicoCityInstant(seconds!).getTime() + Number(ms));
}

/** A date input on a field's clock, ready to compare with the stored text. */
export function onClock(input: DateInput, clock: Clock): string {
  if (clock === "utc") return (input.instant ?? wallInstant(input.wall)).toISOString();
  if (!input.instant) return input.wall;
  const ms = input.instant.getUTCMilliseconds();
  return `${mexicoCityDateTime(input.instant)}${ms ? `.${String(ms).padStart(3, "0")}` : ""}`;
}

/** The wall time one calendar day after a date's midnight. */
function nextDay(wall: string): string {
  const day = new Date(`${wall.slice(0, 10)}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() + 1);
  return `${day.toISOString().slice(0, 10)}T00:00:00`;
}

/**
 * Bounds of a `from`/`to` pair: both inclusive, except that a bare date as `to` means the whole day
 * (strictly before the next midnight), which is what someone filtering "until March 31" expects.
 */
export function dayRange(clock: Clock, from?: DateInput, to?: DateInput): { lower?: Bound; upper?: Bound } {
  const lower = from && { value: onClock(from, clock), inclusive: true };
  const upper =
    to &&
    (to.dateOnly
      ? { value: onClock({ wall: nextDay(to.wall), dateOnly: true }, clock), inclusive: false }
      : { value: onClock(to, clock), inclusive: true });
  return { ...(lower ? { lower } : {}), ...(upper ? { upper } : {}) };
}

/** `YYYY-MM`. */
export const Period = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])$/, "Expected a month as YYYY-MM")
  .transform((p) => ({ year: Number(p.slice(0, 4)), month: Number(p.slice(5, 7)) }));

export interface Month {
  year: number;
  month: number;
}

/** The calendar month `now` falls in, in Mexico City. */
export function mexicoCityMonth(now: Date): Month {
  const wall = mexicoCityDateTime(now);
  return { year: Number(wall.slice(0, 4)), month: Number(wall.slice(5, 7)) };
}

const monthStart = ({ year, month }: Month) =>
  `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}-01T00:00:00`;

/** A Mexico City calendar month (or `months` of them) as [start, next start) on a field's clock. */
export function monthRange(clock: Clock, from: Month, months = 1): { lower: Bound; upper: Bound } {
  const endMonth = from.month - 1 + months;
  const end = { year: from.year + Math.floor(endMonth / 12), month: (endMonth % 12) + 1 };
  const at = (m: Month) => onClock({ wall: monthStart(m), dateOnly: true }, clock);
  return { lower: { value: at(from), inclusive: true }, upper: { value: at(end), inclusive: false } };
}

/** An invoice's own id (a UUID we generated). */
export const InvoiceId = z.uuid();

/** A CFDI folio fiscal in any case, stored and compared upper case. */
export const CfdiUuid = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, "Not a CFDI UUID")
  .transform((u) => u.toUpperCase());

/** An RFC as typed (case and blanks forgiven), compared upper case. */
export const RfcText = z
  .string()
  .trim()
  .min(1)
  .max(13)
  .transform((r) => r.toUpperCase());
