import type { SourcePosition } from "../../errors/problem.js";
import type { IniFile, IniSection } from "./ini-file.js";
import { PY_SPACE, PY_WORD } from "./py-text.js";
import { concatTracked, firstOrigin, sliceTracked, type TrackedText, untracked } from "./tracked-text.js";

/** A failed lookup, mirroring the Python exception fail2ban would raise. */
export class ConfigLookupError extends Error {
  constructor(
    readonly kind: "no-section" | "no-option" | "interpolation",
    message: string,
    /** Origin id (see OriginTable) of the text at fault, or -1. */
    readonly origin: number,
    readonly code: string = `filter.${kind}`,
  ) {
    super(message);
  }
}

export const DEFAULT_SECTION = "DEFAULT";
// configparser.MAX_INTERPOLATION_DEPTH
const MAX_INTERPOLATION_DEPTH = 10;
// SafeConfigParserWithIncludes.CONDITIONAL_RE / SECTION_OPTSUBST_CRE / BasicInterpolation._KEYCRE
const CONDITIONAL_RE = new RegExp(`^([${PY_WORD}]+)(\\?[^\\n]+)$`, "u");
const SECTION_REF_RE = new RegExp(`^[${PY_WORD}\\-]+/[^)]+$`, "u");
const KEY_RE = /^%\(([^)]+)\)s/;
const SECTION_OPTNAME_RE = new RegExp(`^([${PY_WORD}\\-]+)/([^${PY_SPACE}>]+)$`, "u");

/** `name?family=inet6` → ["name", "?family=inet6"]. */
export function splitConditional(name: string): [string, string] | undefined {
  const m = CONDITIONAL_RE.exec(name);
  return m ? [m[1]!, m[2]!] : undefined;
}

/** configparser's ChainMap(vars, section, defaults); `own` is the writable first map. */
class Chain {
  constructor(
    readonly own: Map<string, TrackedText>,
    readonly section: IniSection | undefined,
    readonly defaults: IniSection,
  ) {}
  get(key: string): TrackedText | undefined {
    return this.own.get(key) ?? this.section?.get(key) ?? this.defaults.get(key);
  }
  has(key: string): boolean {
    return this.own.has(key) || (this.section?.has(key) ?? false) || this.defaults.has(key);
  }
  copy(): Chain {
    return new Chain(new Map(this.own), this.section, this.defaults);
  }
}

/**
 * The merged configuration of several files: a port of fail2ban's `SafeConfigParserWithIncludes`
 * (configparserinc.py) on top of Python's `ConfigParser` with `BasicInterpolation`, including
 * fail2ban's `%(section/option)s`, `%(default/option)s` and `%(known/option)s` extensions and the
 * `KNOWN/<section>` shadow sections that remember values a later file overrode.
 */
export class ConfigStore {
  readonly defaults: IniSection = new Map();
  readonly sections = new Map<string, IniSection>();
  readonly sectionAt = new Map<string, SourcePosition>();

  /** A store holding one file as it is (the per-file parser fail2ban uses to read [INCLUDES]). */
  static ofFile(ini: IniFile): ConfigStore {
    const store = new ConfigStore();
    for (const [k, v] of ini.defaults) store.defaults.set(k, v);
    for (const [n, s] of ini.sections) store.sections.set(n, new Map(s));
    return store;
  }

