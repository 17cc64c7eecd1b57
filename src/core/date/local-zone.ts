/**
 * The local time zone, injected into the date detector so that the core stays pure and tests can
 * pin a zone. The default implementation uses the process's zone through JS `Date` (the `TZ`
 * environment variable), which is what Python's `time.mktime` / `datetime.fromtimestamp` use.
 */
import { civilToFields } from "./civil.js";
export interface LocalZone {
  /** Local wall time → epoch seconds, like Python's `time.mktime` with `tm_isdst = -1`. */
  toEpoch(y: number, mo: number, d: number, h: number, mi: number, s: number): number;
  /** Epoch seconds → local wall time as civil seconds (see civil.ts), like `datetime.fromtimestamp`. */
  toCivil(epoch: number): number;
  /** Optional fast path of `toEpoch` taking civil seconds (see civil.ts); same results. */
  civilToEpoch?(civil: number): number;
}

function dateToEpoch(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  const dt = new Date(2000, 0, 1, 0, 0, 0, 0);
  dt.setFullYear(y, mo - 1, d);
  dt.setHours(h, mi, s, 0);
  return dt.getTime() / 1000;
}

/**
 * The process's zone. Offsets are cached per civil hour when the offset is the same at both ends
 * of the hour, so the hot path does no Date work; hours containing a transition are computed
 * exactly every time.
 */
export function createSystemLocalZone(): LocalZone {
  const offsets = new Map<number, number>();
  let lastHour = Number.NaN;
  let lastOffset = 0;
  let lastNowEpoch = Number.NaN;
  let lastNowCivil = 0;
  return {
    toEpoch(y, mo, d, h, mi, s) {
      // Date.UTC maps years 0-99 to 1900-1999: leave those rare years to the exact path.
      if (y < 100) return dateToEpoch(y, mo, d, h, mi, s);
      const hourCivil = Date.UTC(y, mo - 1, d, h) / 1000;
      let off: number;
      if (hourCivil === lastHour) off = lastOffset;
      else {
        const cached = offsets.get(hourCivil);
        if (cached === undefined) {
          const start = dateToEpoch(y, mo, d, h, 0, 0);
          const end = dateToEpoch(y, mo, d, h, 59, 59);
          // A transition inside this hour (or a skipped hour): no shortcut.
          if (end - start !== 3599) return dateToEpoch(y, mo, d, h, mi, s);
          off = hourCivil - start;
          if (offsets.size >= 4096) offsets.clear();
          offsets.set(hourCivil, off);
        } else off = cached;
        lastHour = hourCivil;
        lastOffset = off;
      }
      return hourCivil + mi * 60 + s - off;
    },
    civilToEpoch(civil) {
      const hourCivil = Math.floor(civil / 3600) * 3600;
      if (hourCivil === lastHour) return civil - lastOffset;
      const f = civilToFields(civil);
      return this.toEpoch(f.year, f.month, f.day, f.hour, f.minute, f.second);
    },
    toCivil(epoch) {
      if (epoch === lastNowEpoch) return lastNowCivil;
      const ms = Math.floor(epoch * 1000);
      const dt = new Date(ms);
      const wall =
        Date.UTC(
          dt.getFullYear(),
          dt.getMonth(),
          dt.getDate(),
          dt.getHours(),
          dt.getMinutes(),
          dt.getSeconds(),
        ) / 1000;
      const civil = wall + (epoch - Math.floor(epoch));
      lastNowEpoch = epoch;
      lastNowCivil = civil;
      return civil;
    },
  };
}
