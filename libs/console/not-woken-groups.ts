import type { NotWokenGroupRow } from '../callout/not-woken.repository';
import { divisionName } from './board.service';

/** The tracker's count of one warning's not-woken persons in one village (or other area). */
export type NotWokenCount = NotWokenGroupRow;

export interface NotWokenGroup {
  code: string;
  name: string;
  n: number;
  /** When the one who has waited longest here was first called. */
  oldest: string;
}

export interface NotWokenTownship extends NotWokenGroup {
  villages: NotWokenGroup[];
  warningIds: string[];
}

export interface NotWokenCounty extends NotWokenGroup {
  townships: NotWokenTownship[];
}

export const countyOf = (code: string) => `${code.slice(0, 6)}000000`;
export const townshipOf = (code: string) => `${code.slice(0, 9)}000`;

const older = (a: string, b: string) => (a < b ? a : b);

function bump<T extends NotWokenGroup>(
  map: Map<string, T>,
  code: string,
  make: () => T,
  r: NotWokenCount,
): T {
  let g = map.get(code);
  if (!g) map.set(code, (g = make()));
  g.n += r.n;
  g.oldest = g.oldest ? older(g.oldest, r.oldest) : r.oldest;
  return g;
}

/**
 * Per-village counts → counties, each with its townships, each with its villages: counts added up
 * at every level, the longest wait carried up. Groups are in division-code order (what officers know
 * the map by); persons inside a group are listed longest waiting first by the tracker.
 */
export function groupNotWoken(rows: NotWokenCount[]): { total: number; counties: NotWokenCounty[] } {
  const counties = new Map<string, NotWokenCounty & { byTownship: Map<string, NotWokenTownship> }>();
  let total = 0;
  for (const r of rows) {
    total += r.n;
    const county = bump(
      counties,
      countyOf(r.area_code),
      () => ({
        code: countyOf(r.area_code),
        name: divisionName(countyOf(r.area_code)),
        n: 0,
        oldest: '',
        townships: [],
        byTownship: new Map(),
      }),
      r,
    );
    const township = bump(
      county.byTownship,
      townshipOf(r.area_code),
      () => ({
        code: townshipOf(r.area_code),
        name: divisionName(townshipOf(r.area_code)),
        n: 0,
        oldest: '',
        villages: [],
        warningIds: [],
      }),
      r,
    );
    if (!township.warningIds.includes(r.warning_id)) township.warningIds.push(r.warning_id);
    const village = township.villages.find((v) => v.code === r.area_code);
    if (village) {
      village.n += r.n;
      village.oldest = older(village.oldest, r.oldest);
    } else
      township.villages.push({
        code: r.area_code,
        name: r.area_name ?? divisionName(r.area_code),
        n: r.n,
        oldest: r.oldest,
      });
  }
  return {
    total,
    counties: [...counties.values()]
      .sort((a, b) => a.code.localeCompare(b.code))
      .map(({ byTownship, ...c }) => ({
        ...c,
        townships: [...byTownship.values()].sort((a, b) => a.code.localeCompare(b.code)),
      })),
  };
}

/** "12分" / "1小时05分" / "40秒" since `iso` (how long someone has waited), or an English form. */
export function waited(iso: string, now: number, lang: 'zh-CN' | 'en'): string {
  const sec = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  if (Number.isNaN(sec)) return '';
  const h = Math.floor(sec / 3600);
  const m = Math.floor((sec % 3600) / 60);
  if (lang === 'en') return h ? `${h} h ${m} min` : m ? `${m} min` : `${sec} s`;
  return h ? `${h}小时${String(m).padStart(2, '0')}分` : m ? `${m}分` : `${sec}秒`;
}
