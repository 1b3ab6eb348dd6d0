import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
  Query,
} from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { CalloutResponse } from '../../contracts/generated';
import type { RoleClaims } from '../common/auth';
import { maskPhone } from '../common/mask';
import { Caller, Roles } from '../common/role.guard';
import { optionalText, validBody } from '../common/valid-body';
import { Db } from '../db/db';
import { DB } from '../infra/tokens';
import { isFinal, OPEN_STATES } from './callout-state';
import { CalloutRepository } from './callout.repository';
import { CalloutOutboxRelay } from './callout-outbox.relay';
import { TrackerService } from './tracker.service';

const REACHED_BODY = z.object({ note: optionalText(2000) });
const REACHED_SET_BODY = REACHED_BODY.extend({ calloutIds: z.unknown() });

/** Call-out ids of a set action: distinct strings, at most a township's worth. */
export function idsOf(v: unknown): string[] {
  if (!Array.isArray(v)) throw new BadRequestException('calloutIds must be a list');
  const ids = [
    ...new Set(v.filter((x): x is string => typeof x === 'string' && x.length > 0 && x.length <= 300)),
  ];
  if (ids.length === 0 || ids.length > 2000) throw new BadRequestException('1 to 2000 calloutIds');
  return ids;
}

/**
 * What duty officers watch and do: active warnings with call-out progress, the not-woken list,
 * "reached in person" and "call again now". Actions are the tracker's own transactions, their events
 * announced through the outbox like every other change. Every route needs a role token: duty officers
 * and auditors read (names, masked numbers); only duty officers act. The board's warning list and
 * per-area figures (counts, no person named) are readable by directory admins too, because the
 * console shows every signed-in role the board.
 */
@ApiTags('callouts')
@Controller('api/callouts')
@Roles('duty-officer', 'auditor')
export class CalloutQueryController {
  private readonly repo = new CalloutRepository();

  constructor(
    @Inject(DB) private readonly db: Db,
    private readonly relay: CalloutOutboxRelay,
    private readonly tracker: TrackerService,
  ) {}

  @Get('warnings')
  @Roles('duty-officer', 'auditor', 'directory-admin')
  async warnings(@Query('all') all?: string) {
    const r = await this.db.query(
      `SELECT w.id, w.seq, w.hazard, w.subtype, w.level, w.status, w.drill, w.headline, w.state, w.expires, w.updated_at,
              count(c.id) FILTER (WHERE c.rung = 0 AND NOT c.superseded) AS persons,
              count(c.id) FILTER (WHERE c.rung = 0 AND NOT c.superseded AND c.state = 'CONFIRMED') AS confirmed,
              count(c.id) FILTER (WHERE c.rung = 0 AND NOT c.superseded AND c.state = ANY($2::text[])) AS pending,
              count(c.id) FILTER (WHERE c.rung = 0 AND NOT c.superseded AND c.state = 'ESCALATED') AS escalated,
              count(c.id) FILTER (WHERE c.rung = 0 AND NOT c.superseded AND c.state = 'NOT_WOKEN') AS not_woken,
              count(c.id) FILTER (WHERE c.rung = 0 AND NOT c.superseded AND c.state = 'REACHED') AS reached
       FROM callout.warnings w LEFT JOIN callout.callouts c ON c.warning_id = w.id
       WHERE $1::boolean OR w.state = 'active'
       GROUP BY w.id ORDER BY w.updated_at DESC LIMIT 200`,
      [all === 'true', OPEN_STATES],
    );
    return r.rows;
  }

  /** Per-area progress of one warning (county and township of each call-out). */
  @Get('warnings/:id/areas')
  @Roles('duty-officer', 'auditor', 'directory-admin')
  async areas(@Param('id') id: string) {
    const r = await this.db.query(
      `SELECT substr(area_code, 1, 9) || '000' AS township, substr(area_code, 1, 6) || '000000' AS county,
              count(*) AS persons,
              count(*) FILTER (WHERE state = 'CONFIRMED') AS confirmed,
              count(*) FILTER (WHERE state = ANY($2::text[])) AS pending,
              count(*) FILTER (WHERE state = 'ESCALATED') AS escalated,
              count(*) FILTER (WHERE state = 'NOT_WOKEN') AS not_woken
       FROM callout.callouts WHERE warning_id = $1 AND rung = 0 AND NOT superseded
       GROUP BY 1, 2 ORDER BY 1`,
      [id, OPEN_STATES],
    );
    return r.rows;
  }

  @Get('warnings/:id')
  async warning(@Param('id') id: string) {
    const w = await this.repo.warning(this.db, id);
    if (!w) throw new NotFoundException(`no warning ${id}`);
    const callouts = await this.db.query<{ phone: string }>(
      `SELECT id, person_id, person_name, phone, role, area_code, area_name, level, rung, subject_callout_id, state, state_reason,
              late, handled_by, attempts, created_at, confirmed_at
       FROM callout.callouts WHERE warning_id = $1 ORDER BY area_code, rung, id`,
      [id],
    );
    return { warning: w, callouts: callouts.rows.map((c) => ({ ...c, phone: maskPhone(c.phone) })) };
  }

