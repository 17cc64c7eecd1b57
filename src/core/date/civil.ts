/**
 * Naive ("civil") date arithmetic, the model of Python's naive `datetime`: a wall-clock date and
 * time without a zone, represented as seconds since 1970-01-01T00:00:00 counted as if it were UTC.
 */

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export interface CivilFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** Inverse of daysFromCivil plus time of day; `civil` may be fractional (the fraction is dropped). */
export function civilToFields(civil: number): CivilFields {
  const secs = Math.floor(civil);
  const z0 = Math.floor(secs / 86400);
  let rem = secs - z0 * 86400;
  const hour = Math.floor(rem / 3600);
  rem -= hour * 3600;
  const minute = Math.floor(rem / 60);
  const second = rem - minute * 60;
  const z = z0 + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return { year, month, day, hour, minute, second };
}

export function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function daysInMonth(y: number, m: number): number {
  return m === 2 && isLeapYear(y) ? 29 : MONTH_DAYS[m - 1]!;
}

/** Python's `datetime(y, m, d, h, mi, s)` validity check (raises ValueError otherwise). */
export function isValidCivil(y: number, m: number, d: number, h: number, mi: number, s: number): boolean {
  return (
    y >= 1 &&
    y <= 9999 &&
    m >= 1 &&
    m <= 12 &&
    d >= 1 &&
    d <= daysInMonth(y, m) &&
    h >= 0 &&
    h <= 23 &&
    mi >= 0 &&
    mi <= 59 &&
    s >= 0 &&
    s <= 59
  );
}

export function civilSeconds(y: number, m: number, d: number, h: number, mi: number, s: number): number {
  return daysFromCivil(y, m, d) * 86400 + h * 3600 + mi * 60 + s;
}

/** Python `date.weekday()` (Monday = 0). */
export function weekdayOf(y: number, m: number, d: number): number {
  // 1970-01-01 was a Thursday (weekday 3).
  return (((daysFromCivil(y, m, d) + 3) % 7) + 7) % 7;
}
