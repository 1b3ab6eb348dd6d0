import { codePrefix, covers, Division, shanxiDivisions } from '../../common/divisions';
import { Db } from '../../db/db';
import { DirectoryDocument, DivisionRecord, PersonRecord } from '../directory-format';
import { DirectoryService } from '../directory.service';
import { RoleCode } from '../roles';

export interface GenerateOptions {
  /** Which real divisions get a generated roster: cities, counties, or the whole province. */
  cityCodes?: string[];
  countyCodes?: string[];
  province?: boolean;
  villagesPerTownship: number;
  seed: number;
  /** The "today" verification dates are spread before (default 2025-04-20, the yearly refresh date). */
  asOf?: string;
}

/** mulberry32: a small seeded PRNG, so that the same options give the same directory. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SURNAMES =
  '王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎'.split(
    '',
  );
const GIVEN = '建国志强海军红梅秀英丽华文斌永刚玉兰春生保平晓东小明卫东金花俊峰宏伟桂芳瑞霞德胜凤兰'.split(
  '',
);
const VILLAGE_HEAD = [
  '王家',
  '李家',
  '张家',
  '刘家',
  '赵家',
  '马家',
  '石',
  '东',
  '西',
  '南',
  '北',
  '上',
  '下',
  '前',
  '后',
  '新',
  '大',
  '小',
  '杏',
  '柳',
  '杨',
  '桃',
  '榆',
  '槐',
  '红',
  '黄',
  '白',
  '青',
];
const VILLAGE_TAIL = [
  '庄',
  '沟',
  '峪',
  '坪',
  '堡',
  '湾',
  '营',
  '寨',
  '窑',
  '洼',
  '河',
  '梁',
  '台',
  '屯',
  '店',
  '坡',
];

const pick = <T>(rnd: () => number, xs: T[]): T => xs[Math.floor(rnd() * xs.length)];

/**
 * Approximate seats of Datong's counties (latitude, longitude), so that demo villages lie where their
 * county does: townships are scattered around the seat, villages around their township, and every
 * point is kept inside Datong's bounds.
 */
const DATONG_SEATS: Record<string, [number, number]> = {
  '140212': [40.26, 113.14],
  '140213': [40.08, 113.3],
  '140214': [40.01, 113.15],
  '140215': [40.04, 113.61],
  '140221': [40.36, 113.75],
  '140222': [40.42, 114.09],
  '140223': [39.76, 114.28],
  '140224': [39.44, 114.23],
  '140225': [39.7, 113.7],
  '140226': [40.01, 112.7],
  '140271': [40.05, 113.33],
};
export const DATONG_BOUNDS = { south: 39.05, north: 40.72, west: 112.57, east: 114.56 };

const within = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** A plausible point near `around`, inside Datong's bounds, rounded to 5 decimals (about a metre). */
function pointNear(rnd: () => number, around: [number, number], spread: number): [number, number] {
  const b = DATONG_BOUNDS;
  const lat = within(around[0] + (rnd() * 2 - 1) * spread, b.south, b.north);
  const lon = within(around[1] + (rnd() * 2 - 1) * spread, b.west, b.east);
  return [Math.round(lat * 1e5) / 1e5, Math.round(lon * 1e5) / 1e5];
}

/**
 * A roster in the import format under real Shanxi codes: N generated villages per township
 * (codes township + 200…, names like "杏花峪村"), three holders per village, and a party/government
 * head, flood-control person and duty officer per township and per county. Villages in Datong get a
 * plausible point (DATONG_SEATS); elsewhere none. Numbers are fake
 * (+86 138 xxxx xxxx) and unique; some persons have backups; verification dates spread over 15 months.
 */
export function generateDirectory(opts: GenerateOptions): DirectoryDocument {
  const rnd = prng(opts.seed);
  const all = shanxiDivisions();
  const scope = opts.province ? ['140000000000'] : [...(opts.cityCodes ?? []), ...(opts.countyCodes ?? [])];
  const inScope = (d: Division) => scope.some((s) => covers(s, d.code));
  const counties = all.filter((d) => d.level === 'county' && inScope(d));
  const townships = all.filter((d) => d.level === 'township' && inScope(d));
  const asOf = new Date(`${opts.asOf ?? '2025-04-20'}T00:00:00Z`).getTime();
  let serial = 0;
  // A permutation of 0…1e8 (7919 is prime to 1e8): unique numbers that do not look sequential.
  const phone = () =>
    `+86138${String((opts.seed * 104729 + ++serial * 7919) % 100_000_000).padStart(8, '0')}`;
  const personName = () => pick(rnd, SURNAMES) + pick(rnd, GIVEN) + (rnd() < 0.6 ? pick(rnd, GIVEN) : '');
  const verified = () => new Date(asOf - Math.floor(rnd() * 450) * 86_400_000).toISOString().slice(0, 10);
  const persons: PersonRecord[] = [];
  const divisions: DivisionRecord[] = [];
  const add = (areaCode: string, k: number, role: RoleCode, backup?: string): string => {
    const id = `P${areaCode}-${k}`;
    persons.push({
      id,
      name: personName(),
      mobile: phone(),
      altPhone: null,
      roles: [{ role, areaCode }],
      backupPersonId: backup ?? null,
      superiorPersonId: null,
      verifiedAt: verified(),
      active: true,
    });
    return id;
  };
  const officials = (code: string) => {
    const duty = add(code, 3, 'duty-officer');
    add(code, 1, 'party-gov-head', duty);
    add(code, 2, 'flood-control', rnd() < 0.5 ? duty : undefined);
  };
  for (const county of counties) officials(county.code);
  // Points come from their own generator, so the persons generated stay as they were before points.
  const place = prng(opts.seed + 1);
  for (const t of townships) {
    officials(t.code);
    const seat = DATONG_SEATS[t.code.slice(0, 6)];
    const townshipPoint = seat ? pointNear(place, seat, 0.12) : undefined;
    const used = new Set<string>();
    for (let i = 0; i < opts.villagesPerTownship; i++) {
      const code = `${codePrefix(t.code)}${String(200 + i).padStart(3, '0')}`;
      let name = `${pick(rnd, VILLAGE_HEAD)}${pick(rnd, VILLAGE_TAIL)}村`;
      if (used.has(name)) name = `${t.name.replace(/(镇|乡|街道|办事处)$/, '')}第${i + 1}村`;
      used.add(name);
      const point = townshipPoint ? pointNear(place, townshipPoint, 0.03) : undefined;
      divisions.push({
        code,
        name,
        parentCode: t.code,
        ...(point ? { lat: point[0], lon: point[1] } : {}),
      });
      const grid = add(code, 2, 'grid-worker');
      add(code, 1, 'flood-control', rnd() < 0.5 ? grid : undefined);
      add(code, 3, i % 2 === 0 ? 'flash-flood-warner' : 'geo-monitor');
    }
  }
  return { divisions, persons };
}

export const DATONG = '140200000000';

/** The demo roster `npm start` loads: Datong, two villages per township (about ten persons each). */
export async function seedDemoDirectory(db: Db): Promise<{ persons: number; divisions: number }> {
  const directory = new DirectoryService(db);
  const doc = generateDirectory({ cityCodes: [DATONG], villagesPerTownship: 2, seed: 2024 });
  const r = await directory.import(JSON.stringify(doc), { format: 'json' });
  if (!r.applied) throw new Error(`demo directory rejected: ${JSON.stringify(r.errors.slice(0, 3))}`);
  return { persons: r.imported, divisions: r.divisions };
}