  /** The not-woken list (未叫醒): persons the ladder could not wake, and who is handling each. */
  @Get('not-woken')
  async notWoken(@Query('warningId') warningId?: string) {
    const r = await this.db.query<{ phone: string }>(
      `SELECT c.id, c.warning_id, w.seq, w.headline, w.drill, c.person_id, c.person_name, c.phone, c.role, c.area_code, c.area_name,
              c.state_reason, c.updated_at, h.person_name AS handled_by_name
       FROM callout.callouts c JOIN callout.warnings w ON w.id = c.warning_id
       LEFT JOIN callout.callouts h ON h.id = c.handled_by
       WHERE c.state = 'NOT_WOKEN' AND ($1::text IS NULL OR c.warning_id = $1)
       ORDER BY c.updated_at`,
      [warningId ?? null],
    );
    return r.rows.map((c) => ({ ...c, phone: maskPhone(c.phone) }));
  }

  /**
   * The duty officer reports the person reached in person: applied now, and announced on
   * callouts.responses through the outbox in the same transaction (202 means it is recorded).
   * Who did it is the token's actor, never a name in the body.
   */
  @Post(':id/reached')
  @Roles('duty-officer')
  @HttpCode(202)
  async reached(@Param('id') id: string, @Body() raw: unknown, @Caller() caller: RoleClaims) {
    const body = validBody(REACHED_BODY, raw);
    const [r] = await this.reachedMany([id], body.note, caller);
    if (!r) throw new NotFoundException(`no call-out ${id}`);
    return { accepted: true, responseId: r };
  }

  /** "Reached in person" for a set: still one response per person, each with the actor. */
  @Post('reached')
  @Roles('duty-officer')
  @HttpCode(202)
  async reachedSet(@Body() raw: unknown, @Caller() caller: RoleClaims) {
    const body = validBody(REACHED_SET_BODY, raw);
    const ids = idsOf(body.calloutIds);
    const accepted = (await this.reachedMany(ids, body.note, caller)).filter(Boolean).length;
    return { accepted, of: ids.length };
  }

  /** Records a reached-in-person response for each known call-out; '' where the id is unknown. */
  private async reachedMany(ids: string[], note: string | undefined, caller: RoleClaims): Promise<string[]> {
    const known = await this.db.query<{ id: string; warning_id: string }>(
      `SELECT id, warning_id FROM callout.callouts WHERE id = ANY($1::text[])`,
      [ids],
    );
    const warningOf = new Map(known.rows.map((c) => [c.id, c.warning_id]));
    const at = new Date().toISOString();
    const responses: CalloutResponse[] = ids
      .filter((id) => warningOf.has(id))
      .map((id) => ({
        schemaVersion: 1,
        responseId: `duty:${randomUUID()}`,
        calloutId: id,
        warningId: warningOf.get(id)!,
        via: 'duty-officer',
        kind: 'feedback',
        feedback: { action: 'reached-in-person', ...(note ? { note } : {}) },
        actor: caller.actor.slice(0, 200),
        at,
      }));
    // Each applied and announced through the outbox in the tracker's transaction (the group
    // commit takes them together): the 202 means they are recorded.
    await Promise.all(responses.map((r) => this.tracker.reportResponse(r)));
    const byId = new Map(responses.map((r) => [r.calloutId, r.responseId]));
    return ids.map((id) => byId.get(id) ?? '');
  }

  /** "Call again now": one more voice call and SMS for a person not yet confirmed. */
  @Post(':id/recall')
  @Roles('duty-officer')
  @HttpCode(202)
  async recall(@Param('id') id: string) {
    const [done] = await this.recallMany([id]);
    if (done === undefined) throw new NotFoundException(`no call-out ${id}`);
    return { accepted: done };
  }

  /** "Call again" for a set (a township's not-woken): one transaction, each person's sends of their own. */
  @Post('recall')
  @Roles('duty-officer')
  @HttpCode(202)
  async recallSet(@Body() body: { calloutIds?: unknown }) {
    const ids = idsOf(body?.calloutIds);
    const accepted = (await this.recallMany(ids)).filter(Boolean).length;
    return { accepted, of: ids.length };
  }

  /** true: called again; false: already settled; undefined: no such call-out. */
  private async recallMany(ids: string[]): Promise<(boolean | undefined)[]> {
    const done = await this.db.transaction(async (tx) => {
      const out: (boolean | undefined)[] = [];
      for (const id of ids) {
        const c = await this.repo.lockCallout(tx, id);
        if (!c || isFinal(c.state)) {
          out.push(c ? false : undefined);
          continue;
        }
        const w = (await this.repo.warning(tx, c.warning_id))!;
        await this.repo.requestSends(tx, w, [
          { callout: c, channel: 'voice', purpose: 'redial' },
          { callout: c, channel: 'sms', purpose: 'redial' },
        ]);
        out.push(true);
      }
      return out;
    });
    this.relay.nudge();
    return done;
  }
}