  /** Merges the next file of the include chain (SafeConfigParserWithIncludes.read, many files). */
  merge(ini: IniFile): void {
    for (const [k, v] of ini.defaults) this.defaults.set(k, v);
    for (const [rawName, rawSection] of ini.sections) {
      let name = rawName;
      let section: IniSection = rawSection;
      // [Init?family=inet6] becomes options "opt?family=inet6" of [Init].
      const cond = splitConditional(rawName);
      if (cond) {
        name = cond[0];
        section = new Map();
        for (const [k, v] of rawSection) section.set(k + cond[1], v);
      }
      if (!this.sectionAt.has(name)) {
        const at = ini.sectionAt.get(rawName);
        if (at) this.sectionAt.set(name, at);
      }
      const existing = this.sections.get(name);
      if (existing) {
        const knownName = `KNOWN/${name}`;
        let known = this.sections.get(knownName);
        if (!known) {
          known = new Map();
          this.sections.set(knownName, known);
        }
        for (const [k, v] of existing) if (section.has(k)) known.set(k, v);
        for (const [k, v] of section) existing.set(k, v);
      } else {
        this.sections.set(name, new Map(section));
      }
    }
  }

  hasSection(name: string): boolean {
    return this.sections.has(name);
  }

  /** ConfigParser.get(section, option, raw=…, vars=…). Throws ConfigLookupError. */
  get(section: string, option: string, vars?: ReadonlyMap<string, TrackedText>, raw = false): TrackedText {
    const value = this.find(section, option, vars, raw);
    if (value === "no-section") throw new ConfigLookupError("no-section", `No section [${section}]`, -1);
    if (value === "no-option") {
      throw new ConfigLookupError("no-option", `No option "${option}" in section [${section}]`, -1);
    }
    return value;
  }

  /**
   * Like get, but a missing section or option is an answer rather than an exception (fail2ban
   * probes for every unknown tag such as <HOST>; exceptions would make that slow). Throws
   * ConfigLookupError for interpolation errors only.
   */
  find(
    section: string,
    option: string,
    vars?: ReadonlyMap<string, TrackedText>,
    raw = false,
  ): TrackedText | "no-section" | "no-option" {
    const sectionDict = this.sections.get(section);
    if (!sectionDict && section !== DEFAULT_SECTION) return "no-section";
    const own = new Map<string, TrackedText>();
    if (vars) for (const [k, v] of vars) own.set(k.toLowerCase(), v);
    const chain = new Chain(own, sectionDict, this.defaults);
    const opt = option.toLowerCase();
    const value = chain.get(opt);
    if (value === undefined) return "no-option";
    if (raw) return value;
    const accum: TrackedText[] = [];
    this.#interpolate(section, opt, accum, value, chain, 1, -1);
    return concatTracked(accum.length === 0 ? [untracked("")] : accum);
  }

  /**
   * fail2ban's get_ex: "sec/opt" reads option opt of section sec ("known/opt" the value an
   * earlier file had, "default/opt" the [DEFAULT] one), falling back to a plain lookup;
   * undefined when there is no such option. Throws ConfigLookupError for interpolation errors.
   */
  getEx(section: string, option: string, vars?: ReadonlyMap<string, TrackedText>): TrackedText | undefined {
    const m = option.includes("/") ? SECTION_OPTNAME_RE.exec(option) : null;
    if (m) {
      const sec = m[1]!;
      const opt = m[2]!;
      const lower = sec.toLowerCase();
      const candidates =
        lower === "known" ? [`KNOWN/${section}`, section] : [lower === "default" ? DEFAULT_SECTION : sec];
      for (const s of candidates) {
        const v = this.find(s, opt);
        if (typeof v !== "string") return v;
      }
    }
    const v = this.find(section, option, vars);
    return typeof v === "string" ? undefined : v;
  }

