import { Hazard, HAZARDS } from '../../contracts/topics';

/**
 * The canonical warning vocabulary: hazards, their subtypes (signals / kinds), the levels each
 * subtype allows, and the names people read (zh-CN first, English available). Everything that
 * decides whether a warning is well-formed or how it is worded reads this one table.
 */
export const LEVELS = ['blue', 'yellow', 'orange', 'red'] as const;
export type Level = (typeof LEVELS)[number];
export type Lang = 'zh-CN' | 'en';

interface LevelInfo {
  zh: string;
  en: string;
  roman: string;
  /** 一般 / 较重 / 严重 / 特别严重 */
  severityZh: string;
  severityEn: string;
  css: string;
}

export const LEVEL_INFO: Record<Level, LevelInfo> = {
  blue: { zh: '蓝色', en: 'blue', roman: 'IV', severityZh: '一般', severityEn: 'general', css: '#1e6fd9' },
  yellow: {
    zh: '黄色',
    en: 'yellow',
    roman: 'III',
    severityZh: '较重',
    severityEn: 'serious',
    css: '#f2c200',
  },
  orange: { zh: '橙色', en: 'orange', roman: 'II', severityZh: '严重', severityEn: 'severe', css: '#f28500' },
  red: {
    zh: '红色',
    en: 'red',
    roman: 'I',
    severityZh: '特别严重',
    severityEn: 'extremely severe',
    css: '#d7191c',
  },
};

export interface SubtypeSpec {
  hazard: Hazard;
  code: string;
  zh: string;
  en: string;
  /** Colours a warning of this subtype may carry. */
  levels: readonly Level[];
  /**
   * Source levels (as the source states them) and the colour each maps to; null = recorded but
   * not dispatched to persons (geologic grade 4, fire-danger rating 1).
   */
  sourceLevels?: Readonly<Record<string, Level | null>>;
}

const ALL: readonly Level[] = LEVELS;
const YELLOW_UP: readonly Level[] = ['yellow', 'orange', 'red'];

/** CMA Order No. 16: the 14 meteorological disaster warning signals and the colours each has. */
const SIGNALS: [string, string, string, readonly Level[]][] = [
  ['typhoon', '台风', 'typhoon', ALL],
  ['rainstorm', '暴雨', 'rainstorm', ALL],
  ['snowstorm', '暴雪', 'snowstorm', ALL],
  ['cold-wave', '寒潮', 'cold wave', ALL],
  ['gale', '大风', 'gale', ALL],
  ['heat', '高温', 'heat', YELLOW_UP],
  ['fog', '大雾', 'fog', YELLOW_UP],
  ['sandstorm', '沙尘暴', 'sandstorm', YELLOW_UP],
  ['lightning', '雷电', 'lightning', YELLOW_UP],
  ['road-icing', '道路结冰', 'road icing', YELLOW_UP],
  ['frost', '霜冻', 'frost', ['blue', 'yellow', 'orange']],
  ['drought', '干旱', 'drought', ['orange', 'red']],
  ['hail', '冰雹', 'hail', ['orange', 'red']],
  ['haze', '霾', 'haze', ['yellow', 'orange']],
];

export const VILLAGE_STEPS = { prepare: '准备转移', evacuate: '立即转移' } as const;

export const SUBTYPES: readonly SubtypeSpec[] = [
  ...SIGNALS.map(([code, zh, en, levels]) => ({ hazard: 'meteorological' as const, code, zh, en, levels })),
  // Flood: river levels are colours by water level (near warning / warning / guaranteed / record).
  { hazard: 'flood', code: 'river', zh: '江河洪水', en: 'river flood', levels: ALL },
  { hazard: 'flood', code: 'flash-flood-risk', zh: '山洪灾害气象风险', en: 'flash-flood risk', levels: ALL },
  {
    hazard: 'flood',
    code: 'village-flash-flood',
    zh: '村级山洪',
    en: 'village flash-flood',
    levels: ['orange', 'red'],
    sourceLevels: { [VILLAGE_STEPS.prepare]: 'orange', [VILLAGE_STEPS.evacuate]: 'red' },
  },
  {
    hazard: 'geologic',
    code: 'risk',
    zh: '地质灾害气象风险',
    en: 'geological hazard risk',
    levels: YELLOW_UP,
    sourceLevels: { 'grade-4': null, 'grade-3': 'yellow', 'grade-2': 'orange', 'grade-1': 'red' },
  },
  {
    hazard: 'forest-fire',
    code: 'fire-danger',
    zh: '森林火险',
    en: 'forest fire danger',
    levels: ALL,
    sourceLevels: {
      'rating-1': null,
      'rating-2': 'blue',
      'rating-3': 'yellow',
      'rating-4': 'orange',
      'rating-5': 'red',
    },
  },
  { hazard: 'forest-fire', code: 'forest-fire', zh: '森林火灾', en: 'forest fire', levels: ALL },
];

export const HAZARD_NAMES: Record<Hazard, { zh: string; en: string }> = {
  meteorological: { zh: '气象灾害', en: 'meteorological' },
  flood: { zh: '水旱灾害', en: 'flood' },
  geologic: { zh: '地质灾害', en: 'geological hazard' },
  'forest-fire': { zh: '森林草原火灾', en: 'forest and grassland fire' },
};

export function isHazard(h: string): h is Hazard {
  return (HAZARDS as readonly string[]).includes(h);
}

export function isLevel(l: unknown): l is Level {
  return typeof l === 'string' && (LEVELS as readonly string[]).includes(l);
}

export function subtypeSpec(hazard: string, subtype: string): SubtypeSpec | undefined {
  return SUBTYPES.find((s) => s.hazard === hazard && s.code === subtype);
}

export function subtypesOf(hazard: string): SubtypeSpec[] {
  return SUBTYPES.filter((s) => s.hazard === hazard);
}

/** "红色" / "red"; null (a recorded grade without a colour) reads "无等级" / "no level". */
export function levelName(level: string | null, lang: Lang = 'zh-CN'): string {
  if (!isLevel(level)) return lang === 'en' ? 'no level' : '无等级';
  return lang === 'en' ? LEVEL_INFO[level].en : LEVEL_INFO[level].zh;
}

/** "II级（严重）" / "level II (severe)": the numbered form some templates use. */
export function levelGrade(level: string | null, lang: Lang = 'zh-CN'): string {
  if (!isLevel(level)) return levelName(level, lang);
  const i = LEVEL_INFO[level];
  return lang === 'en' ? `level ${i.roman} (${i.severityEn})` : `${i.roman}级（${i.severityZh}）`;
}

/** CSS colour of a level (grey when there is none). */
export function levelColour(level: string | null): string {
  return isLevel(level) ? LEVEL_INFO[level].css : '#808080';
}

export function hazardName(hazard: string, lang: Lang = 'zh-CN'): string {
  const n = HAZARD_NAMES[hazard as Hazard];
  if (!n) return hazard;
  return lang === 'en' ? n.en : n.zh;
}

export function subtypeName(hazard: string, subtype: string, lang: Lang = 'zh-CN'): string {
  const s = subtypeSpec(hazard, subtype);
  if (!s) return subtype;
  return lang === 'en' ? s.en : s.zh;
}

/** The colour a source level maps to: undefined when the subtype does not know that source level. */
export function levelOfSourceLevel(
  hazard: string,
  subtype: string,
  sourceLevel: string,
): Level | null | undefined {
  const map = subtypeSpec(hazard, subtype)?.sourceLevels;
  if (!map || !(sourceLevel in map)) return undefined;
  return map[sourceLevel];
}
