import * as iconv from 'iconv-lite';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createTestDatabase, TestDatabase } from '../../test/support/infra';
import { toCsv } from './directory-format';
import { DirectoryService } from './directory.service';
import { DATONG, generateDirectory } from './seed/generate-directory';

const AT = new Date('2025-07-01T08:00:00+08:00');
const TOWNSHIP = '140212100000'; // 新荣区 新荣镇
const COUNTY = '140212000000'; // 新荣区
const V1 = '140212100201';
const V2 = '140212100202';
const HEADER =
  'person_id,name,mobile,alt_phone,roles,area_code,area_name,parent_code,backup_person_id,superior_person_id,verified_at,active,leave_from,leave_to,substitute_person_id';

/** A small roster: one county, one township, two villages, written as a spreadsheet would. */
function roster(extra: string[] = []): string {
  return [
    HEADER,
    `c-head,县长甲,+8613800000001,,party-gov-head,${COUNTY},,,c-duty,,2025-03-01,true,,,`,
    `c-duty,县值班员,+8613800000002,,duty-officer,${COUNTY},,,,,2025-03-01,true,,,`,
    `c-flood,县防汛,+8613800000003,,flood-control,${COUNTY},,,,,2025-03-01,true,,,`,
    `t-head,镇长乙,+8613800000011,,party-gov-head,${TOWNSHIP},,,,,2025-03-01,true,,,`,
    `t-flood,镇防汛,+8613800000012,,flood-control,${TOWNSHIP},,,,,2025-03-01,true,,,`,
    `v1-flood,村防汛一,13800000021,,flood-control;grid-worker,${V1},杏花峪村,${TOWNSHIP},v1-grid,,2025-03-01,true,2025-06-20,2025-07-10,v1-grid`,
    `v1-grid,村网格一,+86 138 0000 0022,,grid-worker,${V1},杏花峪村,${TOWNSHIP},,,2025-03-01,true,,,`,
    `v2-flood,村防汛二,+8613800000031,,flood-control,${V2},石沟村,${TOWNSHIP},,,2023-01-01,true,,,`,
    ...extra,
  ].join('\n');
}

