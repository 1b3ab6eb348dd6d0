/**
 * Roles of grassroots responsible persons (DOMAIN.md). A person may hold several roles in several
 * areas. Codes are stable identifiers used in policy files, CSV imports and contracts; names are
 * what people read.
 */
export const ROLES = {
  'party-gov-head': { zh: '党政主要负责人', en: 'Party/government head' },
  'flood-control': { zh: '防汛责任人', en: 'Flood-control person' },
  'flash-flood-warner': { zh: '山洪预警员', en: 'Flash-flood warner' },
  'geo-monitor': { zh: '地灾群测群防员', en: 'Geological-hazard monitor' },
  'forest-ranger': { zh: '护林员', en: 'Forest ranger' },
  'grid-worker': { zh: '网格员', en: 'Grid worker' },
  'info-officer': { zh: '气象信息员/灾害信息员', en: 'Weather / disaster information officer' },
  inspector: { zh: '水库/淤地坝/堤防巡查员', en: 'Reservoir, check-dam and dike inspector' },
  'shelter-manager': { zh: '避灾场所管理员', en: 'Shelter manager' },
  'duty-officer': { zh: '值班员', en: 'Duty officer' },
} as const;

export type RoleCode = keyof typeof ROLES;
export const ROLE_CODES = Object.keys(ROLES) as RoleCode[];

export type { DivisionLevel } from '../common/divisions';

/** The name of a role as people read it (unknown codes are shown as they are). */
export function roleName(code: string, lang: 'zh-CN' | 'en' = 'zh-CN'): string {
  const r = (ROLES as Record<string, { zh: string; en: string }>)[code];
  return r ? (lang === 'en' ? r.en : r.zh) : code;
}
