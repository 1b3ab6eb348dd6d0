import { SchedulerRegistry } from '@nestjs/schedule';
import { createTestDatabase, TestDatabase } from '../../test/support/infra';
import { parseDrillSchedule } from './drill-schedule';
import { DrillsRepository } from './drills.repository';
import { DrillsService } from './drills.service';

/**
 * Drill schedules on the real PostgreSQL: two replicas ticking for the same fire issue it once, and a
 * fire claimed but never issued (a crash in between) is issued at the next start with the same id.
 * Intake is represented by what it is asked to issue (its own path is covered end to end in
 * test/drills-roster.e2e-spec.ts).
 */
describe('drill runs on PostgreSQL', () => {
  let tdb: TestDatabase;
  const issued: Record<string, unknown>[] = [];
  const intake = {
    issue: async (body: unknown) => {
      issued.push(body as Record<string, unknown>);
      return { ok: true as const, warning: body as never, unmappedAreas: [] };
    },
  };
  const replica = () => new DrillsService(new DrillsRepository(tdb.db), intake, new SchedulerRegistry());
  const spec = () => {
    const p = parseDrillSchedule({
      name: '演练',
      cron: '0 10 * * *',
      hazard: 'flood',
      subtype: 'flash-flood-risk',
      level: 'orange',
      areaCodes: ['140212100000'],
    });
    if (!p.ok) throw new Error(p.errors.join('; '));
    return p.schedule;
  };

  beforeAll(async () => {
    tdb = await createTestDatabase('drills');
  }, 60_000);
  afterAll(() => tdb?.drop());
  beforeEach(() => (issued.length = 0));

  it('two replicas ticking for one fire issue it once', async () => {
    const a = replica();
    const b = replica();
    const created = await a.create(spec(), 'duty');
    if (!created.ok) throw new Error(created.errors.join('; '));
    const id = created.schedule.id;
    const at = new Date('2026-06-01T02:00:00Z');
    const outcomes = await Promise.all([
      a.fire(id, spec(), at),
      b.fire(id, spec(), at),
      b.fire(id, spec(), at),
    ]);
    expect(outcomes.filter((o) => o === 'issued')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'taken')).toHaveLength(2);
    expect(issued).toHaveLength(1);
    expect(issued[0]).toMatchObject({ status: 'Exercise', headline: '【演练】演练' });
    const runs = await a.runs(id);
    expect(runs).toEqual([expect.objectContaining({ warningId: issued[0].id, outcome: 'issued' })]);
    a.onApplicationShutdown();
    b.onApplicationShutdown();
  });

  it('a fire claimed but not issued is issued at the next start, with the same warning id', async () => {
    const a = replica();
    const created = await a.create(spec(), 'duty');
    if (!created.ok) throw new Error(created.errors.join('; '));
    const at = new Date('2026-06-02T02:00:00Z');
    const repo = new DrillsRepository(tdb.db);
    expect(await repo.claimRun(created.schedule.id, at, 'drill-x')).toBe(true);
    a.onApplicationShutdown();
    const restarted = replica();
    await restarted.onApplicationBootstrap();
    restarted.onApplicationShutdown();
    expect(issued.map((b) => b.id)).toEqual([`drill-${created.schedule.id}-20260602T020000Z`]);
    expect((await repo.unissuedRuns()).length).toBe(0);
  });
});