describe('DirectoryService (PostgreSQL)', () => {
  let t: TestDatabase;
  let dir: DirectoryService;

  beforeEach(async () => {
    t = await createTestDatabase('directory');
    dir = new DirectoryService(t.db);
  });
  afterEach(() => t.drop());

  it('imports a roster and a county code covers its villages; a person on leave is replaced by the substitute', async () => {
    const r = await dir.import(roster());
    expect(r.errors).toEqual([]);
    expect(r.applied).toBe(true);
    expect(r.imported).toBe(8);

    const res = await dir.resolve({
      hazard: 'flood',
      areaCodes: [COUNTY],
      rules: [{ role: 'flood-control' }],
      at: AT,
    });
    const byArea = res.targets.map((x) => [x.areaCode, x.personId, x.substituteFor]);
    // v1-flood is on leave at AT: v1-grid stands in for the village flood-control role.
    expect(byArea).toEqual([
      [COUNTY, 'c-flood', null],
      [TOWNSHIP, 't-flood', null],
      [V1, 'v1-grid', 'v1-flood'],
      [V2, 'v2-flood', null],
    ]);
    expect(res.targets[2].phone).toBe('+8613800000022');
    // The county's other townships have no roster at all: each is a gap; the covered ones are not.
    const townships = await dir.divisions(COUNTY);
    expect(res.gaps.map((g) => g.areaCode)).toEqual(
      townships.map((d) => d.code).filter((c) => c !== TOWNSHIP),
    );
    expect(new Set(res.gaps.map((g) => g.reason))).toEqual(new Set(['no-role-holder']));

    // After the leave, the holder is called again.
    const later = await dir.resolve({
      hazard: 'flood',
      areaCodes: [COUNTY],
      rules: [{ role: 'flood-control', levels: ['village'] }],
      at: new Date('2025-07-11T00:00:00+08:00'),
    });
    expect(later.targets.map((x) => x.personId)).toEqual(['v1-flood', 'v2-flood']);
  });

  it("resolves the own holders of a polygon village's township and county, not their other villages", async () => {
    await dir.import(roster());
    const res = await dir.resolve({
      hazard: 'flood',
      areaCodes: [V2],
      alsoHoldersOf: [TOWNSHIP, COUNTY],
      rules: [{ role: 'flood-control' }, { role: 'party-gov-head', levels: ['county', 'township'] }],
      at: AT,
    });
    expect(res.targets.map((x) => [x.areaCode, x.personId])).toEqual([
      [COUNTY, 'c-flood'],
      [COUNTY, 'c-head'],
      [TOWNSHIP, 't-flood'],
      [TOWNSHIP, 't-head'],
      [V2, 'v2-flood'],
    ]);
    const without = await dir.resolve({
      hazard: 'flood',
      areaCodes: [V2],
      rules: [{ role: 'flood-control' }],
      at: AT,
    });
    expect(without.targets.map((x) => x.personId)).toEqual(['v2-flood']);
  });

  it('imports a village point from the area_lat / area_lon columns, and refuses half a point', async () => {
    const header = `${HEADER},area_lat,area_lon`;
    const r = await dir.import(
      [
        header,
        `p1,甲,+8613800000041,,grid-worker,${V1},杏花峪村,${TOWNSHIP},,,2025-03-01,true,,,,40.26,113.14`,
        `p2,乙,+8613800000042,,grid-worker,${V2},石沟村,${TOWNSHIP},,,2025-03-01,true,,,,40.2,`,
      ].join('\n'),
      { partial: true },
    );
    expect(r.errors.map((e) => e.reason)).toEqual([
      expect.stringContaining('give both latitude and longitude, or neither'),
      expect.stringContaining('division 140212100202 is rejected'),
    ]);
    const { DirectoryRepository } = await import('./directory.repository');
    expect(await new DirectoryRepository(t.db).villagePoints()).toEqual([
      { code: V1, name: '杏花峪村', lat: 40.26, lon: 113.14 },
    ]);
  });

  it('de-duplicates by person, keeps the most specific assignment, and reports unknown areas', async () => {
    await dir.import(roster());
    const res = await dir.resolve({
      hazard: 'flood',
      areaCodes: [TOWNSHIP, V1, '149999999999', 'nonsense'],
      rules: [{ role: 'flood-control' }, { role: 'grid-worker' }],
      at: new Date('2025-08-01T00:00:00+08:00'),
    });
    expect(res.unknownAreas).toEqual(['149999999999', 'nonsense']);
    // v1-flood holds flood-control and grid-worker in V1: one target.
    expect(res.targets.filter((x) => x.personId === 'v1-flood')).toHaveLength(1);
    expect(res.targets.map((x) => `${x.areaCode}/${x.role}/${x.personId}`)).toEqual([
      `${TOWNSHIP}/flood-control/t-flood`,
      `${V1}/flood-control/v1-flood`,
      `${V1}/grid-worker/v1-grid`,
      `${V2}/flood-control/v2-flood`,
    ]);
  });

  it('reports coverage gaps with reasons: nobody, no number, everyone on leave', async () => {
    await dir.import(
      roster([
        `v3-flood,村防汛三,,,flood-control,140212100203,南坪村,${TOWNSHIP},,,2025-03-01,true,,,`,
        `v4-flood,村防汛四,+8613800000041,,flood-control,140212100204,北坡村,${TOWNSHIP},,,2025-03-01,true,2025-06-01,2025-08-01,`,
        `v5-grid,村网格五,+8613800000051,,grid-worker,140212100205,上营村,${TOWNSHIP},,,2025-03-01,true,,,`,
      ]),
    );
    const res = await dir.resolve({
      hazard: 'flood',
      areaCodes: [TOWNSHIP],
      rules: [{ role: 'flood-control' }],
      at: AT,
    });
    expect(res.gaps).toEqual([
      { areaCode: '140212100203', areaName: '南坪村', reason: 'no-number', roles: ['flood-control'] },
      { areaCode: '140212100204', areaName: '北坡村', reason: 'all-on-leave', roles: ['flood-control'] },
      { areaCode: '140212100205', areaName: '上营村', reason: 'no-role-holder', roles: ['flood-control'] },
    ]);
    // Rules naming the township level check every township's head as well.
    const heads = await dir.resolve({
      hazard: 'flood',
      areaCodes: ['140212101000'],
      rules: [{ role: 'party-gov-head', levels: ['county', 'township'] }],
      at: AT,
    });
    expect(heads.gaps).toEqual([
      {
        areaCode: '140212101000',
        areaName: expect.any(String),
        reason: 'no-role-holder',
        roles: ['party-gov-head'],
      },
    ]);
  });

  it('rejects bad rows with line numbers and imports nothing by default; --partial imports the good rows', async () => {
    const bad = roster([
      `x1,坏号码,12345,,flood-control,${V2},,,,,2025-03-01,true,,,`,
      `x2,未知区划,+8613800000061,,flood-control,140212100999,,,,,2025-03-01,true,,,`,
      `x3,未知角色,+8613800000062,,village-king,${V2},,,,,2025-03-01,true,,,`,
      `v2-flood,重复,+8613800000063,,flood-control,${V2},,,,,2025-03-01,true,,,`,
      `x4,自备份,+8613800000064,,flood-control,${V2},,,x4,,2025-03-01,true,,,`,
      `x5,缺上级区划,+8613800000065,,flood-control,140212999201,某村,140212999000,,,2025-03-01,true,,,`,
      `x6,引用坏行,+8613800000066,,flood-control,${V2},,,x1,,2025-03-01,true,,,`,
    ]);
    const r = await dir.import(bad);
    expect(r.applied).toBe(false);
    expect(r.errors.map((e) => [e.line, e.reason])).toEqual([
      [10, expect.stringContaining("invalid mobile number '12345'")],
      [11, expect.stringContaining('unknown division code 140212100999')],
      [12, expect.stringContaining("unknown role 'village-king'")],
      [13, expect.stringContaining('duplicate person v2-flood (first on line 9)')],
      [14, expect.stringContaining('backup equal to self')],
      [15, expect.stringContaining('missing parent division 140212999000')],
      [15, expect.stringContaining('division 140212999201 is rejected')],
      [16, expect.stringContaining('refers to person x1, whose row is rejected')],
    ]);
    expect((await t.db.query(`SELECT count(*)::int AS n FROM directory.persons`)).rows[0]).toEqual({ n: 0 });

    const dry = await dir.import(bad, { partial: true, dryRun: true });
    expect(dry.applied).toBe(false);
    expect((await t.db.query(`SELECT count(*)::int AS n FROM directory.persons`)).rows[0]).toEqual({ n: 0 });

    const p = await dir.import(bad, { partial: true });
    expect(p.applied).toBe(true);
    expect(p.imported).toBe(8);
    expect(p.rejected).toBe(7);
    const ids = (await t.db.query<{ id: string }>(`SELECT id FROM directory.persons ORDER BY id`)).rows.map(
      (x) => x.id,
    );
    expect(ids).not.toContain('x1');
    expect(ids).not.toContain('x6');
    // The duplicate's first row (line 9) was kept as it was.
    expect((await dir.person('v2-flood'))?.name).toBe('村防汛二');
  });

  it('rejects a superior cycle, across the file and the database', async () => {
    await dir.import(roster());
    const r = await dir.import(
      [
        HEADER,
        `a,甲,+8613800000071,,flood-control,${V2},,,,b,2025-03-01,true,,,`,
        `b,乙,+8613800000072,,flood-control,${V2},,,,c,2025-03-01,true,,,`,
        `c,丙,+8613800000073,,flood-control,${V2},,,,a,2025-03-01,true,,,`,
        `d,丁,+8613800000074,,flood-control,${V2},,,,t-flood,2025-03-01,true,,,`,
      ].join('\n'),
    );
    expect(r.applied).toBe(false);
    expect(r.errors.map((e) => e.line)).toEqual([2, 3, 4]);
    expect(r.errors[0].reason).toBe('superior cycle: a → b → c → a');
    // Closing a cycle through a person already in the database is caught too.
    const r2 = await dir.import(
      [
        HEADER,
        `t-flood,镇防汛,+8613800000012,,flood-control,${TOWNSHIP},,,,v2-flood,,true,,,`,
        `v2-flood,村防汛二,+8613800000031,,flood-control,${V2},,,,t-flood,,true,,,`,
      ].join('\n'),
    );
    expect(r2.errors.map((e) => e.reason)).toEqual([
      'superior cycle: t-flood → v2-flood → t-flood',
      'superior cycle: v2-flood → t-flood → v2-flood',
    ]);
  });

  it('reads a GBK file, and a re-import is idempotent and updates a changed number', async () => {
    const gbk = iconv.encode(roster(), 'gbk');
    const r = await dir.import(gbk);
    expect(r.encoding).toBe('gbk');
    expect(r.errors).toEqual([]);
    expect((await dir.person('v1-grid'))?.name).toBe('村网格一');
    expect(await dir.divisionName(V1)).toBe('杏花峪村');

    const before = await dir.export('json');
    const again = await dir.import(Buffer.from('\ufeff' + roster(), 'utf8'));
    expect(again.encoding).toBe('utf-8');
    expect(again.applied).toBe(true);
    expect(await dir.export('json')).toBe(before);

    const changed = roster().replace('+8613800000031', '+8613800000099');
    await dir.import(changed);
    expect(await dir.person('v2-flood')).toEqual({
      personId: 'v2-flood',
      name: '村防汛二',
      phone: '+8613800000099',
    });
    expect((await t.db.query(`SELECT count(*)::int AS n FROM directory.persons`)).rows[0]).toEqual({ n: 8 });
  });

  it('exports CSV and JSON that re-import to the same directory', async () => {
    await dir.import(roster());
    const csv = await dir.export('csv');
    const json = await dir.export('json');
    const t2 = await createTestDatabase('directory2');
    try {
      const other = new DirectoryService(t2.db);
      expect((await other.import(csv)).errors).toEqual([]);
      const fromCsv = JSON.parse(await other.export('json'));
      expect(fromCsv.persons).toEqual(JSON.parse(json).persons);
      expect((await other.import(json)).errors).toEqual([]);
      expect(await other.export('json')).toBe(json);
    } finally {
      await t2.drop();
    }
  }, 60_000);

  it('reads and validates a large roster off the event loop: this thread keeps answering during a dry run', async () => {
    // About 2.5 MB of CSV, 20,000 persons: seconds of parsing and validation.
    const doc = generateDirectory({ cityCodes: [DATONG], villagesPerTownship: 50, seed: 3 });
    const csv = Buffer.from(toCsv(doc));
    expect(csv.length).toBeGreaterThan(2_000_000);
    // How long this thread could not run anything, measured against the dry run's own duration (no
    // absolute figure: the machine may be loaded). On this thread the check would block it for
    // nearly all of that time; in a worker only small moments remain (the database read, copies).
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const t0 = performance.now();
    const r = await dir.import(csv, { dryRun: true, format: 'text/csv' });
    const tookMs = performance.now() - t0;
    // A stall is recorded when the monitor's timer runs after it: let it run before stopping.
    await new Promise((resolve) => setTimeout(resolve, 100));
    delay.disable();
    expect(r).toMatchObject({ dryRun: true, applied: false, total: doc.persons.length, rejected: 0 });
    expect(r.errors).toEqual([]);
    const longestStallMs = delay.max / 1e6;
    // The figures are in the failure message.
    const figures = { tookMs: Math.round(tookMs), longestStallMs: Math.round(longestStallMs) };
    expect({ ...figures, stalledUnderAQuarter: longestStallMs < tookMs / 4 }).toEqual({
      ...figures,
      stalledUnderAQuarter: true,
    });
    expect((await t.db.query(`SELECT count(*)::int AS n FROM directory.persons`)).rows[0]).toEqual({ n: 0 });
  }, 300_000);

  it('climbs the ladder: backup, then village → township → county, then the county head and duty officer', async () => {
    await dir.import(roster());
    const at = new Date('2025-08-01T00:00:00+08:00');
    const steps = await dir.ladder('v1-flood', 'flood-control', V1, at);
    expect(steps.map((s) => [s.kind, s.personId, s.areaCode])).toEqual([
      ['backup', 'v1-grid', V1],
      ['superior', 't-flood', TOWNSHIP],
      ['superior', 'c-flood', COUNTY],
      ['superior', 'c-head', COUNTY],
      ['superior', 'c-duty', COUNTY],
    ]);
    expect(steps[1].areaName).toBe('新荣镇');
    // With t-flood on leave and no substitute, the township rung is skipped; an explicit superior wins.
    await dir.import(
      [
        HEADER,
        `t-flood,镇防汛,+8613800000012,,flood-control,${TOWNSHIP},,,,,2025-03-01,true,2025-07-01,2025-09-01,`,
        `v2-flood,村防汛二,+8613800000031,,flood-control,${V2},,,,t-head,2023-01-01,true,,,`,
      ].join('\n'),
    );
    expect((await dir.ladder('v1-flood', 'flood-control', V1, at, 2)).map((s) => s.personId)).toEqual([
      'v1-grid',
      'c-flood',
    ]);
    expect((await dir.ladder('v2-flood', 'flood-control', V2, at)).map((s) => s.personId)).toEqual([
      't-head',
      'c-head',
      'c-duty',
    ]);
    expect(await dir.ladder('nobody', 'flood-control', V2, at)).toEqual([]);
  });

  it('reports directory health: stale contacts, no backup, no superior, shared numbers', async () => {
    await dir.import(
      roster([`v9-dup,共用号码,+8613800000031,,grid-worker,${V2},,,,,2025-03-01,true,,,`]).replace(
        `c-head,县长甲,+8613800000001,,party-gov-head,${COUNTY},,,c-duty,,2025-03-01,true,,,\n`,
        '',
      ),
    );
    const h = await dir.health(new Date('2025-07-01T00:00:00Z'));
    expect(h.staleContacts.map((x) => x.personId)).toEqual(['v2-flood']);
    expect(h.withoutBackup.map((x) => x.personId)).not.toContain('v1-flood');
    expect(h.withoutBackup.map((x) => x.personId)).toContain('v2-flood');
    expect(h.sharedNumbers).toEqual([{ number: '+86138****0031', personIds: ['v2-flood', 'v9-dup'] }]);
    // The county duty officer has nobody above (no head after removing c-head, no explicit superior).
    expect(h.withoutSuperior.map((x) => `${x.personId}/${x.role}`)).toEqual(['c-duty/duty-officer']);
  });

  it('generated rosters import cleanly and resolve a whole county', async () => {
    const doc = generateDirectory({ countyCodes: ['140212000000'], villagesPerTownship: 3, seed: 7 });
    expect(generateDirectory({ countyCodes: ['140212000000'], villagesPerTownship: 3, seed: 7 })).toEqual(
      doc,
    );
    const r = await dir.import(JSON.stringify(doc));
    expect(r.errors).toEqual([]);
    const res = await dir.resolve({
      hazard: 'flood',
      areaCodes: ['140212000000'],
      rules: [{ role: 'flood-control' }, { role: 'party-gov-head', levels: ['county', 'township'] }],
      at: AT,
    });
    expect(res.gaps).toEqual([]);
    const villages = doc.divisions.length;
    const townships = new Set(doc.divisions.map((d) => d.parentCode)).size;
    expect(res.targets).toHaveLength(villages + 2 * townships + 2);
  });
});
