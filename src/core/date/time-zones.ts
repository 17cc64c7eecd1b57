/**
 * Fail2Ban's fixed time-zone abbreviation table and offset parsing (fail2ban/server/strptime.py
 * `TZ_STR`, `validateTimeZone`, `zone2offset`). Abbreviations map to FIXED offsets: "CET" is
 * always +01:00, even in summer (Fail2Ban does no DST switching for abbreviations).
 */

const TZ_STR = `
-12 Y
-11 X NUT SST
-10 W CKT HAST HST TAHT TKT
-9 V AKST GAMT GIT HADT HNY
-8 U AKDT CIST HAY HNP PST PT
-7 T HAP HNR MST PDT
-6 S CST EAST GALT HAR HNC MDT
-5 R CDT COT EASST ECT EST ET HAC HNE PET
-4 Q AST BOT CLT COST EDT FKT GYT HAE HNA PYT
-3 P ADT ART BRT CLST FKST GFT HAA PMST PYST SRT UYT WGT
-2 O BRST FNT PMDT UYST WGST
-1 N AZOT CVT EGT
0 Z EGST GMT UTC WET WT
1 A CET DFT WAT WEDT WEST
2 B CAT CEDT CEST EET SAST WAST
3 C EAT EEDT EEST IDT MSK
4 D AMT AZT GET GST KUYT MSD MUT RET SAMT SCT
5 E AMST AQTT AZST HMT MAWT MVT PKT TFT TJT TMT UZT YEKT
6 F ALMT BIOT BTT IOT KGT NOVT OMST YEKST
7 G CXT DAVT HOVT ICT KRAT NOVST OMSST THA WIB
8 H ACT AWST BDT BNT CAST HKT IRKT KRAST MYT PHT SGT ULAT WITA WST
9 I AWDT IRKST JST KST PWT TLT WDT WIT YAKT
10 K AEST ChST PGT VLAT YAKST YAPT
11 L AEDT LHDT MAGT NCT PONT SBT VLAST VUT
12 M ANAST ANAT FJT GILT MAGST MHT NZST PETST PETT TVT WFT
13 FJST NZDT
11.5 NFT
10.5 ACDT LHST
9.5 ACST
6.5 CCT MMT
5.75 NPT
5.5 SLT
4.5 AFT IRDT
3.5 IRST
-2.5 HAT NDT
-3.5 HNT NST NT
-4.5 HLV VET
-9.5 MART MIT
`;

/** Abbreviation → offset in minutes east of UTC. */
export const TZ_ABBR_OFFSETS: ReadonlyMap<string, number> = (() => {
  const map = new Map<string, number>([["", 0]]);
  for (const line of TZ_STR.split("\n")) {
    const parts = line.trim().split(/\s+/);
    if (parts.length < 2) continue;
    const minutes = Math.trunc(Number(parts[0]) * 60);
    for (const tz of parts.slice(1)) map.set(tz, minutes);
  }
  return map;
})();

const FIXED_OFFSET_TZ_RE = /^([A-Z](?:[A-Z]{2,4})?)?([+-][01]\d(?::?\d{2})?)?$/;

/** Thrown where Python raises ValueError (Fail2Ban treats the date as unparsable). */
export class TimeZoneValueError extends Error {}
/** Thrown where Python raises KeyError (an unknown abbreviation): Fail2Ban fails the whole line. */
export class TimeZoneKeyError extends Error {}

/**
 * `validateTimeZone(tz)` → offset in minutes east of UTC. Accepts `[ABBR][+-]hh[[:]mm]` (e.g.
 * "UTC", "UTC+0200", "CET", "-05:30").
 */
export function zoneToOffset(tz: string): number {
  const m = FIXED_OFFSET_TZ_RE.exec(tz);
  if (m === null) throw new TimeZoneValueError(`Unknown or unsupported time zone: "${tz}"`);
  const abbr = m[1] ?? "";
  const base = TZ_ABBR_OFFSETS.get(abbr);
  if (base === undefined) throw new TimeZoneKeyError(`Unknown time zone abbreviation "${abbr}"`);
  const tzo = m[2];
  if (tzo === undefined || tzo === "") return base;
  if (tzo.length <= 3) return base + Number.parseInt(tzo, 10) * 60;
  const sign = tzo[0] === "-" ? -1 : 1;
  const minutes = tzo[3] !== ":" ? tzo.slice(3, 5) : tzo.slice(4, 6);
  return base + sign * (Number.parseInt(tzo.slice(1, 3), 10) * 60 + Number.parseInt(minutes, 10));
}
