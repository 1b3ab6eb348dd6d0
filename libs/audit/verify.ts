import { entryHash, GENESIS_HASH, LedgerEntry } from './ledger-entry';

/**
 * What the verifier can say about a break in a chain:
 * - edited: the entry's stored hash no longer matches its fields (or a re-hashed entry broke the link to it);
 * - deleted: a seq is missing (a gap, or a tail shorter than the chain head records);
 * - inserted: an entry the chain never appended (beyond the head, or a second entry at one seq);
 * - reordered: an intact entry stored under another seq than the one it was chained with.
 */
export type BreakKind = 'edited' | 'deleted' | 'inserted' | 'reordered';

export interface ChainFinding {
  chainId: string;
  seq: number;
  kind: BreakKind;
  detail: string;
}

/** What audit.chains records about a chain at its last append. */
export interface ChainHead {
  lastSeq: number;
  lastHash: string;
}

export interface ChainReport {
  chainId: string;
  entries: number;
  ok: boolean;
  findings: ChainFinding[];
}

/** Beyond this many entries the verifier does not search every seq for a moved entry's origin. */
const EXHAUSTIVE_SEARCH_LIMIT = 5_000;

/**
 * Recomputes one chain from its stored entries (any order) and names every break. Pure: the
 * repository reads the rows, this decides. `head` is the chain's row in audit.chains, when there is one.
 */
export function verifyChain(chainId: string, entries: LedgerEntry[], head?: ChainHead): ChainReport {
  const findings: ChainFinding[] = [];
  const report = (seq: number, kind: BreakKind, detail: string) =>
    findings.push({ chainId, seq, kind, detail });
  const sorted = [...entries].sort((a, b) => a.seq - b.seq);
  const selfOk = new Map(sorted.map((e) => [e, entryHash(e.prevHash, e) === e.hash]));
  const byHash = new Map<string, LedgerEntry>();
  for (const e of sorted) if (!byHash.has(e.hash)) byHash.set(e.hash, e);
  const flagged = new Set<LedgerEntry>();

  // 1. Entries the chain never appended: beyond the recorded head, or a second entry at one seq.
  const kept: LedgerEntry[] = [];
  for (const e of sorted) {
    if (head && e.seq > head.lastSeq) {
      report(e.seq, 'inserted', `seq ${e.seq} is beyond the chain head (last appended seq ${head.lastSeq})`);
      flagged.add(e);
      continue;
    }
    const prev = kept[kept.length - 1];
    if (prev && prev.seq === e.seq) {
      const before = kept.find((k) => k.seq === e.seq - 1);
      const expected = e.seq === 1 ? GENESIS_HASH : before?.hash;
      const fits = (x: LedgerEntry) => selfOk.get(x) && x.prevHash === expected;
      const [genuine, forged] = !fits(prev) && fits(e) ? [e, prev] : [prev, e];
      report(e.seq, 'inserted', `a second entry at seq ${e.seq} (event ${forged.eventKey})`);
      flagged.add(forged);
      kept[kept.length - 1] = genuine;
      continue;
    }
    kept.push(e);
  }

  // 2. Entries whose hash does not match: moved (intact at another seq) or edited.
  const originalSeq = (e: LedgerEntry, depth = 0): number | undefined => {
    if (e.prevHash === GENESIS_HASH) return 1;
    const pred = byHash.get(e.prevHash);
    if (!pred || depth > sorted.length) return undefined;
    if (selfOk.get(pred)) return pred.seq + 1;
    const s = originalSeq(pred, depth + 1);
    return s === undefined ? undefined : s + 1;
  };
  const maxSeq = Math.max(head?.lastSeq ?? 0, ...sorted.map((e) => e.seq));
  for (const e of kept) {
    if (selfOk.get(e)) continue;
    flagged.add(e);
    const fitsAt = (seq: number) => entryHash(e.prevHash, { ...e, seq }) === e.hash;
    let origin = originalSeq(e);
    if (origin === undefined || origin === e.seq || !fitsAt(origin)) {
      origin = undefined;
      if (sorted.length <= EXHAUSTIVE_SEARCH_LIMIT) {
        for (let s = 1; s <= maxSeq + 1 && origin === undefined; s++)
          if (s !== e.seq && fitsAt(s)) origin = s;
      }
    }
    if (origin !== undefined)
      report(e.seq, 'reordered', `entry chained as seq ${origin} is stored at seq ${e.seq}`);
    else report(e.seq, 'edited', `stored hash does not match the entry's content (event ${e.eventKey})`);
  }

  // 3. Missing seqs, up to what the head says was appended.
  const present = new Set(kept.map((e) => e.seq));
  const expectedLast = head ? head.lastSeq : Math.max(0, ...kept.map((e) => e.seq));
  for (let s = 1; s <= expectedLast; s++) if (!present.has(s)) report(s, 'deleted', `seq ${s} is missing`);

  // 4. Broken links between neighbours that are each intact: the earlier one was rewritten and re-hashed.
  for (let i = 0; i < kept.length; i++) {
    const e = kept[i];
    const p = i > 0 ? kept[i - 1] : undefined;
    if (flagged.has(e) || (p && flagged.has(p))) continue;
    if (e.seq === 1 && e.prevHash !== GENESIS_HASH)
      report(1, 'edited', 'the first entry does not start from the genesis hash');
    else if (p && p.seq === e.seq - 1 && e.prevHash !== p.hash)
      report(p.seq, 'edited', `seq ${p.seq} was rewritten: seq ${e.seq} links to a different hash`);
  }
  if (head && head.lastSeq > 0) {
    const last = kept.find((e) => e.seq === head.lastSeq);
    if (last && !flagged.has(last) && last.hash !== head.lastHash)
      report(last.seq, 'edited', `seq ${last.seq} was rewritten: its hash differs from the chain head's`);
  }

  findings.sort((a, b) => a.seq - b.seq || a.kind.localeCompare(b.kind));
  return { chainId, entries: entries.length, ok: findings.length === 0, findings };
}

/** One line per finding, for the CLI and logs. */
export function describeFinding(f: ChainFinding): string {
  return `${f.chainId} #${f.seq} ${f.kind}: ${f.detail}`;
}
