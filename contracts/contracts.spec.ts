import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../libs/common/project-root';
import { allTopicSpecs, TOPICS } from './topics';
import { hasContract, validateContract } from './validate';

describe('contracts', () => {
  it('every topic names a contract that exists (cap-xml is raw XML, not JSON)', () => {
    for (const t of allTopicSpecs()) {
      if (t.contract === 'cap-xml') continue;
      expect(hasContract(t.contract)).toBe(true);
    }
  });

  it('call-out topics have at least 3 partitions', () => {
    for (const t of Object.values(TOPICS).filter((x) => x.name.startsWith('callouts.'))) {
      expect(t.partitions).toBeGreaterThanOrEqual(3);
    }
  });

  it('the committed TypeScript types match the schemas', () => {
    const r = spawnSync(process.execPath, [join(projectRoot(), 'scripts', 'gen-contracts.js'), '--check'], {
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('rejects a message with field-level reasons', () => {
    const r = validateContract('callout-response', { schemaVersion: 2, calloutId: '', via: 'fax' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual(
      expect.arrayContaining([
        '/schemaVersion: must be 1',
        '/via: must be one of sms, voice, web, duty-officer',
        "(root): must have required property 'responseId'",
      ]),
    );
  });

  it('accepts a valid status event', () => {
    const r = validateContract('callout-status', {
      schemaVersion: 1,
      eventId: 'SM1:delivered',
      requestId: 'c1:1:sms',
      calloutId: 'c1',
      warningId: 'w1',
      channel: 'sms',
      status: 'delivered',
      at: new Date().toISOString(),
    });
    expect(r).toEqual(expect.objectContaining({ ok: true }));
  });
});
