import { WarningMessage } from '../../../contracts/generated/warning';
import { validateContract } from '../../../contracts/validate';
import { Level, subtypeSpec } from '../../common/hazards';
import { Gazetteer, nationalGazetteer } from '../../common/gazetteer';
import { checkWarning } from '../warning-rules';
import { parseWarningId } from '../warning-id';
import { readAreaNames } from './area-names';
import { VillagePoint, villagesIn } from './area-shapes';
import {
  CATEGORIES,
  colourIn,
  DIVISION_GEOCODE,
  GRADE_PARAMS,
  gradeIn,
  LEVEL_PARAMS,
  matchEvent,
  NON_DIVISION_GEOCODE,
  SEVERITY_LEVEL,
  STEP_PARAMS,
  stepIn,
} from './cap-vocabulary';
import { decodeEntities, readXml, XmlRejected } from './safe-xml';

export const CAP_NAMESPACES: Record<string, '1.2' | '1.1'> = {
  'urn:oasis:names:tc:emergency:cap:1.2': '1.2',
  'urn:oasis:names:tc:emergency:cap:1.1': '1.1',
};

/** An affected area the system cannot resolve to a known division (raised to the duty officer). */
export interface UnmappedArea {
  /** The 12-digit code (or the raw geocode value when malformed); null for a polygon/circle-only area. */
  code: string | null;
  name: string | null;
  reason: string;
  /** For an ambiguous name: the divisions it may mean. */
  candidates?: { code: string; name: string }[];
}

/** How one affected division was found, shown to the duty officer beside the warning. */
export interface AreaMapping {
  /** The CAP areaDesc of the area it came from. */
  areaDesc: string;
  code: string;
  name?: string;
  /** code: a geocode's value; name: the areaDesc read as division names; polygon: a village inside a shape. */
  how: 'code' | 'name' | 'polygon';
  /** The geocode's valueName, the name read, or the shape. */
  via: string;
  /** high: a geocode named as a division code, a name as written, a point inside a shape; low: the rest. */
  confidence: 'high' | 'low';
  /** A shortened or former name, an ambiguity and what settled it. */
  note?: string;
}

/** What area resolution knows beyond the message: the gazetteer, this centre's area, village points. */
export interface AreaContext {
  gazetteer?: Gazetteer;
  /** The configured home area (a division code): settles a shared name after the sender's own division. */
  homeArea?: string;
  /** Villages with a point (from the directory): polygons and circles map to those inside. */
  villages?: VillagePoint[];
}

export interface CapHeader {
  identifier: string;
  sender: string;
  sent: string;
  status: string;
  msgType: string;
  references: string[];
  version: '1.2' | '1.1';
}

export type CapResult =
  | {
      kind: 'warning';
      warning: WarningMessage;
      unmappedAreas: UnmappedArea[];
      mappings: AreaMapping[];
      cap: CapHeader;
    }
  | {
      /**
       * A valid warning to dispatch (status Actual / Exercise) none of whose areas maps: held for the
       * duty officer to map; `warning.areas` is empty until then.
       */
      kind: 'needs-mapping';
      warning: WarningMessage;
      unmappedAreas: UnmappedArea[];
      cap: CapHeader;
    }
  | {
      kind: 'record-only';
      reason: string;
      cap: CapHeader;
      /** The validated warning for Test / Draft / System messages; absent for Ack / Error. */
      warning?: WarningMessage;
      unmappedAreas: UnmappedArea[];
    }
  | { kind: 'rejected'; reasons: string[]; identifier?: string; sender?: string };

type Node = Record<string, unknown>;

class Collected {
  readonly reasons: string[] = [];
  add(r: string) {
    this.reasons.push(r);
  }
}

function text(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return decodeEntities(v).trim();
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'object' && '#text' in (v as Node)) return text((v as Node)['#text']);
  if (typeof v === 'object') return ''; // an element with children where text was expected
  return undefined;
}

function list(v: unknown): Node[] {
  if (v === undefined || v === null || v === '') return [];
  return (Array.isArray(v) ? v : [v]).map((x) =>
    typeof x === 'object' && x !== null ? (x as Node) : { '#text': x },
  );
}

function texts(v: unknown): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map((x) => text(x) ?? '').filter((x) => x !== '');
}

/** CAP dateTime: YYYY-MM-DDThh:mm:ss with an explicit offset (Z tolerated); a real calendar time. */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))$/;

