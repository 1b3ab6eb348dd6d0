import { codePrefix } from '../../common/divisions';
import type { Division } from '../../common/divisions';
import { Gazetteer, NameMatch } from '../../common/gazetteer';

/**
 * Reads an areaDesc as the names of divisions: a full path (山西省大同市平城区, levels may be skipped),
 * a list (灵丘县、浑源县 / 灵丘县,浑源县 / 灵丘县 浑源县), names without their suffix (大同平城) or by a
 * former name (大同县). A name that denotes several divisions is settled by the places the message
 * comes from (`preferred`, most specific first: the sender's division, the configured home area),
 * and by the earlier names of the same list; otherwise it is reported as ambiguous with its candidates.
 */
export interface NamedArea {
  division: Division;
  /** The text that matched. */
  text: string;
  match: NameMatch;
  /** How an ambiguous name was settled, when it was. */
  settledBy?: string;
}

export interface UnreadName {
  text: string;
  reason: string;
  candidates?: { code: string; name: string }[];
}

export interface NameReading {
  areas: NamedArea[];
  unread: UnreadName[];
}

/** Words that qualify a place without naming another one ("大同市全境", "灵丘县部分乡镇"). */
const QUALIFIERS = /(全境|全域|境内|大部|部分地区|部分乡镇|部分|等地|一带|辖区|沿线)+$/;
const SEPARATORS = /[、,，;；/\s]+/;
const MATCH_RANK: Record<NameMatch, number> = { exact: 0, short: 1, former: 1 };
const LEVEL_RANK = { province: 0, city: 1, county: 2, township: 3, village: 4 };

interface Reading {
  division: Division;
  /** Sum of MATCH_RANK over the path's segments: fewer shortened names is a better reading. */
  cost: number;
  match: NameMatch;
}

/** Every way `text` reads as a path of names, each segment under the one before. */
function readings(g: Gazetteer, text: string, longest: number): Reading[] {
  const memo = new Map<string, Reading[]>();
  const walk = (from: number, parent: Division | undefined): Reading[] => {
    const key = `${from}|${parent?.code ?? ''}`;
    const cached = memo.get(key);
    if (cached) return cached;
    const out: Reading[] = [];
    for (let len = Math.min(longest, text.length - from); len >= 2; len--) {
      for (const hit of g.named(text.slice(from, from + len))) {
        if (parent && !Gazetteer.under(parent, hit.division)) continue;
        const cost = MATCH_RANK[hit.match];
        if (from + len === text.length) out.push({ division: hit.division, cost, match: hit.match });
        else
          for (const r of walk(from + len, hit.division))
            out.push({ division: r.division, cost: cost + r.cost, match: r.match });
      }
    }
    memo.set(key, out);
    return out;
  };
  return walk(0, undefined);
}

/** The best readings: fewest shortened segments, distinct divisions. */
function best(rs: Reading[]): Reading[] {
  const min = Math.min(...rs.map((r) => r.cost));
  const seen = new Map<string, Reading>();
  for (const r of rs) if (r.cost === min && !seen.has(r.division.code)) seen.set(r.division.code, r);
  return [...seen.values()];
}

function settle(
  candidates: Reading[],
  preferred: { prefix: string; label: string }[],
): { pick?: Reading; settledBy?: string } {
  if (candidates.length === 1) return { pick: candidates[0] };
  for (const p of preferred) {
    const inside = candidates.filter((c) => c.division.code.startsWith(p.prefix));
    if (inside.length === 1) return { pick: inside[0], settledBy: p.label };
    if (inside.length > 1) candidates = inside;
  }
  // A county and a township of the same short name: the wider division is what a feed means.
  const top = Math.min(...candidates.map((c) => LEVEL_RANK[c.division.level]));
  const wide = candidates.filter((c) => LEVEL_RANK[c.division.level] === top);
  if (wide.length === 1 && candidates.every((c) => c.match !== 'exact' || c === wide[0]))
    return { pick: wide[0], settledBy: 'the wider division of that name' };
  return {};
}

export function readAreaNames(
  g: Gazetteer,
  areaDesc: string,
  preferred: { code: string; label: string }[] = [],
): NameReading {
  const prefs = preferred.map((p) => ({ prefix: codePrefix(p.code), label: p.label }));
  const longest = g.longestName;
  const clean = (s: string) => s.replace(QUALIFIERS, '');
  const whole = clean(areaDesc.replace(new RegExp(SEPARATORS, 'g'), ''));
  const wholeReadings = whole ? best(readings(g, whole, longest)) : [];
  const single = settle(wholeReadings, prefs);
  if (single.pick)
    return { areas: [{ ...named(single.pick, areaDesc.trim()), settledBy: single.settledBy }], unread: [] };

  const out: NameReading = { areas: [], unread: [] };
  const parts = areaDesc
    .split(SEPARATORS)
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length <= 1 && wholeReadings.length > 1) {
    out.unread.push(ambiguous(areaDesc.trim(), wholeReadings));
    return out;
  }
  for (const part of parts) {
    const text = clean(part);
    const rs = text ? best(readings(g, text, longest)) : [];
    if (rs.length === 0) {
      out.unread.push({ text: part, reason: `"${part}" names no known division` });
      continue;
    }
    // Names earlier in the list place the later ones: 大同市灵丘县、浑源县.
    const siblings = out.areas.map((a) => ({
      prefix: codePrefix(a.division.parentCode ?? a.division.code),
      label: `the list's earlier name ${a.text}`,
    }));
    const s = settle(rs, [...siblings, ...prefs]);
    if (s.pick) out.areas.push({ ...named(s.pick, part), settledBy: s.settledBy });
    else out.unread.push(ambiguous(part, rs));
  }
  return out;
}

function named(r: Reading, text: string): NamedArea {
  return { division: r.division, text, match: r.match };
}

function ambiguous(text: string, rs: Reading[]): UnreadName {
  const candidates = rs.slice(0, 10).map((r) => ({ code: r.division.code, name: r.division.name }));
  return {
    text,
    reason: `"${text}" is ambiguous: ${rs.length} divisions have that name (${candidates
      .map((c) => `${c.code} ${c.name}`)
      .join(', ')}${rs.length > 10 ? ', …' : ''})`,
    candidates,
  };
}
