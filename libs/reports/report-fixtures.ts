import { chainEntry, EntryDraft, GENESIS_HASH, LedgerEntry } from '../audit/ledger-entry';
import { buildResponseChain } from '../audit/response-chain';
import { ChainSnapshot, warningAreas } from './monthly-report';

/**
 * Ledgers of known warnings for the reports' specs: the entries the audit would have chained for a
 * warning, its requests, the call-outs' state changes and the confirmations, hashed like the real
 * ledger (chainEntry), so a report's heads are real chain heads.
 */
export interface FixturePerson {
  id: string;
  name?: string;
  role?: string;
  area: string;
  /** Seconds from the first request to the person's own confirmation; none: never confirmed. */
  confirmAfterSec?: number;
  /** Went on the not-woken list, then ended so (REACHED, CONFIRMED, or stays NOT_WOKEN). */
  notWoken?: 'REACHED' | 'CONFIRMED' | 'NOT_WOKEN';
  /** An escalation call-out (rung > 0) rather than a person the warning called. */
  rung?: number;
}

export interface FixtureWarning {
  id: string;
  hazard: string;
  level: string;
  sentAt: string;
  drill?: boolean;
  areas?: string[];
  persons: FixturePerson[];
}

const plus = (iso: string, sec: number) => new Date(Date.parse(iso) + sec * 1000).toISOString();

export function fixtureEntries(w: FixtureWarning): LedgerEntry[] {
  const drafts: EntryDraft[] = [];
  const add = (topic: string, at: string, key: string, content: Record<string, unknown>) =>
    drafts.push({
      chainId: w.id,
      eventKey: `${w.id}:${key}`,
      topic,
      occurredAt: at,
      actor: null,
      subject: { warningId: w.id },
      drill: w.drill === true,
      content,
    });
  add(`warnings.${w.hazard}`, w.sentAt, 'warning', {
    id: w.id,
    msgType: 'Alert',
    status: w.drill ? 'Exercise' : 'Actual',
    hazard: w.hazard,
    level: w.level,
    headline: `${w.id} headline`,
    sender: 'test bureau',
    sentAt: w.sentAt,
    areas: (w.areas ?? []).map((code) => ({ code })),
  });
  for (const p of w.persons) {
    const calloutId = `${w.id}/${p.id}/${p.rung ?? 0}`;
    const start = plus(w.sentAt, 5);
    const person = {
      calloutId,
      warningId: w.id,
      personId: p.id,
      personName: p.name ?? `name-${p.id}`,
      role: p.role ?? 'flood-control',
      areaCode: p.area,
      rung: p.rung ?? 0,
    };
    add('callouts.events', plus(w.sentAt, 1), `${calloutId}:planned`, {
      ...person,
      from: null,
      to: 'PLANNED',
    });
    add('callouts.requested', start, `${calloutId}:req`, { calloutId, personId: p.id, channel: 'voice' });
    let state = 'SENT';
    add('callouts.events', plus(start, 1), `${calloutId}:sent`, { ...person, from: 'PLANNED', to: state });
    if (p.notWoken) {
      add('callouts.events', plus(start, 1800), `${calloutId}:nw`, {
        ...person,
        from: state,
        to: 'NOT_WOKEN',
      });
      state = 'NOT_WOKEN';
    }
    if (p.confirmAfterSec !== undefined) {
      const at = plus(start, p.confirmAfterSec);
      add('callouts.responses', at, `${calloutId}:confirm`, { calloutId, via: 'sms', kind: 'confirm' });
      add('callouts.events', at, `${calloutId}:confirmed`, { ...person, from: state, to: 'CONFIRMED' });
    } else if (p.notWoken === 'REACHED')
      add('callouts.events', plus(start, 3600), `${calloutId}:reached`, {
        ...person,
        from: state,
        to: 'REACHED',
      });
  }
  let head = { lastSeq: 0, lastHash: GENESIS_HASH };
  return drafts.map((d) => {
    const e = chainEntry(d, head, d.occurredAt);
    head = { lastSeq: e.seq, lastHash: e.hash };
    return e;
  });
}

export function fixtureSnapshot(w: FixtureWarning): ChainSnapshot {
  const entries = fixtureEntries(w);
  const last = entries[entries.length - 1];
  return {
    chain: buildResponseChain(w.id, entries),
    head: { chainId: w.id, lastSeq: last.seq, lastHash: last.hash },
    areas: warningAreas(entries),
  };
}