function dateTime(
  name: string,
  v: string | undefined,
  out: Collected,
  required: boolean,
): string | undefined {
  if (v === undefined || v === '') {
    if (required) out.add(`${name} is missing`);
    return undefined;
  }
  const m = DATE_TIME.exec(v);
  const bad = () =>
    out.add(`${name} is not a CAP date-time with a time zone (e.g. 2024-07-01T08:00:00+08:00): ${v}`);
  if (!m) return void bad();
  const [, y, mo, d, h, mi, s] = m.map(Number);
  const probe = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  if (probe.getUTCMonth() !== mo - 1 || probe.getUTCDate() !== d || h > 23 || mi > 59 || s > 59)
    return void bad();
  return v;
}

function required(node: Node, field: string, where: string, out: Collected): string {
  const v = text(node[field]);
  if (v === undefined || v === '') out.add(`${where}${field} is missing`);
  return v ?? '';
}

function oneOf(v: string, allowed: string[], name: string, out: Collected): void {
  if (v !== '' && !allowed.includes(v)) out.add(`${name} "${v}" is not one of ${allowed.join(', ')}`);
}

function params(info: Node): { name: string; value: string }[] {
  return list(info.parameter).map((p) => ({
    name: (text(p.valueName) ?? '').toLowerCase(),
    value: text(p.value) ?? '',
  }));
}

function paramValue(ps: { name: string; value: string }[], names: string[]): string | undefined {
  return ps.find((p) => names.includes(p.name))?.value;
}

function parseReferences(v: string | undefined, out: Collected): string[] {
  if (!v) return [];
  return v
    .split(/\s+/)
    .filter(Boolean)
    .map((triple) => {
      const parts = triple.split(',');
      if (parts.length !== 3 || parts.some((p) => p === '')) {
        out.add(`references entry "${triple}" is not a sender,identifier,sent triple`);
        return '';
      }
      return parts[1];
    })
    .filter(Boolean);
}

function language(v: string | undefined): string | undefined {
  const m = /^([a-zA-Z]{2})(?:-([a-zA-Z]{2}))?$/.exec(v ?? '');
  if (!m) return undefined;
  return m[2] ? `${m[1].toLowerCase()}-${m[2].toUpperCase()}` : m[1].toLowerCase();
}

/** Chinese first: the first zh info block, else the first block. */
function pickInfo(infos: Node[]): Node {
  return infos.find((i) => /^zh/i.test(text(i.language) ?? '')) ?? infos[0];
}

/** Level and source level from parameters, the event text and, last, the CAP severity. */
function levelOf(
  hazard: string,
  subtype: string,
  info: Node,
  event: string,
  headline: string,
): { level?: Level | null; sourceLevel?: string } {
  const ps = params(info);
  const colourParam = paramValue(ps, LEVEL_PARAMS);
  const colour =
    (colourParam !== undefined ? colourIn(colourParam) : undefined) ??
    colourIn(event) ??
    SEVERITY_LEVEL[text(info.severity) ?? ''];
  const spec = subtypeSpec(hazard, subtype);
  if (subtype === 'village-flash-flood') {
    const step = stepIn(paramValue(ps, STEP_PARAMS) ?? '') ?? stepIn(event) ?? stepIn(headline);
    if (step) return { level: spec?.sourceLevels?.[step] ?? undefined, sourceLevel: step };
    return { level: colour };
  }
  if (hazard === 'geologic' || subtype === 'fire-danger') {
    const kind = hazard === 'geologic' ? 'grade' : 'rating';
    const gradeParam = paramValue(ps, GRADE_PARAMS);
    const n = gradeParam !== undefined ? gradeIn(gradeParam) : undefined;
    if (n !== undefined) {
      const sourceLevel = `${kind}-${n}`;
      const mapped = spec?.sourceLevels?.[sourceLevel];
      // An explicit colour that contradicts the grade is kept so the rules name the conflict.
      return { level: colourParam !== undefined ? colourIn(colourParam) : mapped, sourceLevel };
    }
    if (colour) {
      const sourceLevel = Object.entries(spec?.sourceLevels ?? {}).find(([, l]) => l === colour)?.[0];
      return sourceLevel ? { level: colour, sourceLevel } : { level: colour };
    }
    return {};
  }
  return { level: colour };
}

const LAT_LON = /^(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)$/;

function point(s: string): [number, number] | undefined {
  const m = LAT_LON.exec(s);
  if (!m) return undefined;
  const lat = +m[1];
  const lon = +m[2];
  if (Math.abs(lat) > 90 || Math.abs(lon) > 180) return undefined;
  return [lat, lon];
}

