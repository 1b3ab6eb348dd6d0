import { codePrefix, DIVISION_CODE, DivisionLevel, levelOfCode, shanxiDivisions } from '../common/divisions';
import { maskPhone } from '../common/mask';
import { Db } from '../db/db';
import { Availability, Contact, reach } from './availability';
import { DirectoryDocument, PersonRecord, RowError, toCsv } from './directory-format';
import { checkRoster } from './roster-check';
import { DirectoryRepository, DivisionRow, PersonRow } from './directory.repository';
import { LadderReads } from './ladder-reads';
import {
  CoverageGap,
  LadderStep,
  Resolution,
  ResolvedTarget,
  ResolveQuery,
  TargetRule,
} from './directory.types';
import { RoleCode } from './roles';

export interface ImportOptions {
  /** Import the good rows and list the rest (default: nothing is imported when any row is bad). */
  partial?: boolean;
  /** Validate only; nothing is written. */
  dryRun?: boolean;
  /** 'csv' or 'json' (or a content type); guessed from the content otherwise. */
  format?: string;
}

export interface ImportReport {
  format: 'csv' | 'json';
  encoding: string;
  /** Person records read. */
  total: number;
  /** Persons written (0 when not applied). */
  imported: number;
  divisions: number;
  rejected: number;
  errors: RowError[];
  applied: boolean;
  dryRun: boolean;
}

export interface HealthReport {
  at: string;
  persons: number;
  staleContacts: { personId: string; name: string; verifiedAt: string | null }[];
  withoutBackup: { personId: string; name: string }[];
  withoutSuperior: { personId: string; name: string; role: RoleCode; areaCode: string; areaName: string }[];
  /** Numbers are masked: the report is for fixing rosters, the person ids say whom to ask. */
  sharedNumbers: { number: string; personIds: string[] }[];
}

const LEVEL_RANK: Record<DivisionLevel, number> = {
  village: 0,
  township: 1,
  county: 2,
  city: 3,
  province: 4,
};
const STALE_DAYS = 365;

/** Distinct prefixes, dropping those inside another one ("1402" makes "140212" redundant). */
export function minimalPrefixes(prefixes: string[]): string[] {
  const sorted = [...new Set(prefixes)].sort((a, b) => a.length - b.length || a.localeCompare(b));
  const out: string[] = [];
  for (const p of sorted) if (!out.some((q) => p.startsWith(q))) out.push(p);
  return out.sort();
}

const ruleApplies = (rules: TargetRule[], role: RoleCode, level: DivisionLevel) =>
  rules.some((r) => r.role === role && (!r.levels || r.levels.includes(level)));

/**
 * The responsible-person directory: who must be woken for a warning right now (with the areas where
 * nobody can be), who is next on the escalation ladder, roster import/export and health. Plain class;
 * DirectoryModule provides it to Nest.
 */
export class DirectoryService {
  /** What escalation ladders read, kept for a moment (see LadderReads). */
  readonly ladderReads: LadderReads;
  private seeded = false;

  constructor(
    db: Db,
    readonly repo: DirectoryRepository = new DirectoryRepository(db),
  ) {
    this.ladderReads = new LadderReads(this.repo);
  }

  /** The real Shanxi province → township codes into directory.divisions (idempotent). */
  async seedDivisions(): Promise<number> {
    const divisions = shanxiDivisions();
    await this.repo.database.transaction((tx) => this.repo.upsertDivisions(tx, divisions));
    this.seeded = true;
    return divisions.length;
  }

  async ensureSeeded(): Promise<void> {
    if (!this.seeded) await this.seedDivisions();
  }

  // ---- resolution ----

