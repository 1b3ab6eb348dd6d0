import { Inject, Injectable, Optional } from '@nestjs/common';
import { Clock, systemClock } from '../common/clock';
import { Queryable } from '../db/db';
import { CLOCK } from '../infra/tokens';

export type DeadlineKind = 'ack' | 'redial' | 'voice-fallback' | 'expire';

/** A deadline row as the scanner reads it. */
export interface DueDeadline {
  id: string;
  kind: DeadlineKind;
  callout_id: string | null;
  warning_id: string;
  due_at: Date;
}

export interface NewDeadline {
  kind: DeadlineKind;
  calloutId: string | null;
  warningId: string;
  dueAt: Date;
  /** With the kind, names the deadline: the same one set twice (a redelivery) is one row. */
  ref: string;
}

/**
 * The deadlines of call-outs (ack, voice fallback: one per call-out, named by it) that fall due
 * `afterSec` seconds from `now`; each item may have its own delay (ladder steps of several levels).
 */
export function calloutDeadlines(
  kind: 'ack' | 'voice-fallback',
  warningId: string,
  now: Date,
  items: { calloutId: string; afterSec: number }[],
): NewDeadline[] {
  return items.map(({ calloutId, afterSec }) => ({
    kind,
    calloutId,
    warningId,
    dueAt: new Date(now.getTime() + afterSec * 1000),
    ref: calloutId,
  }));
}

/**
 * SQL of callout.deadlines (invariant 4: deadlines are rows). A deadline fires once: it is claimed
 * with FOR UPDATE SKIP LOCKED inside the transaction that acts on it and marked fired there.
 */
@Injectable()
export class DeadlineRepository {
  constructor(@Optional() @Inject(CLOCK) private readonly clock: Clock = systemClock) {}

  async add(tx: Queryable, list: NewDeadline[]): Promise<void> {
    if (list.length === 0) return;
    await tx.query(
      `INSERT INTO callout.deadlines (kind, callout_id, warning_id, due_at, ref)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[]) ON CONFLICT (kind, ref) DO NOTHING`,
      [
        list.map((d) => d.kind),
        list.map((d) => d.calloutId),
        list.map((d) => d.warningId),
        list.map((d) => d.dueAt.toISOString()),
        list.map((d) => d.ref),
      ],
    );
  }

  /** Up to `limit` unfired deadlines due at `now`, in the order they are to fire. */
  async due(q: Queryable, now: Date, limit: number): Promise<DueDeadline[]> {
    const r = await q.query<DueDeadline>(
      `SELECT id::text, kind, callout_id, warning_id, due_at FROM callout.deadlines
       WHERE fired_at IS NULL AND due_at <= $1
       -- Due at the same instant: an expiry first (nobody is escalated after it), a call before the
       -- escalation it might make unnecessary, then creation order.
       ORDER BY due_at, CASE kind WHEN 'expire' THEN 0 WHEN 'ack' THEN 2 ELSE 1 END, id
       LIMIT $2`,
      [now.toISOString(), limit],
    );
    return r.rows;
  }

  /**
   * Claims the unfired deadlines among `ids` for this transaction and marks them fired by `firedBy`;
   * returns the ids it claimed. Those another scanner holds (SKIP LOCKED) or that fired already are
   * left out, so each deadline fires once across replicas.
   */
  async claim(tx: Queryable, ids: string[], firedBy: string): Promise<Set<string>> {
    const r = await tx.query<{ id: string }>(
      `UPDATE callout.deadlines SET fired_at = $3, fired_by = $2
       WHERE id IN (SELECT id FROM callout.deadlines WHERE id = ANY($1::bigint[]) AND fired_at IS NULL
                    ORDER BY id FOR UPDATE SKIP LOCKED)
       RETURNING id::text`,
      [ids, firedBy, this.clock.now().toISOString()],
    );
    return new Set(r.rows.map((x) => x.id));
  }

  /** Drops a warning's unfired deadlines, all of them or all but its expiry deadlines. */
  async dropPending(tx: Queryable, warningId: string, keep: 'none' | 'expire'): Promise<void> {
    await tx.query(
      `DELETE FROM callout.deadlines WHERE warning_id = $1 AND fired_at IS NULL AND ($2::text IS NULL OR kind <> $2)`,
      [warningId, keep === 'expire' ? 'expire' : null],
    );
  }
}
