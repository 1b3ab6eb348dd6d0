import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json';

/** prev_hash of the first entry of every chain. */
export const GENESIS_HASH = '0'.repeat(64);

/** Chains that are not a warning's. */
export const SYSTEM_CHAIN = 'system';
export const ACCESS_CHAIN = 'access';

/** Who or what an entry is about. */
export interface EntrySubject {
  warningId?: string;
  calloutId?: string;
  personId?: string;
  requestId?: string;
  subjectCalloutId?: string;
}

/** An entry before it is chained: what a consumed event (or an auditor's read) becomes. */
export interface EntryDraft {
  chainId: string;
  eventKey: string;
  topic: string;
  /** ISO-8601 UTC with milliseconds (new Date(x).toISOString()), so it survives timestamptz unchanged. */
  occurredAt: string;
  actor: string | null;
  subject: EntrySubject;
  drill: boolean;
  content: unknown;
}

/** A chained entry as stored in audit.entries. */
export interface LedgerEntry extends EntryDraft {
  seq: number;
  recordedAt: string;
  prevHash: string;
  hash: string;
}

/** The fields the hash covers: everything of the entry except the hashes themselves. */
export function hashedFields(e: Omit<LedgerEntry, 'prevHash' | 'hash'>): Record<string, unknown> {
  return {
    chainId: e.chainId,
    seq: e.seq,
    eventKey: e.eventKey,
    topic: e.topic,
    occurredAt: e.occurredAt,
    recordedAt: e.recordedAt,
    actor: e.actor,
    subject: e.subject,
    drill: e.drill,
    content: e.content,
  };
}

/** SHA-256 (hex) over the previous hash followed by the canonical JSON of the entry's fields. */
export function entryHash(prevHash: string, e: Omit<LedgerEntry, 'prevHash' | 'hash'>): string {
  return createHash('sha256')
    .update(prevHash)
    .update(canonicalJson(hashedFields(e)))
    .digest('hex');
}

/** Chains a draft after the chain's current head. */
export function chainEntry(
  draft: EntryDraft,
  head: { lastSeq: number; lastHash: string },
  recordedAt: string,
): LedgerEntry {
  const unhashed = { ...draft, seq: head.lastSeq + 1, recordedAt };
  return { ...unhashed, prevHash: head.lastHash, hash: entryHash(head.lastHash, unhashed) };
}

/** A timestamp as the ledger keeps it (ms precision, UTC); `fallback` when the event's own is unusable. */
export function isoTime(value: unknown, fallback: string): string {
  if (typeof value !== 'string' && !(value instanceof Date)) return fallback;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? fallback : d.toISOString();
}
