import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Optional,
  Param,
  Post,
  Query,
} from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import type { RoleClaims } from '../common/auth';
import { Clock, systemClock } from '../common/clock';
import { CLOCK } from '../infra/tokens';
import { maskPhone } from '../common/mask';
import { Caller, Roles } from '../common/role.guard';
import { optionalText, validBody } from '../common/valid-body';
import { CalloutQueryRepository } from './callout-query.repository';
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
  constructor(
    private readonly queries: CalloutQueryRepository,
    private readonly tracker: TrackerService,
    @Optional() @Inject(CLOCK) private readonly clock: Clock = systemClock,
  ) {}

  @Get('warnings')
  @Roles('duty-officer', 'auditor', 'directory-admin')
  warnings(@Query('all') all?: string) {
    return this.queries.boardWarnings(all === 'true');
  }

  /** Per-area progress of one warning (county and township of each call-out). */
  @Get('warnings/:id/areas')
  @Roles('duty-officer', 'auditor', 'directory-admin')
  areas(@Param('id') id: string) {
    return this.queries.areaProgress(id);
  }

  /**
   * The capacity planner's prediction for the warning's first call-outs next to what happened: per
   * channel the sends accepted so far and when the last was, against the practice targets.
   */
  @Get('warnings/:id/capacity')
  @Roles('duty-officer', 'auditor', 'directory-admin')
  capacity(@Param('id') id: string) {
    return this.queries.capacity(id, this.clock.now()).then((capacity) => ({ capacity }));
  }

  @Get('warnings/:id')
  async warning(@Param('id') id: string) {
    const w = await this.queries.warning(id);
    if (!w) throw new NotFoundException(`no warning ${id}`);
    const callouts = await this.queries.calloutsOf(id);
    return { warning: w, callouts: callouts.map((c) => ({ ...c, phone: maskPhone(c.phone) })) };
  }

  /** The not-woken list (未叫醒): persons the ladder could not wake, and who is handling each. */
  @Get('not-woken')
  async notWoken(@Query('warningId') warningId?: string) {
    const list = await this.queries.notWoken(warningId);
    return list.map((c) => ({ ...c, phone: maskPhone(c.phone) }));
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
    const [r] = await this.tracker.reportReachedInPerson([id], body.note, actorOf(caller));
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
    const accepted = (await this.tracker.reportReachedInPerson(ids, body.note, actorOf(caller))).filter(
      Boolean,
    ).length;
    return { accepted, of: ids.length };
  }

  /** "Call again now": one more voice call and SMS for a person not yet confirmed. */
  @Post(':id/recall')
  @Roles('duty-officer')
  @HttpCode(202)
  async recall(@Param('id') id: string) {
    const [done] = await this.tracker.callAgain([id]);
    if (done === undefined) throw new NotFoundException(`no call-out ${id}`);
    return { accepted: done };
  }

  /** "Call again" for a set (a township's not-woken): one transaction, each person's sends of their own. */
  @Post('recall')
  @Roles('duty-officer')
  @HttpCode(202)
  async recallSet(@Body() body: { calloutIds?: unknown }) {
    const ids = idsOf(body?.calloutIds);
    const accepted = (await this.tracker.callAgain(ids)).filter(Boolean).length;
    return { accepted, of: ids.length };
  }
}

/** Who acts, as recorded with the response: the token's actor, bounded. */
const actorOf = (caller: RoleClaims) => caller.actor.slice(0, 200);