  // BasicInterpolation._interpolate_some as decorated by fail2ban's BasicInterpolationWithName:
  // every level copies the map, adds __name__ and maps the "%(sec/opt)s" references of its text.
  #interpolate(
    section: string,
    option: string,
    accum: TrackedText[],
    value: TrackedText,
    parentMap: Chain,
    depth: number,
    /** Origin of the outermost reference being expanded, where a too-deep error points. */
    refOrigin: number,
  ): void {
    const map = parentMap.copy();
    map.own.set("__name__", untracked(section));
    this.#mapSectionOptions(section, value.text, map);
    if (depth > MAX_INTERPOLATION_DEPTH) {
      throw new ConfigLookupError(
        "interpolation",
        `Cannot interpolate option "${option}" of section [${section}]: references nest deeper than ${MAX_INTERPOLATION_DEPTH} levels (a reference loop?)`,
        refOrigin >= 0 ? refOrigin : firstOrigin(value),
        "filter.interpolation-depth",
      );
    }
    let rest = value;
    while (rest.text.length > 0) {
      const p = rest.text.indexOf("%");
      if (p < 0) {
        accum.push(rest);
        return;
      }
      if (p > 0) {
        accum.push(sliceTracked(rest, 0, p));
        rest = sliceTracked(rest, p);
      }
      const c = rest.text.slice(1, 2);
      if (c === "%") {
        accum.push(sliceTracked(rest, 0, 1));
        rest = sliceTracked(rest, 2);
      } else if (c === "(") {
        const m = KEY_RE.exec(rest.text);
        if (!m) {
          throw new ConfigLookupError(
            "interpolation",
            `Bad interpolation reference in option "${option}" of section [${section}]: "${clip(rest.text)}"`,
            rest.origins[0] ?? -1,
            "filter.interpolation-syntax",
          );
        }
        const name = m[1]!.toLowerCase();
        const v = map.get(name);
        if (v === undefined) {
          throw new ConfigLookupError(
            "interpolation",
            `Cannot resolve "%(${m[1]})s" in option "${option}" of section [${section}]: no option "${name}" there or in [DEFAULT]`,
            rest.origins[0] ?? -1,
            "filter.interpolation-missing",
          );
        }
        const ref = depth === 1 ? (rest.origins[0] ?? -1) : refOrigin;
        rest = sliceTracked(rest, m[0].length);
        if (v.text.includes("%")) this.#interpolate(section, option, accum, v, map, depth + 1, ref);
        else accum.push(v);
      } else {
        throw new ConfigLookupError(
          "interpolation",
          `Bad "%" in option "${option}" of section [${section}]: "%" must be followed by "%" or "(" (write "%%" for a literal "%"), found "${clip(rest.text)}"`,
          rest.origins[0] ?? -1,
          "filter.interpolation-syntax",
        );
      }
    }
  }

  // SafeConfigParserWithIncludes._map_section_options
  #mapSectionOptions(section: string, text: string, map: Chain): void {
    if (!text.includes("/") || !text.includes("%(")) return;
    for (const sopt of sectionReferences(text)) {
      const opt = sopt.slice(sopt.indexOf("/") + 1);
      if (map.has(sopt)) continue;
      const sec = sopt.slice(0, sopt.length - opt.length - 1);
      const lower = sec.toLowerCase();
      let v: TrackedText | undefined;
      if (lower === "known") {
        v = this.sections.get(`KNOWN/${section}`)?.get(opt) ?? this.defaults.get(opt);
      } else if (lower === "default") {
        v = this.defaults.get(opt);
      } else {
        const s = this.sections.get(sec);
        if (!s) continue;
        v = s.get(opt) ?? this.defaults.get(opt);
      }
      if (v !== undefined) map.own.set(sopt, v);
    }
  }
}

/**
 * The "sec/opt" of every `%(sec/opt)s` in `text`, as `SECTION_OPTSUBST_CRE.findall` finds them;
 * scanned by hand so that many "%(" without ")" cannot make the search quadratic.
 */
function sectionReferences(text: string): string[] {
  const out: string[] = [];
  let i = text.indexOf("%(");
  let close = -1;
  while (i >= 0) {
    if (close < i + 2) close = text.indexOf(")", i + 2);
    if (close < 0) break;
    const inner = text.slice(i + 2, close);
    if (text[close + 1] === "s" && SECTION_REF_RE.test(inner)) {
      out.push(inner);
      i = text.indexOf("%(", close + 2);
    } else {
      i = text.indexOf("%(", i + 1);
    }
  }
  return out;
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}