type Geometry = NonNullable<WarningMessage['geometry']>[number];

function geometryOf(area: Node, where: string, out: Collected): Geometry[] {
  const shapes: Geometry[] = [];
  for (const p of texts(area.polygon)) {
    const pts = p.split(/\s+/).map(point);
    if (pts.some((x) => x === undefined) || pts.length < 4) {
      out.add(`${where}polygon is not at least 4 "lat,lon" pairs: ${p.slice(0, 80)}`);
      continue;
    }
    const first = pts[0]!;
    const last = pts[pts.length - 1]!;
    if (first[0] !== last[0] || first[1] !== last[1]) {
      out.add(`${where}polygon is not closed (first and last points differ)`);
      continue;
    }
    shapes.push({ kind: 'polygon', points: pts as [number, number][] });
  }
  for (const c of texts(area.circle)) {
    const m = /^(\S+)\s+(\d+(?:\.\d+)?)$/.exec(c);
    const centre = m ? point(m[1]) : undefined;
    if (!m || !centre) {
      out.add(`${where}circle is not "lat,lon radius": ${c.slice(0, 80)}`);
      continue;
    }
    shapes.push({ kind: 'circle', center: centre, radiusKm: +m[2] });
  }
  return shapes;
}

interface AreaResolution {
  areas: { code: string; name?: string; how: AreaMapping['how']; via: string }[];
  mappings: AreaMapping[];
  geometry: Geometry[];
  unmapped: UnmappedArea[];
}

/** A geocode's valueName, when it says what scheme its value follows. */
function geocodeScheme(valueName: string): 'division' | 'other' | 'unnamed' {
  if (DIVISION_GEOCODE.test(valueName)) return 'division';
  if (NON_DIVISION_GEOCODE.test(valueName)) return 'other';
  return 'unnamed';
}

/** Where the message comes from, most specific first: settles names that several divisions share. */
function preferredAreas(identifier: string, ctx: AreaContext, g: Gazetteer) {
  const out: { code: string; label: string }[] = [];
  const senderArea = parseWarningId(identifier)?.area;
  const sender = senderArea ? g.lookupCode(senderArea) : undefined;
  if (sender?.division)
    out.push({ code: sender.code, label: `the sender's division ${senderArea} ${sender.division.name}` });
  const home = ctx.homeArea ? g.lookupCode(ctx.homeArea) : undefined;
  if (home?.division) out.push({ code: home.code, label: `the configured home area ${home.division.name}` });
  return out;
}

/**
 * Each area maps by the first of: its geocodes whose value is a division code the gazetteer knows
 * (whatever the valueName says: a valueName known to name division codes only raises confidence);
 * its areaDesc read as division names; its polygons and circles, as the villages whose point lies
 * inside. What maps nowhere is reported per area, with the reason.
 */
