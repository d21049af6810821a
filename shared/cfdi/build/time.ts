/**
 * Mexico City wall-clock time, the clock of SAT's Fecha (which carries no offset). The offset comes
 * from the runtime's time-zone data (Mexico City kept daylight saving time until October 2022), and
 * is cached per UTC hour: zone transitions fall on hour boundaries, and asking Intl costs more than
 * the rest of building an invoice.
 */
const HOUR = 3_600_000;

const mexicoCityFormat = new Intl.DateTimeFormat("en-CA", {
  timeZone: "America/Mexico_City",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});

/** UTC hour → offset; small, since a process only ever asks about a few hours around now. */
const offsets = new Map<number, number>();
const MAX_CACHED_HOURS = 256;

/** Milliseconds to add to a UTC instant to get Mexico City's wall-clock time at that instant. */
function offsetAt(utc: number): number {
  const hour = Math.floor(utc / HOUR);
  let offset = offsets.get(hour);
  if (offset === undefined) {
    const p: Record<string, string> = {};
    for (const part of mexicoCityFormat.formatToParts(new Date(hour * HOUR))) p[part.type] = part.value;
    offset = Date.UTC(+p.year!, +p.month! - 1, +p.day!, +p.hour!, +p.minute!, +p.second!) - hour * HOUR;
    if (offsets.size >= MAX_CACHED_HOURS) offsets.clear();
    offsets.set(hour, offset);
  }
  return offset;
}

/** An instant as Mexico City's wall-clock time in SAT's Fecha form (YYYY-MM-DDTHH:mm:ss). */
export function mexicoCityDateTime(at: Date): string {
  return new Date(at.getTime() + offsetAt(at.getTime())).toISOString().slice(0, 19);
}

/** The instant a Mexico City wall-clock Fecha denotes (the reverse of `mexicoCityDateTime`). */
export function mexicoCityInstant(fecha: string): Date {
  const asUtc = Date.parse(`${fecha}Z`);
  // The wall clock is behind UTC: the offset at the guessed instant is the offset at the real one
  // except within an hour of a transition, which a second look settles.
  const guess = asUtc - offsetAt(asUtc);
  return new Date(asUtc - offsetAt(guess));
}
