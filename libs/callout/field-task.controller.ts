import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
} from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { RoleClaims } from '../common/auth';
import { maskPhone } from '../common/mask';
import { Caller, Roles } from '../common/role.guard';
import { Db } from '../db/db';
import { DB } from '../infra/tokens';
import { FIELD_OUTCOMES, FieldOutcome } from './field-task.repository';
import { FieldTaskService } from './field-task.service';
import { NotWokenFilter, NotWokenRepository } from './not-woken.repository';

const str = (v: unknown, max = 200): string | undefined =>
  typeof v === 'string' && v.trim() ? v.trim().slice(0, max) : undefined;

/** Query parameters of a filtered not-woken read. */
export function filterOf(q: Record<string, unknown>): NotWokenFilter {
  return { warningId: str(q.warningId), area: str(q.area, 12), role: str(q.role, 50), q: str(q.q, 50) };
}

/**
 * The not-woken list at city scale (counts per village, a page of persons under an area, longest
 * waiting first), the confirmation curve of a warning, and door-to-door hand-offs. Duty officers and
 * auditors read (numbers masked); only duty officers hand off and report.
 */
@ApiTags('callouts')
@Controller('api/callouts')
@Roles('duty-officer', 'auditor')
export class FieldTaskController {
  constructor(
    @Inject(DB) private readonly db: Db,
    private readonly tasks: FieldTaskService,
    private readonly notWoken: NotWokenRepository,
  ) {}

  /** Not-woken persons counted per village (the board groups villages by county and township). */
  @Get('not-woken/groups')
  groups(@Query() q: Record<string, unknown>) {
    return this.notWoken.groups(this.db, filterOf(q));
  }

  /** One page of not-woken persons, filtered, longest waiting first. */
  @Get('not-woken/page')
  async page(@Query() q: Record<string, unknown>) {
    const limit = Math.min(Math.max(Number(q.limit) || 50, 1), 500);
    const offset = Math.max(Number(q.offset) || 0, 0);
    const rows = await this.notWoken.persons(this.db, filterOf(q), { limit, offset });
    return rows.map((c) => ({ ...c, phone: maskPhone(c.phone) }));
  }

  /** Persons confirmed per second after the first call, of a warning or one county of it. */
  @Get('warnings/:id/progress')
  @Roles('duty-officer', 'auditor', 'directory-admin')
  progress(@Param('id') id: string, @Query('county') county?: string) {
    return this.notWoken.progress(this.db, id, county);
  }

  @Get('field-tasks')
  async list(@Query('open') open?: string, @Query('warningId') warningId?: string) {
    const rows = await this.tasks.list({ open: open !== 'false', warningId: str(warningId) });
    return rows.map((t) => ({ ...t, assignee_phone: maskPhone(t.assignee_phone) }));
  }

  @Get('field-tasks/:id')
  async detail(@Param('id') id: string) {
    const d = await this.tasks.detail(id);
    return {
      task: { ...d.task, assignee_phone: maskPhone(d.task.assignee_phone) },
      items: d.items.map((i) => ({ ...i, phone: maskPhone(i.phone) })),
    };
  }

  /** Hands a township's (or village's) not-woken persons of a warning to its head or grid worker. */
  @Post('field-tasks')
  @Roles('duty-officer')
  @HttpCode(201)
  open(@Body() body: { warningId?: unknown; areaCode?: unknown }, @Caller() caller: RoleClaims) {
    const warningId = str(body?.warningId);
    const areaCode = str(body?.areaCode, 12);
    if (!warningId || !areaCode) throw new BadRequestException('warningId and areaCode are required');
    return this.tasks.handOff(warningId, areaCode, caller.actor);
  }

  /** One person's door visited: reached, not found or moved; who reports it is the token's actor. */
  @Post('field-tasks/:id/outcomes')
  @Roles('duty-officer')
  @HttpCode(202)
  report(
    @Param('id') id: string,
    @Body() body: { calloutId?: unknown; outcome?: unknown; note?: unknown },
    @Caller() caller: RoleClaims,
  ) {
    const calloutId = str(body?.calloutId);
    const outcome = str(body?.outcome) as FieldOutcome | undefined;
    if (!calloutId || !outcome || !FIELD_OUTCOMES.includes(outcome))
      throw new BadRequestException(`calloutId and an outcome (${FIELD_OUTCOMES.join(', ')}) are required`);
    return this.tasks.report(id, calloutId, outcome, str(body?.note, 2000) ?? null, caller.actor);
  }
}
