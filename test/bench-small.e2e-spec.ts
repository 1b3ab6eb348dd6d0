import { CalloutPipeline, requestIdOf } from '../bench/callout-pipeline';
import { overBudget, phaseCost } from '../bench/cost';

/**
 * The city-scale benchmark (npm run bench) in small: a generated roster of about 500 persons, every
 * service a process of its own on the real Kafka and PostgreSQL. Asserts what the figures rest on,
 * not speed: every person got exactly one first call-out per channel, every confirmation posted to
 * the webhook landed as CONFIRMED, and every expired deadline escalated; and the dispatch's round
 * trips per person stay within their budget (bench/cost.ts DISPATCH_BUDGET: counts, not times).
 */
describe('benchmark pipeline, small (about 500 persons)', () => {
  const p = new CalloutPipeline({ persons: 500, simLatencyMs: 0, timeoutMs: 150_000 });

  beforeAll(() => p.start(), 180_000);
  afterAll(() => p.stop(), 60_000);

  it('a city-wide red warning: one first call-out per person and channel; all confirm; all deadlines escalate', async () => {
    let warningId = '';
    try {
      const persons = p.phones.size;
      expect(persons).toBeGreaterThanOrEqual(450);
      expect(persons).toBeLessThanOrEqual(900);

      const counter = p.costCounter();
      const before = await counter.snapshot();
      const d = await p.dispatch();
      warningId = d.warningId;
      expect(d.calloutsPlanned).toBe(persons);
      expect(d.perCalloutMs.n).toBe(persons);

      // Count the simulator's accepted records per number for purpose 'callout', per channel.
      const counts = new Map<string, number>();
      for (const r of await p.simRecords()) {
        const rid = requestIdOf(r);
        if (!rid?.startsWith(`${warningId}/`) || !rid.endsWith(':callout')) continue;
        const k = `${r.to}|${r.kind}`;
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      const expected = new Map<string, number>();
      for (const phone of p.phones.values())
        for (const kind of ['sms', 'call']) expected.set(`${phone}|${kind}`, 1);
      expect(new Map([...counts].sort())).toEqual(new Map([...expected].sort()));

      await p.settle(warningId);
      const cost = phaseCost(before, await counter.snapshot(), persons);
      await counter.close();
      console.log(`dispatch cost per person (${persons} persons): ${JSON.stringify(cost)}`);
      expect(overBudget(cost)).toEqual([]);
      const c = await p.confirmAll(warningId);
      expect(c.n).toBe(persons);
      const confirmed = await p.q<{ n: string }>(
        `SELECT count(*) AS n FROM callout.callouts c JOIN callout.responses r ON r.callout_id = c.id
         WHERE c.warning_id = $1 AND c.state = 'CONFIRMED' AND r.kind = 'confirm' AND r.via = 'sms'`,
        [warningId],
      );
      expect(Number(confirmed[0].n)).toBe(persons);
      const [w] = await p.q<{ state: string }>(`SELECT state FROM callout.warnings WHERE id = $1`, [
        warningId,
      ]);
      expect(w.state).toBe('closed');

      const second = await p.dispatch();
      warningId = second.warningId;
      await p.settle(warningId);
      const dl = await p.expireAll(warningId);
      expect(dl.n).toBe(persons);
      expect(dl.escalated + dl.notWoken).toBe(persons);
      // Every escalated person's ladder got its first step's call-out.
      const steps = await p.q<{ n: string }>(
        `SELECT count(*) AS n FROM callout.callouts WHERE warning_id = $1 AND rung = 1`,
        [warningId],
      );
      expect(Number(steps[0].n)).toBe(dl.escalated);
    } catch (e) {
      // The assertion's own error (its stack names the failing line), with the services' output.
      if (e instanceof Error) e.message += `\n${p.output()}`;
      throw e;
    }
  }, 600_000);
});
