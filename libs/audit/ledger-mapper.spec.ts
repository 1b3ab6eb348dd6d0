import { fromCap, fromDeadLetter, fromWarning, warningChainId } from './ledger-mapper';

const NOW = '2024-07-01T08:00:00.000Z';
const base = (t: string) => t.replace(/^pfx\./, '');

describe('ledger mapper', () => {
  it('puts an Update into the chain of the warning it references, keyed by id, msgType and sentAt', () => {
    expect(warningChainId({ id: 'W2', msgType: 'Update', references: ['W1'] })).toBe('W1');
    expect(warningChainId({ id: 'W1', msgType: 'Alert' })).toBe('W1');
    const d = fromWarning(
      'warnings.flood',
      {
        schemaVersion: 1,
        id: 'W2',
        msgType: 'Cancel',
        status: 'Exercise',
        references: ['W1'],
        sender: 's',
        sentAt: '2024-07-01T16:00:00+08:00',
        hazard: 'flood',
        subtype: 'river',
        headline: 'h',
        areas: [{ code: '140212000000' }],
        effective: NOW,
        expires: NOW,
      },
      NOW,
    );
    expect(d).toEqual(
      expect.objectContaining({
        chainId: 'W1',
        eventKey: 'warning:W2:Cancel:2024-07-01T16:00:00+08:00',
        occurredAt: '2024-07-01T08:00:00.000Z',
        drill: true,
      }),
    );
  });

  it('reads a CAP identifier by regex only when it looks like an id; otherwise the system chain', () => {
    const xml = (id: string) =>
      Buffer.from(
        `<?xml version="1.0"?><alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>${id}</identifier><sent>2024-07-01T16:00:00+08:00</sent><status>Exercise</status></alert>`,
      );
    const ok = fromCap('warnings.cap', xml('14020041600_20240701160000_1'), NOW);
    expect(ok).toEqual(expect.objectContaining({ chainId: '14020041600_20240701160000_1', drill: true }));
    expect(ok.eventKey).toMatch(/^cap:[0-9a-f]{64}$/);
    expect(fromCap('warnings.cap', xml('a b;c'), NOW).chainId).toBe('system');
    expect(fromCap('warnings.cap', Buffer.from([0xff, 0x00]), NOW).chainId).toBe('system');
  });

  it('keys a dead letter by its original topic, partition and offset, and finds its warning in a JSON body', () => {
    const headers = {
      'x-dlq-topic': 'pfx.callouts.status',
      'x-dlq-partition': '3',
      'x-dlq-offset': '42',
      'x-dlq-reason': 'schema callout-status: /status: must be one of …',
      'x-dlq-group': 'pfx.tracker',
      'x-dlq-at': NOW,
      traceparent: 't1',
    };
    const d = fromDeadLetter(
      'callouts.status.dlq',
      Buffer.from(JSON.stringify({ warningId: 'W9', status: 'weird' })),
      { key: 'c1', headers, partition: 0, offset: '7' },
      base,
      NOW,
    );
    expect(d).toEqual(
      expect.objectContaining({
        chainId: 'W9',
        eventKey: 'dlq:callouts.status:3:42:tracker',
        actor: 'consumer:tracker',
      }),
    );
    expect(d.content).toEqual(
      expect.objectContaining({
        originalTopic: 'callouts.status',
        headers: { traceparent: 't1' },
        valueEncoding: 'utf8',
      }),
    );
    // The same dead letter read again from another DLQ offset keeps its key.
    expect(
      fromDeadLetter(
        'callouts.status.dlq',
        null,
        { key: null, headers, partition: 0, offset: '8' },
        base,
        NOW,
      ).eventKey,
    ).toBe('dlq:callouts.status:3:42:tracker');
    // Another group's dead letter of the same message is an entry of its own: its reason is kept too.
    expect(
      fromDeadLetter(
        'callouts.status.dlq',
        null,
        { key: null, headers: { ...headers, 'x-dlq-group': 'pfx.audit' }, partition: 0, offset: '9' },
        base,
        NOW,
      ),
    ).toEqual(
      expect.objectContaining({ eventKey: 'dlq:callouts.status:3:42:audit', actor: 'consumer:audit' }),
    );
  });
});
