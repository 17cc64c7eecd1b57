/**
 * The process-wide template cache of datedetector.py (`DD_patternCache`, `DateDetectorCache`,
 * `_getPatternTemplate`, `_getAnchoredTemplate`). Templates are shared objects, like Fail2Ban's:
 * their global hit counter takes part in the detector's decisions, and the anchored copies of the
 * default templates get weight 100 on the shared object.
 *
 * One registry exists per "start year", because `%ExY` is fixed when Fail2Ban starts.
 */
import {
  DateEpoch,
  DatePatternRegex,
  DateTai64n,
  type DateTemplate,
  RE_EPOCH_PATTERN,
} from "./date-template.js";
import { createNativeTemplate } from "./native-syslog.js";
import { buildTimeRe } from "./strptime.js";

/** datedetector.py `DateDetectorCache.DEFAULT_TEMPLATES`, in order. */
export const DEFAULT_TEMPLATE_PATTERNS: readonly string[] = [
  "%ExY(?P<_sep>[-/.])%m(?P=_sep)%d(?:T|  ?)%H:%M:%S(?:[.,]%f)?(?:\\s*%z)?",
  "(?:%a )?%b %d %k:%M:%S(?:\\.%f)?(?: %ExY)?",
  "(?:%a )?%b %d %ExY %k:%M:%S(?:\\.%f)?",
  "%d(?P<_sep>[-/])%m(?P=_sep)(?:%ExY|%Exy) %k:%M:%S",
  "%d(?P<_sep>[-/])%b(?P=_sep)%ExY[ :]?%H:%M:%S(?:\\.%f)?(?: %z)?",
  "%m/%d/%ExY:%H:%M:%S",
  "%m-%d-%ExY %k:%M:%S(?:\\.%f)?",
  "EPOCH",
  "{^LN-BEG}%H:%M:%S",
  "^<%m/%d/%Exy@%H:%M:%S>",
  "%Exy%Exm%Exd  ?%H:%M:%S",
  "%b %d, %ExY %I:%M:%S %p",
  "^%b-%d-%Exy %k:%M:%S",
  "%ExY%Exm%Exd(?:T|  ?)%ExH%ExM%ExS(?:[.,]%f)?(?:\\s*%z)?",
  "(?:%Z )?(?:%a )?%b %d %k:%M:%S(?:\\.%f)?(?: %ExY)?",
  "(?:%z )?(?:%a )?%b %d %k:%M:%S(?:\\.%f)?(?: %ExY)?",
  "TAI64N",
];

export class TemplateRegistry {
  readonly timeRe: ReadonlyMap<string, string>;
  private readonly cache = new Map<string, DateTemplate>();
  private defaults: DateTemplate[] | null = null;
  private cachedDefaults: DateTemplate[] | null = null;

  constructor(readonly startYear: number) {
    this.timeRe = buildTimeRe(startYear);
  }

  get(key: string): DateTemplate | undefined {
    return this.cache.get(key);
  }

  set(key: string, template: DateTemplate): void {
    this.cache.set(key, template);
  }

  /** `_getPatternTemplate(pattern, key)`; throws on a bad pattern. */
  patternTemplate(pattern: string, keyIn?: string, deferCompile = false): DateTemplate {
    const key = keyIn ?? (pattern.includes("%") ? pattern : pattern.toUpperCase());
    let template = this.cache.get(key);
    if (template === undefined) {
      if (key.includes("EPOCH")) {
        if (RE_EPOCH_PATTERN.test(pattern)) template = new DateEpoch(false, pattern, key.includes("LEPOCH"));
        else if (key === "EPOCH" || key === "{^LN-BEG}EPOCH" || key === "^EPOCH")
          template = new DateEpoch(key !== "EPOCH", undefined, false);
        else if (key === "LEPOCH" || key === "{^LN-BEG}LEPOCH" || key === "^LEPOCH")
          template = new DateEpoch(key !== "LEPOCH", undefined, true);
      }
      if (template === undefined) {
        if (key === "TAI64N" || key === "{^LN-BEG}TAI64N" || key === "^TAI64N")
          template = new DateTai64n(key !== "TAI64N" ? "start" : false);
        else
          template =
            createNativeTemplate(pattern, this.timeRe) ??
            new DatePatternRegex(pattern, this.timeRe, deferCompile);
      }
    }
    this.cache.set(key, template);
    return template;
  }

  /** `_getAnchoredTemplate(template, wrap)`. */
  anchoredTemplate(
    template: DateTemplate,
    wrap: (s: string) => string = (s) => `{^LN-BEG}${s}`,
    deferCompile = false,
  ): DateTemplate {
    const name = wrap(template.name);
    let t2 = this.cache.get(name);
    if (t2 === undefined) {
      const hasPattern = template.pattern !== undefined;
      const regex = wrap(hasPattern ? template.pattern! : template.regex);
      if (hasPattern) t2 = this.cache.get(regex);
      if (t2 === undefined)
        t2 = hasPattern
          ? this.patternTemplate(regex, undefined, deferCompile)
          : this.patternTemplate(name, undefined, deferCompile);
    }
    return t2;
  }

  /** `DateDetectorCache.defaultTemplates`: the 17 plain default templates. */
  defaultTemplates(): readonly DateTemplate[] {
    if (this.defaults === null)
      this.defaults = DEFAULT_TEMPLATE_PATTERNS.map((p) => this.patternTemplate(p, undefined, true));
    return this.defaults;
  }

  /** `DateDetectorCache.templates`: line-anchored copies (weight 100) first, then the defaults. */
  cachedTemplates(): readonly DateTemplate[] {
    if (this.cachedDefaults === null) {
      const anchored: DateTemplate[] = [];
      const plain: DateTemplate[] = [];
      for (const dt of this.defaultTemplates()) {
        const name = dt.name;
        if (!name.startsWith("{^LN-BEG}") && !name.startsWith("^")) {
          const t2 = this.anchoredTemplate(dt, undefined, true);
          if (t2.name !== name) {
            t2.weight = 100.0;
            anchored.push(t2);
          }
        }
        plain.push(dt);
      }
      this.cachedDefaults = [...anchored, ...plain];
    }
    return this.cachedDefaults;
  }
}

const registries = new Map<number, TemplateRegistry>();

export function registryFor(startYear: number): TemplateRegistry {
  let r = registries.get(startYear);
  if (r === undefined) {
    r = new TemplateRegistry(startYear);
    registries.set(startYear, r);
  }
  return r;
}
