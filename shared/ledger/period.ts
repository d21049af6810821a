/**
 * Consumable periods: the calendar month in Mexico City time, written "YYYY-MM". Mexico City has kept
 * UTC−6 all year since 2022, but the IANA zone is used so history and any future change stay right.
 */
export const PERIOD = /^\d{4}-(0[1-9]|1[0-2])$/;

const monthInMexicoCity = new Intl.DateTimeFormat("en-US", {
  timeZone: "America/Mexico_City",
  year: "numeric",
  month: "2-digit",
});

export function periodOf(date: Date): string {
  const parts = monthInMexicoCity.formatToParts(date);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)!.value;
  return `${part("year")}-${part("month")}`;
}