  async resolve(q: ResolveQuery): Promise<Resolution> {
    const codes = [...new Set(q.areaCodes)];
    const valid = codes.filter((c) => DIVISION_CODE.test(c));
    const known = await this.repo.divisionsByCode(valid);
    const knownCodes = new Set(known.map((d) => d.code));
    const unknownAreas = codes.filter((c) => !knownCodes.has(c)).sort();
    const prefixes = minimalPrefixes(known.map((d) => codePrefix(d.code)));
    const roles = [...new Set(q.rules.map((r) => r.role))].sort() as RoleCode[];
    if (!prefixes.length || !roles.length) return { targets: [], gaps: [], unknownAreas };

    const above = [...new Set(q.alsoHoldersOf ?? [])].filter(
      (c) => DIVISION_CODE.test(c) && !prefixes.some((p) => c.startsWith(p)),
    );
    const [under, divisionsBelow, periods, atAbove, divisionsAbove] = await Promise.all([
      this.repo.assignmentsUnder(prefixes, roles),
      this.repo.divisionsUnder(prefixes),
      this.repo.periodsAt(q.at),
      above.length ? this.repo.assignmentsAt(above, roles) : Promise.resolve([]),
      above.length ? this.repo.divisionsByCode(above) : Promise.resolve([]),
    ]);
    const assignments = [...under, ...atAbove];
    const divisions = [...divisionsBelow, ...divisionsAbove];
    const availability = new Availability(periods, q.at);
    const persons = new Map<string, Contact>();
    for (const a of assignments)
      persons.set(a.person_id, {
        id: a.person_id,
        name: a.name,
        mobile: a.mobile,
        alt_phone: a.alt_phone,
        active: a.active,
      });
    const missing = availability.substitutes().filter((id) => !persons.has(id));
    if (missing.length) for (const p of await this.repo.persons(missing)) persons.set(p.id, p);

    // Per division: how its matching holders fare (for the coverage report).
    const fate = new Map<string, { role: RoleCode; ok: boolean; reason?: string }[]>();
    const best = new Map<string, ResolvedTarget>();
    const divisionOf = new Map(divisions.map((d) => [d.code, d]));
    for (const a of assignments) {
      const area = divisionOf.get(a.area_code)!;
      if (!ruleApplies(q.rules, a.role, area.level)) continue;
      const r = reach(a.person_id, persons, availability);
      if (!r.ok && r.reason === 'inactive') continue;
      const list = fate.get(a.area_code) ?? [];
      list.push({ role: a.role, ok: r.ok, reason: r.ok ? undefined : r.reason });
      fate.set(a.area_code, list);
      if (!r.ok) continue;
      const t: ResolvedTarget = {
        personId: r.person.id,
        name: r.person.name,
        phone: r.person.mobile!,
        altPhone: r.person.alt_phone,
        role: a.role,
        areaCode: a.area_code,
        areaName: area.name,
        areaLevel: area.level,
        substituteFor: r.substituteFor,
      };
      const prev = best.get(t.personId);
      // One target per person: the most specific assignment, then the lowest area code and role.
      if (!prev || isBetter(t, prev)) best.set(t.personId, t);
    }
    const targets = [...best.values()].sort(
      (a, b) =>
        a.areaCode.localeCompare(b.areaCode) ||
        a.role.localeCompare(b.role) ||
        a.personId.localeCompare(b.personId),
    );
    return { targets, gaps: coverageGaps(q.rules, divisions, fate), unknownAreas };
  }

  // ---- escalation ladder ----

