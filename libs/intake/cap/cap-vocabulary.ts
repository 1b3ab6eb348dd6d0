import { Hazard } from '../../../contracts/topics';
import { Level } from '../../common/hazards';

/**
 * How CAP words map onto the canonical vocabulary (documented in docs/intake.md). Matching is on
 * the info's event text (Chinese or English, case-insensitive, substring), first match wins, so
 * longer and more specific names come first.
 */
export interface EventRule {
  hazard: Hazard;
  subtype: string;
  /** Substrings of the event (lower-cased for English). */
  names: string[];
}

export const EVENT_RULES: EventRule[] = [
  // Flood before meteorological: "山洪灾害气象风险" must not fall to a signal rule.
  {
    hazard: 'flood',
    subtype: 'village-flash-flood',
    names: ['准备转移', '立即转移', '村级山洪', 'village flash flood', 'village flash-flood', 'evacuat'],
  },
  {
    hazard: 'flood',
    subtype: 'flash-flood-risk',
    names: ['山洪灾害气象风险', '山洪', 'flash flood', 'flash-flood'],
  },
  { hazard: 'flood', subtype: 'river', names: ['洪水', '水情', '河道', '江河', 'river flood', 'flood'] },
  {
    hazard: 'geologic',
    subtype: 'risk',
    names: ['地质灾害', '滑坡', '泥石流', '崩塌', 'geological', 'geologic', 'landslide', 'debris flow'],
  },
  {
    hazard: 'forest-fire',
    subtype: 'fire-danger',
    names: ['森林火险', '草原火险', '火险', 'fire danger', 'fire-danger'],
  },
  {
    hazard: 'forest-fire',
    subtype: 'forest-fire',
    names: ['森林草原火灾', '森林火灾', '草原火灾', 'forest fire', 'wildfire', 'grassland fire'],
  },
  { hazard: 'meteorological', subtype: 'road-icing', names: ['道路结冰', 'road icing', 'icy road'] },
  {
    hazard: 'meteorological',
    subtype: 'sandstorm',
    names: ['沙尘暴', 'sandstorm', 'sand and dust storm', 'dust storm'],
  },
  { hazard: 'meteorological', subtype: 'typhoon', names: ['台风', 'typhoon'] },
  { hazard: 'meteorological', subtype: 'rainstorm', names: ['暴雨', 'rainstorm', 'heavy rain'] },
  { hazard: 'meteorological', subtype: 'snowstorm', names: ['暴雪', 'snowstorm', 'blizzard', 'heavy snow'] },
  { hazard: 'meteorological', subtype: 'cold-wave', names: ['寒潮', 'cold wave', 'cold-wave'] },
  { hazard: 'meteorological', subtype: 'gale', names: ['大风', 'gale', 'strong wind'] },
  { hazard: 'meteorological', subtype: 'heat', names: ['高温', 'heat', 'high temperature'] },
  { hazard: 'meteorological', subtype: 'fog', names: ['大雾', 'fog'] },
  { hazard: 'meteorological', subtype: 'lightning', names: ['雷电', 'lightning', 'thunder'] },
  { hazard: 'meteorological', subtype: 'frost', names: ['霜冻', 'frost'] },
  { hazard: 'meteorological', subtype: 'drought', names: ['干旱', 'drought'] },
  { hazard: 'meteorological', subtype: 'hail', names: ['冰雹', 'hail'] },
  { hazard: 'meteorological', subtype: 'haze', names: ['霾', 'haze'] },
];

/** CAP categories each hazard may arrive under (a contradicting category is rejected). */
export const CATEGORIES: Record<Hazard, string[]> = {
  meteorological: ['Met'],
  flood: ['Met', 'Geo', 'Env', 'Infra', 'Safety'],
  geologic: ['Geo', 'Met', 'Env'],
  'forest-fire': ['Fire', 'Env', 'Met'],
};

export function matchEvent(event: string): EventRule | undefined {
  const e = event.toLowerCase();
  return EVENT_RULES.find((r) => r.names.some((n) => e.includes(n)));
}

/** Parameter valueNames that carry the colour. */
export const LEVEL_PARAMS = [
  'level',
  'colour',
  'color',
  '颜色',
  '预警级别',
  '预警等级',
  '预警颜色',
  'alertlevel',
];
/** Parameter valueNames that carry a numbered grade (geologic) or rating (fire danger). */
export const GRADE_PARAMS = ['grade', 'rating', '等级', '风险等级', '火险等级', '预警等级数'];
/** Parameter valueNames that carry the village flash-flood step. */
export const STEP_PARAMS = ['step', 'action', '转移', '转移指令'];
/**
 * Geocode valueNames known to carry an administrative division code (统计用区划代码 / GB/T 2260).
 * Not a gate: a geocode of any other name whose value is a known division code maps too, with lower
 * confidence.
 */
export const DIVISION_GEOCODE =
  /行政区划|区划代码|区划编码|adcode|gb\s*\/?\s*t?\s*2260|^area\s*_?code$|administrative[\s_-]*division|admin[\s_-]*code|division[\s_-]*code|^(region|district)[\s_-]*code$/i;
/** Geocode valueNames of other schemes, whose values look like division codes but are not (postcodes). */
export const NON_DIVISION_GEOCODE = /邮编|邮政编码|post\s*code|postal|^zip|^fips|^same$|^ugc$|^emma|^nuts/i;

const COLOUR_WORDS: [RegExp, Level][] = [
  [/特别严重|红色|^红$|\bred\b|^(i|Ⅰ|1级|一级)$/i, 'red'],
  [/严重|橙色|^橙$|\borange\b|^(ii|Ⅱ|2级|二级)$/i, 'orange'],
  [/较重|黄色|^黄$|\byellow\b|^(iii|Ⅲ|3级|三级)$/i, 'yellow'],
  [/一般|蓝色|^蓝$|\bblue\b|^(iv|Ⅳ|4级|四级)$/i, 'blue'],
];

/** A colour named in free text ("暴雨橙色预警信号", "Orange", "II"), if any. */
export function colourIn(text: string): Level | undefined {
  const t = text.trim();
  return COLOUR_WORDS.find(([re]) => re.test(t))?.[1];
}

/** A grade / rating number in 1..5 ("3", "三级", "grade 2"). */
export function gradeIn(text: string): number | undefined {
  const digits = /([1-5])/.exec(text);
  if (digits) return +digits[1];
  const zh = /([一二三四五])级/.exec(text);
  return zh ? '一二三四五'.indexOf(zh[1]) + 1 : undefined;
}

export function stepIn(text: string): '准备转移' | '立即转移' | undefined {
  const t = text.toLowerCase();
  if (t.includes('立即转移') || t.includes('evacuate now') || t.includes('immediate evacuation'))
    return '立即转移';
  if (t.includes('准备转移') || t.includes('prepare to evacuate') || t.includes('prepare for evacuation'))
    return '准备转移';
  return undefined;
}

/** CAP severity when nothing more specific is given. */
export const SEVERITY_LEVEL: Record<string, Level> = {
  Extreme: 'red',
  Severe: 'orange',
  Moderate: 'yellow',
  Minor: 'blue',
};
