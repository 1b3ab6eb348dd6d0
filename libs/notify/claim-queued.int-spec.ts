import { createTestDatabase, TestDatabase } from '../../test/support/infra';
import { SAMPLE_DATA } from '../templates/template-data';
import { CLAIM_QUEUED_SQL, NewAttempt, NotifyRepository } from './notify.repository';

/**
 * The send worker's claim on the real PostgreSQL: calls to one number are claimed one at a time
 * (none while a call to it is 'sending', only the oldest queued), so calls waiting for one number
 * never take the claims that SMS and calls to other numbers could use.
 */
describe('notify.attempts claim: one call per number', () => {
  let db: TestDatabase;
  const repo = new NotifyRepository();
  let n = 0;

  const attempt = (channel: 'sms' | 'voice', to: string, priority = 0): NewAttempt => {
    n += 1;
    return {
      request_id: `req-${String(n).padStart(3, '0')}`,
      callout_id: `co-${n}`,
      warning_id: 'w-claim',
      person_id: `p-${n}`,
      channel,
      purpose: 'escalation',
      to_number: to,
      from_number: '+8610690000021',
      warning_seq: 1,
      language: 'zh-CN',
      data: SAMPLE_DATA,
      body: 'body',
      twiml: channel === 'voice' ? '<Response/>' : null,
      traceparent: null,
      provider: 'twilio',
      attempt_no: 1,
      drill: false,
      priority,
    };
  };
  /** Queued one by one, so created_at (the claim's second key) follows the order given. */
  const queue = async (...list: NewAttempt[]) => {
    for (const a of list) await repo.enqueue(db.db, [a]);
  };
  const claim = async (limit = 100) => (await repo.claimQueued(db.db, limit)).map((a) => a.request_id);
  const finish = (ids: string[]) =>
    repo.markSent(
      db.db,
      ids.map((requestId) => ({ requestId, sid: `sid-${requestId}`, tries: 1 })),
    );

  beforeAll(async () => {
    db = await createTestDatabase('notify-claim');
  });
  afterEach(async () => {
    await db.db.query(`DELETE FROM notify.attempts`);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("claims one of a number's queued calls at a time, and its SMS and other numbers' calls beside it", async () => {
    const head = '+8613900000001';
    const other = '+8613900000002';
    const calls = [attempt('voice', head), attempt('voice', head), attempt('voice', head)];
    const sms = [attempt('sms', head), attempt('sms', head)];
    const otherCall = attempt('voice', other);
    await queue(...calls, ...sms, otherCall);

    // One call to each number, every SMS: the two calls waiting for the first are left queued, and
    // the claim says so of the first (so the worker claims again as soon as it is placed).
    const first = await repo.claimQueued(db.db, 100);
    expect(first.map((a) => a.request_id)).toEqual([calls[0], ...sms, otherCall].map((a) => a.request_id));
    expect(first.map((a) => a.calls_waiting)).toEqual([true, false, false, false]);
    // While the first call is being placed, nothing else to that number is claimed.
    expect(await claim()).toEqual([]);
    await finish([calls[0].request_id]);
    expect(await claim()).toEqual([calls[1].request_id]);
    await finish([calls[1].request_id]);
    const last = await repo.claimQueued(db.db, 100);
    expect(last.map((a) => [a.request_id, a.calls_waiting])).toEqual([[calls[2].request_id, false]]);
  });

  it('a call still sending blocks its number however long its queue, and the SMS behind are claimed', async () => {
    const head = '+8613900000011';
    // The backlog seen in a fault run: hundreds of escalation calls to one township head ahead of SMS.
    const calls = Array.from({ length: 300 }, () => attempt('voice', head));
    const sms = Array.from({ length: 20 }, (_, i) =>
      attempt('sms', `+86139000001${String(i).padStart(2, '0')}`),
    );
    await repo.enqueue(db.db, calls);
    await queue(...sms);
    const first = await claim(50);
    expect(first[0]).toBe(calls[0].request_id);
    expect(first.slice(1)).toEqual(sms.map((a) => a.request_id));
  });

  it('follows priority first: the most urgent queued call to a number is the one claimed', async () => {
    const head = '+8613900000021';
    const fanOut = attempt('voice', head, 50);
    const redial = attempt('voice', head, 10);
    await queue(fanOut, redial);
    expect(await claim()).toEqual([redial.request_id]);
    await finish([redial.request_id]);
    expect(await claim()).toEqual([fanOut.request_id]);
  });

  it('two claims at once (two replicas) never take two calls to one number, nor one attempt twice', async () => {
    const numbers = Array.from({ length: 10 }, (_, i) => `+86139000003${String(i).padStart(2, '0')}`);
    const list = numbers.flatMap((to) => [attempt('voice', to), attempt('voice', to), attempt('sms', to)]);
    await repo.enqueue(db.db, list);
    const [a, b] = await Promise.all([claim(15), claim(15)]);
    const taken = [...a, ...b];
    expect(new Set(taken).size).toBe(taken.length);
    const calls = await db.db.query<{ to_number: string; n: string }>(
      `SELECT to_number, count(*) AS n FROM notify.attempts WHERE state = 'sending' AND channel = 'voice'
       GROUP BY to_number`,
    );
    expect(calls.rows.length).toBeGreaterThan(0);
    for (const row of calls.rows) expect(Number(row.n)).toBe(1);
  });

  it('is one scan of the queued attempts index in its order (no sort of the backlog)', async () => {
    // The test's table is small enough for a scan and a sort to look cheaper: forbid them, and the
    // claim's ORDER BY must be what the index yields (a sort would still be planned if it were not).
    await db.db.transaction(async (tx) => {
      for (const off of ['enable_seqscan', 'enable_bitmapscan', 'enable_sort'])
        await tx.query(`SET LOCAL ${off} = off`);
      const plan = await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${CLAIM_QUEUED_SQL}`, [20]);
      const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
      // The choice is the plan's "CTE next" part (the final ORDER BY sorts only the claimed rows).
      const choice = text.slice(text.indexOf('CTE next'), text.indexOf('CTE claimed'));
      expect(choice).toContain('attempts_queued_priority');
      expect(choice).toContain('attempts_voice_sending_to');
      expect(choice).toContain('attempts_voice_queued_to');
      expect(choice).not.toMatch(/Sort/);
    });
  });
});