  async ladder(
    personId: string,
    role: RoleCode,
    areaCode: string,
    at: Date,
    maxSteps = 6,
  ): Promise<LadderStep[]> {
    const availability = new Availability(await this.ladderReads.periodsAt(at), at);
    const cache = new Map<string, PersonRow | null>();
    const load = async (ids: string[]) => {
      const need = ids.filter((id) => !cache.has(id));
      if (need.length) {
        const rows = await this.ladderReads.persons(need);
        for (const id of need) cache.set(id, rows.find((r) => r.id === id) ?? null);
      }
    };
    const divisionCache = new Map<string, DivisionRow | null>();
    const division = async (code: string) => {
      if (!divisionCache.has(code))
        divisionCache.set(code, (await this.ladderReads.divisionsByCode([code]))[0] ?? null);
      return divisionCache.get(code)!;
    };
    await load([personId]);
    const start = cache.get(personId);
    if (!start) return [];

    const visited = new Set<string>([personId]);
    const steps: LadderStep[] = [];
    /** Adds the first reachable, not yet visited candidate; true when one was added. */
    const tryAdd = async (
      kind: LadderStep['kind'],
      id: string,
      stepRole: RoleCode | null,
      area: string | null,
    ) => {
      await load([id]);
      await load(availability.substitutes());
      const contacts = new Map([...cache].filter((e): e is [string, PersonRow] => !!e[1]));
      const r = reach(id, contacts, availability);
      if (!r.ok || visited.has(r.person.id)) return false;
      visited.add(id);
      visited.add(r.person.id);
      steps.push({
        kind,
        personId: r.person.id,
        name: r.person.name,
        phone: r.person.mobile!,
        role: stepRole,
        areaCode: area,
        areaName: area ? ((await division(area))?.name ?? null) : null,
      });
      return true;
    };

    if (start.backup_person_id) await tryAdd('backup', start.backup_person_id, role, areaCode);

    // Stage 0 climbs the same role village → township → county; at the county (or above) stage 1 asks
    // its party/government head, stage 2 its duty officer, stage 3 ends. Explicit superiors go first.
    type Ctx = { personId: string | null; role: RoleCode; area: string; stage: 0 | 1 | 2 | 3 };
    let ctx: Ctx = { personId, role, area: areaCode, stage: 0 };
    for (let guard = 0; steps.length < maxSteps && guard < 40 && ctx.stage < 3; guard++) {
      const holder = ctx.personId ? cache.get(ctx.personId) : null;
      const superior = holder?.superior_person_id;
      if (superior && !visited.has(superior)) {
        const own = (await this.ladderReads.assignmentsOf(superior)).sort(
          (a, b) =>
            Number(b.role === ctx.role) - Number(a.role === ctx.role) ||
            LEVEL_RANK[a.level] - LEVEL_RANK[b.level],
        )[0];
        await tryAdd('superior', superior, own?.role ?? null, own?.area_code ?? null);
        ctx = own
          ? { personId: superior, role: own.role, area: own.area_code, stage: 0 }
          : { ...ctx, personId: superior };
        continue;
      }
      const level = levelOfCode(ctx.area);
      let candidatesRole: RoleCode;
      let candidatesArea: string;
      let nextStage: Ctx['stage'];
      if (ctx.stage === 0 && (level === 'village' || level === 'township')) {
        const parent = (await division(ctx.area))?.parent_code;
        if (!parent) break;
        [candidatesRole, candidatesArea, nextStage] = [ctx.role, parent, 0];
      } else if (ctx.stage <= 1) {
        [candidatesRole, candidatesArea, nextStage] = ['party-gov-head', ctx.area, 2];
      } else {
        [candidatesRole, candidatesArea, nextStage] = ['duty-officer', ctx.area, 3];
      }
      let chosen: string | null = null;
      for (const h of await this.ladderReads.holders(candidatesRole, candidatesArea)) {
        cache.set(h.id, h);
        if (await tryAdd('superior', h.id, candidatesRole, candidatesArea)) {
          chosen = h.id;
          break;
        }
      }
      ctx = {
        personId: chosen,
        role: ctx.stage === 0 && nextStage === 0 ? ctx.role : candidatesRole,
        area: candidatesArea,
        stage: nextStage,
      };
    }
    return steps.slice(0, maxSteps);
  }

  async person(personId: string): Promise<{ personId: string; name: string; phone: string } | null> {
    const p = (await this.repo.persons([personId]))[0];
    return p ? { personId: p.id, name: p.name, phone: p.mobile ?? p.alt_phone ?? '' } : null;
  }

  async divisionName(code: string): Promise<string | null> {
    return (await this.repo.divisionsByCode([code]))[0]?.name ?? null;
  }

  /** The division tree one level at a time (no parent: the roots). */
  async divisions(parent: string | null): Promise<DivisionRow[]> {
    return this.repo.children(parent);
  }

  // ---- import / export ----

