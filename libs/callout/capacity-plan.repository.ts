import { TOPICS } from '../../contracts/topics';
import type { CapacityPlanned } from '../../contracts/generated';
import { Queryable } from '../db/db';
import { Outbox } from '../kafka/outbox';
import { ChannelActual } from './capacity-progress';

/**
 * The capacity planner's predictions and what the first call-outs did since: the latest plan kept
 * on the warning (the board reads it), every plan published on callouts.plans (the ledger keeps it).
 */
export class CapacityPlanRepository {
  private readonly outbox = new Outbox('callout');

  /** In the transaction that plans the call-outs: the warning's latest plan, and its event. */
  async record(tx: Queryable, plan: CapacityPlanned): Promise<void> {
    await tx.query(`UPDATE callout.warnings SET capacity_plan = $2::jsonb WHERE id = $1`, [
      plan.warningId,
      JSON.stringify(plan),
    ]);
    await this.outbox.add(tx, TOPICS.calloutsPlans.name, [{ key: plan.warningId, value: plan }]);
  }

  async latest(q: Queryable, warningId: string): Promise<CapacityPlanned | undefined> {
    const r = await q.query<{ capacity_plan: CapacityPlanned | null }>(
      `SELECT capacity_plan FROM callout.warnings WHERE id = $1`,
      [warningId],
    );
    return r.rows[0]?.capacity_plan ?? undefined;
  }

  /** Per channel, the first-round sends (purpose callout, rung 0) requested since `since`. */
  async actual(q: Queryable, warningId: string, since: string): Promise<ChannelActual[]> {
    const r = await q.query<Record<keyof ChannelActual, string | null>>(
      `SELECT r.channel, count(*) AS requested,
              count(r.accepted_at) AS accepted, max(r.accepted_at) AS "lastAcceptedAt",
              count(*) FILTER (WHERE r.accepted_at IS NULL AND r.status_rank >= $3) AS refused,
              count(r.reached_at) AS reached, max(r.reached_at) AS "lastReachedAt",
              count(*) FILTER (WHERE r.status_rank >= $3) AS ended
       FROM callout.callouts c JOIN callout.requests r ON r.callout_id = c.id
       WHERE c.warning_id = $1 AND c.rung = 0 AND r.purpose = 'callout' AND r.requested_at >= $2::timestamptz
       GROUP BY r.channel`,
      [warningId, since, FINAL_STATUS_RANK],
    );
    const iso = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string).toISOString());
    return r.rows.map((x) => ({
      channel: String(x.channel),
      requested: Number(x.requested),
      accepted: Number(x.accepted),
      lastAcceptedAt: iso(x.lastAcceptedAt),
      refused: Number(x.refused),
      reached: Number(x.reached),
      lastReachedAt: iso(x.lastReachedAt),
      ended: Number(x.ended),
    }));
  }
}

/** The rank of the statuses after which nothing more happens to a send (tracker.service.ts STATUS_RANK). */
export const FINAL_STATUS_RANK = 4;
