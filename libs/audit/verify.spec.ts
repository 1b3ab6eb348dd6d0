import { createHash } from 'node:crypto';
import { canonicalJson, storable } from './canonical-json';
import { chainEntry, entryHash, EntryDraft, GENESIS_HASH, LedgerEntry } from './ledger-entry';
import { verifyChain } from './verify';

function draft(i: number): EntryDraft {
  return {
    chainId: 'W1',
    eventKey: `e${i}`,
    topic: 'callouts.events',
    occurredAt: new Date(Date.UTC(2024, 6, 1, 8, 0, i)).toISOString(),
    actor: 'tracker',
    subject: { warningId: 'W1', calloutId: `c${i}` },
    drill: false,
    content: { to: i % 2 ? 'SENT' : 'CONFIRMED', n: i, 名称: '暴雨红色预警' },
  };
}

function chainOf(n: number, head?: { lastSeq: number; lastHash: string }): LedgerEntry[] {
  const out: LedgerEntry[] = [];
  let h = head ?? { lastSeq: 0, lastHash: GENESIS_HASH };
  for (let i = 1; i <= n; i++) {
    const e = chainEntry(draft(i), h, new Date(Date.UTC(2024, 6, 1, 8, 1, i)).toISOString());
    out.push(e);
    h = { lastSeq: e.seq, lastHash: e.hash };
  }
  return out;
}

const headOf = (entries: LedgerEntry[]) => ({
  lastSeq: entries[entries.length - 1].seq,
  lastHash: entries[entries.length - 1].hash,
});
const kinds = (r: ReturnType<typeof verifyChain>) => r.findings.map((f) => `${f.seq}:${f.kind}`);

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops whitespace and undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' }, u: undefined })).toBe(
      '{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('is the same for objects that differ only in key order, and differs on any value change', () => {
    expect(canonicalJson({ x: 1, y: '叫应' })).toBe(canonicalJson({ y: '叫应', x: 1 }));
    expect(canonicalJson({ x: 1, y: '叫应' })).not.toBe(canonicalJson({ x: 2, y: '叫应' }));
  });

  it('refuses values JSON cannot carry', () => {
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(/NaN/);
  });

  it('storable replaces NUL, which PostgreSQL text cannot hold', () => {
    expect(storable({ 'a\u0000': ['b\u0000c'] })).toEqual({ 'a\uFFFD': ['b\uFFFDc'] });
  });
});

describe('hash chain', () => {
  it('hashes SHA-256 over the previous hash and the canonical fields, linking each entry to the last', () => {
    const [a, b] = chainOf(2);
    expect(a.seq).toBe(1);
    expect(a.prevHash).toBe(GENESIS_HASH);
    expect(b.prevHash).toBe(a.hash);
    const { prevHash: _p, hash: _h, ...fields } = b;
    const expected = createHash('sha256')
      .update(a.hash)
      .update(
        canonicalJson({
          chainId: fields.chainId,
          seq: 2,
          eventKey: 'e2',
          topic: fields.topic,
          occurredAt: fields.occurredAt,
          recordedAt: fields.recordedAt,
          actor: 'tracker',
          subject: fields.subject,
          drill: false,
          content: fields.content,
        }),
      )
      .digest('hex');
    expect(b.hash).toBe(expected);
    expect(b.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a change to any hashed field changes the hash', () => {
    const [a] = chainOf(1);
    expect(entryHash(GENESIS_HASH, { ...a, actor: 'someone-else' })).not.toBe(a.hash);
    expect(entryHash(GENESIS_HASH, { ...a, drill: true })).not.toBe(a.hash);
    expect(entryHash(GENESIS_HASH, { ...a, seq: 2 })).not.toBe(a.hash);
  });
});

describe('verifyChain', () => {
  it('passes an intact chain, in any input order', () => {
    const c = chainOf(6);
    const r = verifyChain('W1', [...c].reverse(), headOf(c));
    expect(r).toEqual({ chainId: 'W1', entries: 6, ok: true, findings: [] });
  });

  it('names an edited entry', () => {
    const c = chainOf(5);
    c[2] = { ...c[2], content: { to: 'CONFIRMED', n: 3, 名称: '暴雨红色预警' } };
    expect(kinds(verifyChain('W1', c, headOf(chainOf(5))))).toEqual(['3:edited']);
  });

  it('names an edited entry that was re-hashed, through the broken link of its successor', () => {
    const c = chainOf(5);
    const forged = { ...c[1], actor: 'forger' };
    c[1] = { ...forged, hash: entryHash(forged.prevHash, forged) };
    expect(kinds(verifyChain('W1', c, headOf(chainOf(5))))).toEqual(['2:edited']);
  });

  it('names a deleted entry in the middle and at the tail', () => {
    const c = chainOf(5);
    const head = headOf(c);
    expect(kinds(verifyChain('W1', [c[0], c[1], c[3], c[4]], head))).toEqual(['3:deleted']);
    expect(kinds(verifyChain('W1', c.slice(0, 3), head))).toEqual(['4:deleted', '5:deleted']);
  });

  it('names an inserted entry beyond the head, even one whose hash is correct', () => {
    const c = chainOf(4);
    const head = headOf(c);
    const forged = chainEntry(draft(99), head, new Date().toISOString());
    expect(kinds(verifyChain('W1', [...c, forged], head))).toEqual(['5:inserted']);
  });

  it('names a second entry at one seq as inserted, keeping the genuine one', () => {
    const c = chainOf(4);
    const forged = { ...c[2], eventKey: 'forged', hash: 'f'.repeat(64) };
    const r = verifyChain('W1', [c[0], c[1], forged, c[2], c[3]], headOf(c));
    expect(kinds(r)).toEqual(['3:inserted']);
    expect(r.findings[0].detail).toContain('forged');
  });

  it('names two swapped entries as reordered, with the seq each was chained as', () => {
    const c = chainOf(6);
    const swapped = [c[0], c[1], { ...c[3], seq: 3 }, { ...c[2], seq: 4 }, c[4], c[5]];
    const r = verifyChain('W1', swapped, headOf(c));
    expect(kinds(r)).toEqual(['3:reordered', '4:reordered']);
    expect(r.findings[0].detail).toBe('entry chained as seq 4 is stored at seq 3');
  });

  it('names every break when several happen in one chain', () => {
    const c = chainOf(9);
    const head = headOf(c);
    const tampered = [
      c[0],
      { ...c[1], content: { edited: true } },
      c[2],
      // seq 4 deleted
      c[4],
      { ...c[6], seq: 6 },
      { ...c[5], seq: 7 },
      c[7],
      c[8],
      chainEntry(draft(50), head, new Date().toISOString()),
    ];
    expect(kinds(verifyChain('W1', tampered, head))).toEqual([
      '2:edited',
      '4:deleted',
      '6:reordered',
      '7:reordered',
      '10:inserted',
    ]);
  });

  it('without a head, still finds gaps, edits and moves', () => {
    const c = chainOf(5);
    expect(kinds(verifyChain('W1', [c[0], c[2], c[3], c[4]]))).toEqual(['2:deleted']);
  });
});