function resolveAreas(info: Node, identifier: string, ctx: AreaContext, out: Collected): AreaResolution {
  const g = ctx.gazetteer ?? nationalGazetteer();
  const preferred = preferredAreas(identifier, ctx, g);
  const res: AreaResolution = { areas: [], mappings: [], geometry: [], unmapped: [] };
  const seen = new Set<string>();
  const add = (m: AreaMapping) => {
    res.mappings.push(m);
    if (seen.has(m.code)) return;
    seen.add(m.code);
    res.areas.push({ code: m.code, ...(m.name ? { name: m.name } : {}), how: m.how, via: m.via });
  };
  list(info.area).forEach((area, i) => {
    const where = `info.area[${i}].`;
    const desc = required(area, 'areaDesc', where, out);
    const shapes = geometryOf(area, where, out);
    res.geometry.push(...shapes);
    const unmapped: UnmappedArea[] = [];
    let mapped = 0;
    for (const geocode of list(area.geocode)) {
      const valueName = text(geocode.valueName) ?? '';
      const value = (text(geocode.value) ?? '').replace(/\s+/g, '');
      const scheme = geocodeScheme(valueName);
      if (scheme === 'other') continue;
      const hit = g.lookupCode(value);
      if (hit) {
        mapped++;
        add({
          areaDesc: desc,
          code: hit.code,
          name: hit.division?.name ?? (hit.code.slice(9) !== '000' ? desc || undefined : undefined),
          how: 'code',
          via: valueName || '(no valueName)',
          confidence: scheme === 'division' ? 'high' : 'low',
        });
      } else if (scheme === 'division')
        unmapped.push({
          code: /^\d{6}$|^\d{9}$|^\d{12}$/.test(value) ? value.padEnd(12, '0') : value,
          name: desc || null,
          reason: /^\d{6}$|^\d{9}$|^\d{12}$/.test(value)
            ? `geocode ${valueName} ${value} is not a known division code`
            : `geocode ${valueName} "${value}" is not a 6-, 9- or 12-digit division code`,
        });
    }
    if (mapped === 0 && desc) {
      const names = readAreaNames(g, desc, preferred);
      for (const n of names.areas) {
        mapped++;
        add({
          areaDesc: desc,
          code: n.division.code,
          name: n.division.name,
          how: 'name',
          via: n.text,
          confidence: n.match === 'exact' && !n.settledBy ? 'high' : 'low',
          ...(n.match !== 'exact' || n.settledBy
            ? {
                note: [
                  n.match === 'short' ? 'name without its suffix' : '',
                  n.match === 'former' ? 'former name' : '',
                  n.settledBy ? `ambiguous, settled by ${n.settledBy}` : '',
                ]
                  .filter(Boolean)
                  .join('; '),
              }
            : {}),
        });
      }
      // A list read in part: what was read is mapped, the rest reported.
      if (names.areas.length)
        for (const u of names.unread)
          unmapped.push({ code: null, name: u.text, reason: u.reason, candidates: u.candidates });
      else if (shapes.length === 0)
        unmapped.push(
          ...names.unread.map((u) => ({
            code: null,
            name: u.text,
            reason: u.reason,
            candidates: u.candidates,
          })),
        );
    }
    if (mapped === 0 && shapes.length) {
      const villages = villagesIn(shapes, ctx.villages ?? []);
      for (const v of villages) {
        mapped++;
        add({
          areaDesc: desc,
          code: v.code,
          name: v.name,
          how: 'polygon',
          via: v.shape,
          confidence: 'high',
        });
      }
      if (villages.length === 0)
        unmapped.push({
          code: null,
          name: desc || null,
          reason: `area given as ${shapes.map((s) => s.kind).join(' and ')}: no village with a known point lies inside, and no geocode or name maps`,
        });
    }
    if (mapped === 0 && unmapped.length === 0)
      unmapped.push({
        code: null,
        name: desc || null,
        reason: 'area has no division geocode, no known division name and no polygon or circle',
      });
    res.unmapped.push(...unmapped);
  });
  return res;
}

const STATUSES = ['Actual', 'Exercise', 'System', 'Test', 'Draft'];
const MSG_TYPES = ['Alert', 'Update', 'Cancel', 'Ack', 'Error'];
const SCOPES = ['Public', 'Restricted', 'Private'];
const ID_CHARS = /^[^\s,&<]+$/;

/** Parses CAP 1.2 / 1.1 bytes into the canonical warning, a record-only outcome, or reasons. */
export function capToWarning(bytes: Buffer, ctx: AreaContext = {}): CapResult {
  let xml;
  try {
    xml = readXml(bytes);
  } catch (e) {
    if (e instanceof XmlRejected) return { kind: 'rejected', reasons: e.reasons };
    throw e;
  }
  if (xml.root !== 'alert')
    return { kind: 'rejected', reasons: [`root element is <${xml.root}>, not a CAP <alert>`] };
  const version = CAP_NAMESPACES[xml.namespace];
  if (!version)
    return {
      kind: 'rejected',
      reasons: [
        `namespace "${xml.namespace}" is not CAP 1.2 or 1.1 (expected ${Object.keys(CAP_NAMESPACES).join(' or ')})`,
      ],
    };
  try {
    return mapAlert(xml.tree, version, ctx);
  } catch (e) {
    if (e instanceof XmlRejected) return { kind: 'rejected', reasons: e.reasons };
    throw e;
  }
}

