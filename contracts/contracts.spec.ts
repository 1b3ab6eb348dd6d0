import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateContractTypes } from '../scripts/gen-contracts';
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

  it('the committed TypeScript types match the schemas', async () => {
    const files = await generateContractTypes(projectRoot());
    for (const [name, ts] of files) {
      const committed = readFileSync(join(projectRoot(), 'contracts', 'generated', name), 'utf8');
      expect({ name, ts: committed }).toEqual({ name, ts });
    }
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
      channel: 'sms',
      status: 'delivered',
      at: new Date().toISOString(),
    });
    expect(r).toEqual(expect.objectContaining({ ok: true }));
  });
});
