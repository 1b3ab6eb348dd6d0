import { Conflict, NotFound, RejectedInput } from '../common/domain-errors';
import { ContractHandler, ProcessControl, RejectMessage, SafeConsumer } from './safe-consumer';

const status = (over: Record<string, unknown> = {}) => ({
  schemaVersion: 1,
  eventId: 'SM1:delivered',
  requestId: 'c1#1:sms:callout',
  calloutId: 'c1',
  warningId: 'w1',
  channel: 'sms',
  status: 'delivered',
  at: '2026-07-01T03:00:00.000Z',
  ...over,
});
const raw = (value: unknown, offset = '7') => ({
  key: Buffer.from('c1'),
  value: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
  headers: { trace: Buffer.from('abc') },
  offset,
  timestamp: '0',
});

type StatusHandler = ContractHandler<'callout-status'>;

function setup(handle: StatusHandler['handle']) {
  const dlq: { topic: string; headers: Record<string, unknown>; value: unknown }[] = [];
  const consumer = new SafeConsumer(
    async (topic, m) => {
      dlq.push({ topic, headers: m.headers as Record<string, unknown>, value: m.value });
    },
    'g1',
    { attempts: 3, initialDelayMs: 1, maxDelayMs: 5, outageDelayMs: 1 },
  );
  const handler: StatusHandler = { topic: 'callouts.status', contract: 'callout-status', handle };
  return { dlq, consumer, handler };
}

describe('SafeConsumer', () => {
  it('hands a valid message to the handler once', async () => {
    const seen: unknown[] = [];
    const { dlq, consumer, handler } = setup(async (v) => {
      seen.push(v);
    });
    const out = await consumer.process(handler, 'p.callouts.status', 2, raw(status()));
    expect(out).toEqual({ kind: 'handled', attempts: 1 });
    expect(seen).toEqual([status()]);
    expect(dlq).toHaveLength(0);
  });

  it('retries a failing handler and succeeds without dead-lettering', async () => {
    let calls = 0;
    const { dlq, consumer, handler } = setup(async () => {
      if (++calls < 3) throw new Error('database briefly away');
    });
    expect(await consumer.process(handler, 'p.callouts.status', 0, raw(status()))).toEqual({
      kind: 'handled',
      attempts: 3,
    });
    expect(dlq).toHaveLength(0);
  });

  it('dead-letters after the bounded retries, keeping the original bytes and headers', async () => {
    const { dlq, consumer, handler } = setup(async () => {
      throw new Error('always broken');
    });
    const out = await consumer.process(handler, 'p.callouts.status', 1, raw(status(), '42'));
    expect(out).toEqual({
      kind: 'dead-lettered',
      attempts: 3,
      reason: 'handler failed after 3 tries: always broken',
    });
    expect(dlq[0].topic).toBe('p.callouts.status.dlq');
    expect(dlq[0].value).toEqual(Buffer.from(JSON.stringify(status())));
    expect(dlq[0].headers).toMatchObject({
      trace: 'abc',
      'x-dlq-reason': 'handler failed after 3 tries: always broken',
      'x-dlq-topic': 'p.callouts.status',
      'x-dlq-partition': '1',
      'x-dlq-offset': '42',
      'x-dlq-group': 'g1',
      'x-dlq-attempts': '3',
    });
  });

  it.each([
    ['RejectMessage', new RejectMessage('warning w1 rejected', ['signal 霜冻 (frost) has no red level'])],
    ['RejectedInput', new RejectedInput('warning w1 rejected', ['signal 霜冻 (frost) has no red level'])],
    ['NotFound', new NotFound('warning w1 rejected', ['signal 霜冻 (frost) has no red level'])],
    ['Conflict', new Conflict('warning w1 rejected', ['signal 霜冻 (frost) has no red level'])],
  ])('a %s goes to the DLQ at once with its reasons', async (_name, error) => {
    let calls = 0;
    const { dlq, consumer, handler } = setup(async () => {
      calls++;
      throw error;
    });
    const out = await consumer.process(handler, 't', 0, raw(status()));
    expect(calls).toBe(1);
    expect(out).toMatchObject({
      kind: 'dead-lettered',
      reason: 'rejected: warning w1 rejected; signal 霜冻 (frost) has no red level',
    });
    expect(dlq).toHaveLength(1);
  });

  it.each([
    ['not JSON', '{"schemaVersion": 1,', /^not JSON: /],
    [
      'an unknown schema version',
      JSON.stringify(status({ schemaVersion: 9 })),
      /^unsupported schemaVersion 9 for contract callout-status/,
    ],
    [
      'a schema violation',
      JSON.stringify(status({ channel: 'fax', extra: 1 })),
      /^schema callout-status: \(root\): unknown property "extra"; \/channel: must be one of sms, voice$/,
    ],
  ])('%s is dead-lettered without calling the handler', async (_name, value, reason) => {
    let calls = 0;
    const { dlq, consumer, handler } = setup(async () => {
      calls++;
    });
    const out = await consumer.process(handler, 't', 0, raw(value));
    expect(calls).toBe(0);
    expect(out.kind).toBe('dead-lettered');
    expect(String(dlq[0].headers['x-dlq-reason'])).toMatch(reason);
  });

  it('throws when even the DLQ cannot be written, so the offset is not committed', async () => {
    const consumer = new SafeConsumer(
      async () => {
        throw new Error('broker down');
      },
      'g1',
      { attempts: 1, initialDelayMs: 1, maxDelayMs: 1 },
    );
    const handler: StatusHandler = { topic: 't', contract: 'callout-status', handle: async () => undefined };
    await expect(consumer.process(handler, 't', 0, raw('not json'))).rejects.toThrow('broker down');
  });

  /** What node-postgres throws while the server is down. */
  const refused = () =>
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

  it('holds a message while the database is unreachable, past the retry budget, and never dead-letters it', async () => {
    let calls = 0;
    const { dlq, consumer, handler } = setup(async () => {
      if (++calls <= 20) throw refused();
    });
    let beats = 0;
    const control: ProcessControl = { keepWaiting: () => true, heartbeat: async () => void beats++ };
    const out = await consumer.process(handler, 'p.callouts.status', 0, raw(status()), control);
    expect(out).toEqual({ kind: 'handled', attempts: 21 });
    expect(dlq).toHaveLength(0);
    expect(beats).toBe(20);
  });

  it('gives up the wait when the consumer stops: interrupted, not dead-lettered (delivered again)', async () => {
    let stopping = false;
    const { dlq, consumer, handler } = setup(async () => {
      stopping = true;
      throw refused();
    });
    const control: ProcessControl = { keepWaiting: () => !stopping, heartbeat: async () => undefined };
    const out = await consumer.process(handler, 'p.callouts.status', 0, raw(status()), control);
    expect(out.kind).toBe('interrupted');
    expect(dlq).toHaveLength(0);
  });

  it('counts a failure after the database came back against the ordinary budget', async () => {
    let calls = 0;
    const { dlq, consumer, handler } = setup(async () => {
      if (++calls <= 2) throw refused();
      throw new Error('a bug in the handler');
    });
    const out = await consumer.process(handler, 'p.callouts.status', 0, raw(status()));
    expect(out.kind).toBe('dead-lettered');
    expect(calls).toBe(5);
    expect(String(dlq[0].headers['x-dlq-reason'])).toBe('handler failed after 5 tries: a bug in the handler');
  });
});