function mapAlert(alert: Node, version: '1.2' | '1.1', ctx: AreaContext): CapResult {
  const out = new Collected();
  const identifier = required(alert, 'identifier', '', out);
  const sender = required(alert, 'sender', '', out);
  const sent = dateTime('sent', text(alert.sent), out, true);
  const status = required(alert, 'status', '', out);
  const msgType = required(alert, 'msgType', '', out);
  const scope = required(alert, 'scope', '', out);
  oneOf(status, STATUSES, 'status', out);
  oneOf(msgType, MSG_TYPES, 'msgType', out);
  oneOf(scope, SCOPES, 'scope', out);
  if (identifier && !ID_CHARS.test(identifier)) out.add('identifier contains a space, comma, & or <');
  if (identifier.length > 200) out.add('identifier is longer than 200 characters');
  const references = parseReferences(text(alert.references), out);
  const rejected = (): CapResult => ({
    kind: 'rejected',
    reasons: out.reasons,
    identifier: identifier || undefined,
    sender: sender || undefined,
  });
  const cap: CapHeader = { identifier, sender, sent: sent ?? '', status, msgType, references, version };

  if (msgType === 'Ack' || msgType === 'Error') {
    if (out.reasons.length) return rejected();
    return { kind: 'record-only', reason: `msgType ${msgType} is recorded only`, cap, unmappedAreas: [] };
  }

  const infos = list(alert.info);
  if (infos.length === 0) {
    out.add(`an ${msgType || 'alert'} needs at least one <info>`);
    return rejected();
  }
  const info = pickInfo(infos);
  const categories = texts(info.category);
  if (categories.length === 0) out.add('info.category is missing');
  const event = required(info, 'event', 'info.', out);
  for (const f of ['urgency', 'severity', 'certainty']) required(info, f, 'info.', out);
  const headline = text(info.headline) || event;
  const effective = dateTime('info.effective', text(info.effective), out, false) ?? sent;
  const onset = dateTime('info.onset', text(info.onset), out, false);
  const expires = dateTime('info.expires', text(info.expires), out, true);
  if (expires && onset && Date.parse(expires) <= Date.parse(onset))
    out.add(`info.expires (${expires}) is not after info.onset (${onset})`);

  const rule = event ? matchEvent(event) : undefined;
  if (event && !rule)
    out.add(`event "${event}" maps to no known hazard (see docs/intake.md for the event table)`);
  if (rule && categories.length && !categories.some((c) => CATEGORIES[rule.hazard].includes(c)))
    out.add(
      `category ${categories.join(', ')} does not fit hazard ${rule.hazard} (event "${event}"); expected ${CATEGORIES[rule.hazard].join(' or ')}`,
    );
  const area = resolveAreas(info, identifier, ctx, out);
  if (list(info.area).length === 0) out.add('info has no <area>');
  if (out.reasons.length || !rule) return rejected();

  const { level, sourceLevel } = levelOf(rule.hazard, rule.subtype, info, event, headline);
  const w: WarningMessage = {
    schemaVersion: 1,
    id: identifier,
    msgType: msgType as WarningMessage['msgType'],
    status: status as WarningMessage['status'],
    ...(references.length ? { references } : {}),
    sender: text(info.senderName) || sender,
    sentAt: sent!,
    hazard: rule.hazard,
    subtype: rule.subtype,
    level: level ?? null,
    ...(sourceLevel ? { sourceLevel } : {}),
    headline,
    ...(text(info.description) ? { description: text(info.description) } : {}),
    ...(text(info.instruction) ? { instruction: text(info.instruction) } : {}),
    ...(language(text(info.language)) ? { language: language(text(info.language)) } : {}),
    areas: area.areas as WarningMessage['areas'],
    ...(area.geometry.length ? { geometry: area.geometry } : {}),
    ...(onset ? { onset } : {}),
    effective: effective!,
    expires: expires!,
    source: 'cap',
  };
  if (level === undefined) delete w.level;

  const schema = validateContract<WarningMessage>('warning', w);
  // A warning none of whose areas maps is still a warning: held for mapping, not rejected.
  const unmappedOnly = (e: string) => w.areas.length === 0 && e.startsWith('/areas:');
  const rules = checkWarning(w);
  const reasons = [
    ...(schema.ok ? [] : schema.errors.filter((e) => !unmappedOnly(e)).map((e) => `canonical warning ${e}`)),
    ...rules.errors,
  ];
  if (reasons.length) return { kind: 'rejected', reasons, identifier, sender };

  const unmappedAreas = area.unmapped;
  if (status === 'Test' || status === 'Draft' || status === 'System')
    return {
      kind: 'record-only',
      reason: `status ${status} is validated and recorded, not dispatched`,
      cap,
      ...(w.areas.length ? { warning: w } : {}),
      unmappedAreas,
    };
  if (w.areas.length === 0) return { kind: 'needs-mapping', warning: w, unmappedAreas, cap };
  return { kind: 'warning', warning: w, unmappedAreas, mappings: area.mappings, cap };
}