  async import(input: Buffer | string, opts: ImportOptions = {}): Promise<ImportReport> {
    await this.ensureSeeded();
    // Parsing and validation run in a worker thread: seconds for a large file, during which this
    // thread keeps answering (health checks, the board, webhooks).
    const checked = await checkRoster({
      input,
      format: opts.format,
      snapshot: await this.repo.snapshot(),
      records: opts.dryRun ? 'never' : opts.partial ? 'always' : 'when-valid',
    });
    const base = {
      format: checked.source,
      encoding: checked.encoding,
      total: checked.total,
      errors: checked.errors,
      rejected: checked.total - checked.valid,
      dryRun: !!opts.dryRun,
    };
    const records = checked.records;
    if (!records) return { ...base, imported: 0, divisions: 0, applied: false };
    await this.repo.database.transaction(async (tx) => {
      await this.repo.upsertDivisions(tx, records.divisions);
      await this.repo.upsertPersons(tx, records.persons);
    });
    this.ladderReads.clear();
    return { ...base, imported: records.persons.length, divisions: records.divisions.length, applied: true };
  }

  async exportDocument(): Promise<DirectoryDocument> {
    const seededCodes = new Set(shanxiDivisions().map((d) => d.code));
    const [persons, assignments, periods, divisions] = await Promise.all([
      this.repo.allPersons(),
      this.repo.allAssignments(),
      this.repo.allPeriods(),
      this.repo.allDivisions(),
    ]);
    const rolesOf = new Map<string, { role: string; areaCode: string }[]>();
    for (const a of assignments) {
      const list = rolesOf.get(a.person_id) ?? [];
      list.push({ role: a.role, areaCode: a.area_code });
      rolesOf.set(a.person_id, list);
    }
    const periodsOf = new Map<string, typeof periods>();
    for (const p of periods) periodsOf.set(p.person_id, [...(periodsOf.get(p.person_id) ?? []), p]);
    const order: Record<DivisionLevel, number> = { province: 0, city: 1, county: 2, township: 3, village: 4 };
    return {
      divisions: divisions
        .filter((d) => !seededCodes.has(d.code) && d.parent_code)
        .sort((a, b) => order[a.level] - order[b.level] || a.code.localeCompare(b.code))
        .map((d) => ({
          code: d.code,
          name: d.name,
          parentCode: d.parent_code!,
          ...(d.lat !== null && d.lon !== null ? { lat: d.lat, lon: d.lon } : {}),
        })),
      persons: persons.map((p): PersonRecord => {
        const own = periodsOf.get(p.id) ?? [];
        return {
          id: p.id,
          name: p.name,
          mobile: p.mobile,
          altPhone: p.alt_phone,
          roles: rolesOf.get(p.id) ?? [],
          backupPersonId: p.backup_person_id,
          superiorPersonId: p.superior_person_id,
          verifiedAt: p.verified_at,
          active: p.active,
          leave: own
            .filter((x) => x.kind === 'leave')
            .map((x) => ({
              from: new Date(x.from_at).toISOString(),
              to: new Date(x.to_at).toISOString(),
              substitutePersonId: x.substitute_person_id,
            })),
          onDuty: own
            .filter((x) => x.kind === 'on-duty')
            .map((x) => ({ from: new Date(x.from_at).toISOString(), to: new Date(x.to_at).toISOString() })),
        };
      }),
    };
  }

  async export(format: 'csv' | 'json'): Promise<string> {
    const doc = await this.exportDocument();
    return format === 'csv' ? toCsv(doc) : JSON.stringify(doc, null, 2);
  }

  // ---- health ----

