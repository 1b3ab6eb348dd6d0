import { drillWarningId, drillWarningRequest, nextFires, parseDrillSchedule } from './drill-schedule';
import { scheduledTick } from './drills.service';

const FIRST_MONDAY = {
  name: '新荣镇防汛演练',
  cron: '0 10 1-7 * *',
  weekday: 1,
  hazard: 'flood',
  subtype: 'flash-flood-risk',
  level: 'orange',
  areaCodes: ['140212100000'],
};

describe('drill schedules', () => {
  it('"first Monday of each month 10:00" fires on the first Mondays only, Beijing time', () => {
    const p = parseDrillSchedule(FIRST_MONDAY);
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect(p.schedule).toMatchObject({ timeZone: 'Asia/Shanghai', durationMinutes: 120, enabled: true });
    const fires = nextFires(p.schedule, 3, new Date('2026-06-01T00:00:00Z')).map((d) => d.toISOString());
    // 1 June 2026, 6 July 2026 and 3 August 2026 are the first Mondays; 10:00 Beijing = 02:00 UTC.
    expect(fires).toEqual([
      '2026-06-01T02:00:00.000Z',
      '2026-07-06T02:00:00.000Z',
      '2026-08-03T02:00:00.000Z',
    ]);
  });

  it.each([
    [{ cron: 'every monday' }, 'cron'],
    [{ subtype: 'typhoon' }, 'subtype'],
    [{ areaCodes: ['1402'] }, 'areaCodes.0'],
    [{ timeZone: 'Mars/Olympus' }, 'timeZone'],
    [{ surprise: 1 }, '(body)'],
  ])('refuses %j naming %s', (change, field) => {
    const p = parseDrillSchedule({ ...FIRST_MONDAY, ...change });
    expect(p.ok).toBe(false);
    if (!p.ok) expect(p.errors.join('\n')).toContain(`${field}:`);
  });

  it('a fire is an Exercise warning marked 演练, with a deterministic id and expiry', () => {
    const p = parseDrillSchedule(FIRST_MONDAY);
    if (!p.ok) throw new Error('schedule refused');
    const at = new Date('2026-06-01T02:00:00Z');
    const req = drillWarningRequest('s1', p.schedule, at);
    expect(req).toEqual({
      id: 'drill-s1-20260601T020000Z',
      status: 'Exercise',
      hazard: 'flood',
      subtype: 'flash-flood-risk',
      level: 'orange',
      headline: '【演练】新荣镇防汛演练',
      areas: [{ code: '140212100000' }],
      expires: '2026-06-01T04:00:00.000Z',
    });
    expect(drillWarningRequest('s1', p.schedule, at)).toEqual(req);
    expect(drillWarningId('s1', new Date(at.getTime() + 1000))).not.toBe(req.id);
  });

  it('a late or early timer names the same scheduled instant', () => {
    const p = parseDrillSchedule({ ...FIRST_MONDAY, cron: '*/10 * * * * *', weekday: undefined });
    if (!p.ok) throw new Error('schedule refused');
    const tick = new Date('2026-06-01T02:00:10.000Z');
    expect(scheduledTick(p.schedule, new Date(tick.getTime() + 700))).toEqual(tick);
    expect(scheduledTick(p.schedule, new Date(tick.getTime() - 300))).toEqual(tick);
  });
});