  async health(at: Date = new Date()): Promise<HealthReport> {
    const [persons, assignments, divisions, shared] = await Promise.all([
      this.repo.allPersons(),
      this.repo.allAssignments(),
      this.repo.allDivisions(),
      this.repo.sharedNumbers(),
    ]);
    const active = persons.filter((p) => p.active);
    const byId = new Map(active.map((p) => [p.id, p]));
    const cutoff = new Date(at.getTime() - STALE_DAYS * 86_400_000).toISOString().slice(0, 10);
    const division = new Map(divisions.map((d) => [d.code, d]));
    const holders = new Map<string, string[]>();
    for (const a of assignments) {
      if (!byId.has(a.person_id)) continue;
      const k = `${a.role}|${a.area_code}`;
      holders.set(k, [...(holders.get(k) ?? []), a.person_id]);
    }
    const someoneElse = (role: string, area: string, self: string) =>
      (holders.get(`${role}|${area}`) ?? []).some((id) => id !== self);
    // The same walk as ladder(): same role upward to the county, then the county's head or duty officer.
    const hasSuperior = (personId: string, role: RoleCode, area: string): boolean => {
      const explicit = byId.get(personId)?.superior_person_id;
      if (explicit && byId.has(explicit)) return true;
      let code: string | null = area;
      while (code) {
        const d = division.get(code);
        if (!d) return false;
        if (code !== area && someoneElse(role, code, personId)) return true;
        if (d.level !== 'village' && d.level !== 'township')
          return someoneElse('party-gov-head', code, personId) || someoneElse('duty-officer', code, personId);
        code = d.parent_code;
      }
      return false;
    };
    return {
      at: at.toISOString(),
      persons: active.length,
      staleContacts: active
        .filter((p) => !p.verified_at || p.verified_at < cutoff)
        .map((p) => ({ personId: p.id, name: p.name, verifiedAt: p.verified_at })),
      withoutBackup: active.filter((p) => !p.backup_person_id).map((p) => ({ personId: p.id, name: p.name })),
      withoutSuperior: assignments
        .filter((a) => byId.has(a.person_id) && !hasSuperior(a.person_id, a.role, a.area_code))
        .map((a) => ({
          personId: a.person_id,
          name: byId.get(a.person_id)!.name,
          role: a.role,
          areaCode: a.area_code,
          areaName: division.get(a.area_code)?.name ?? '',
        })),
      sharedNumbers: shared.map((s) => ({ number: maskPhone(s.number), personIds: s.person_ids })),
    };
  }
}

function isBetter(t: ResolvedTarget, prev: ResolvedTarget): boolean {
  return (
    (LEVEL_RANK[t.areaLevel] - LEVEL_RANK[prev.areaLevel] ||
      t.areaCode.localeCompare(prev.areaCode) ||
      t.role.localeCompare(prev.role)) < 0
  );
}

/**
 * Coverage: every affected division at the most specific level the directory holds (a division with no
 * child divisions) is checked against the rules that apply at its level; where no rule applies there,
 * the nearest ancestor where one does is checked instead. Divisions at a level a rule names explicitly
 * are checked too (a red warning must reach every township head). No reachable holder → a gap.
 */
export function coverageGaps(
  rules: TargetRule[],
  divisions: { code: string; name: string; level: DivisionLevel; parent_code: string | null }[],
  fate: Map<string, { role: RoleCode; ok: boolean; reason?: string }[]>,
): CoverageGap[] {
  const byCode = new Map(divisions.map((d) => [d.code, d]));
  const parents = new Set(divisions.map((d) => d.parent_code).filter(Boolean));
  const rolesAt = (level: DivisionLevel, leaf: boolean) =>
    [...new Set(rules.filter((r) => (r.levels ? r.levels.includes(level) : leaf)).map((r) => r.role))].sort();
  const checked = new Map<string, RoleCode[]>();
  for (const d of divisions) {
    const leaf = !parents.has(d.code);
    const explicit = rolesAt(d.level, false);
    if (explicit.length) checked.set(d.code, rolesAt(d.level, leaf));
    if (!leaf) continue;
    let cur: typeof d | undefined = d;
    while (cur && !rolesAt(cur.level, cur === d).length)
      cur = cur.parent_code ? byCode.get(cur.parent_code) : undefined;
    if (cur) checked.set(cur.code, rolesAt(cur.level, cur === d));
  }
  const gaps: CoverageGap[] = [];
  for (const [code, roles] of checked) {
    const here = (fate.get(code) ?? []).filter((f) => roles.includes(f.role));
    if (here.some((f) => f.ok)) continue;
    const reason: CoverageGap['reason'] = !here.length
      ? 'no-role-holder'
      : here.some((f) => f.reason === 'no-number')
        ? 'no-number'
        : 'all-on-leave';
    gaps.push({ areaCode: code, areaName: byCode.get(code)!.name, reason, roles });
  }
  return gaps.sort((a, b) => a.areaCode.localeCompare(b.areaCode));
}
