import {
  Body,
  Controller,
  ForbiddenException,
  Get,
  Header,
  NotFoundException,
  Param,
  Post,
  Query,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { DIVISION_CODE, levelOfCode } from '../common/divisions';
import { roleName } from '../directory/roles';
import { divisionName, filterQuery, NotWokenFilter, notWokenFilterOf, trackerQuery } from './board.service';
import { backendUserOf, BackendUser, ConsoleBackends, OverJson } from './console-backends';
import { ConsoleAuthGuard, Page, Permit } from './console-auth.guard';
import { ConsoleExceptionFilter } from './console-exception.filter';
import { ConsoleViews, PageContext } from './console-views';
import { LiveHub } from './live-hub';
import type { AreaProgress, BoardWarning } from '../callout/callout-query.repository';
import type { FieldTaskSummary } from '../callout/field-task.repository';
import type { NotWokenPersonRow } from '../callout/not-woken.repository';
import { groupNotWoken, NotWokenCount, waited } from './not-woken-groups';
import { progressSvg, ProgressData } from './progress-chart';

type TrackerWarning = OverJson<BoardWarning>;

/** Persons shown per page of an area's not-woken list. */
export const AREA_PAGE_SIZE = 50;
/** The most persons one set action (and its confirmation page) takes. */
const SET_MAX = 500;

const listOf = (v: unknown): string[] =>
  (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter(
    (x): x is string => typeof x === 'string' && !!x,
  );

function areaCodeOf(code: string): string {
  if (!DIVISION_CODE.test(code)) throw new NotFoundException(`no area ${code}`);
  return code;
}

/**
 * The not-woken list one area at a time (a township's persons by village, longest waiting first,
 * paged; the board loads it into its collapsed group on demand), the set actions behind a
 * confirmation step, door-to-door hand-offs with their field tasks and printable lists, and the
 * confirmation curve of a warning. Everything is done through the tracker's API with the signed-in
 * user's token, so each person's change is recorded with the actor.
 */
@ApiExcludeController()
@Controller('console')
@UseGuards(ConsoleAuthGuard)
@UseFilters(ConsoleExceptionFilter)
export class NotWokenController {
  constructor(
    private readonly views: ConsoleViews,
    private readonly backends: ConsoleBackends,
    private readonly hub: LiveHub,
  ) {}

  @Get('not-woken/:area')
  @Permit('view-board')
  @Header('cache-control', 'no-store')
  async areaPage(
    @Page() page: PageContext,
    @Param('area') area: string,
    @Query() query: Record<string, unknown>,
  ) {
    return this.views.page('not-woken-area', page, await this.areaData(page, area, query));
  }

  /** The same list alone, for the board's group when it is opened. */
  @Get('not-woken/:area/fragment')
  @Permit('view-board')
  @Header('cache-control', 'no-store')
  async areaFragment(
    @Page() page: PageContext,
    @Param('area') area: string,
    @Query() query: Record<string, unknown>,
  ) {
    return this.views.fragment('nw-area', page, {
      ...(await this.areaData(page, area, query)),
      inBoard: true,
    });
  }

  /** Step one of a set action: what would be done to whom, and a button to confirm it. */
  @Post('not-woken/:area/confirm')
  @Permit('act')
  async confirm(
    @Page() page: PageContext,
    @Param('area') area: string,
    @Body() body: Record<string, unknown>,
  ) {
    const op = body.op === 'reached' ? 'reached' : 'recall';
    const filter = { ...notWokenFilterOf(body), area: areaCodeOf(area) };
    const all = await this.persons(page, filter, SET_MAX, 0);
    const chosen = listOf(body.ids);
    const persons = op === 'reached' ? all.filter((p) => chosen.includes(p.id)) : all;
    return this.views.page('not-woken-confirm', page, {
      op,
      isReached: op === 'reached',
      area: { code: area, name: divisionName(area) },
      persons: persons.map((p) => this.personView(page, p)),
      filter: { ...filter, area: undefined },
      back: `/console/not-woken/${area}${filterQuery({ ...filter, area: undefined })}`,
    });
  }

  /** Step two: the confirmed set action, one tracker change per person (each with the actor). */
  @Post('not-woken/:area/apply')
  @Permit('act')
  async apply(
    @Page() page: PageContext,
    @Param('area') area: string,
    @Body() body: Record<string, unknown>,
    @Res() res: Response,
  ) {
    areaCodeOf(area);
    const ids = listOf(body.ids).slice(0, SET_MAX);
    const op = body.op === 'reached' ? 'reached' : 'recall';
    const back = `/console/not-woken/${area}${filterQuery(notWokenFilterOf(body))}`;
    if (body.confirmed !== 'yes' || ids.length === 0) return res.redirect(303, back);
    const note = typeof body.note === 'string' ? body.note.slice(0, 2000) : undefined;
    const r = await this.backends.call<{ accepted: number }>('tracker', `/api/callouts/${op}`, {
      method: 'POST',
      json: op === 'reached' ? { calloutIds: ids, ...(note ? { note } : {}) } : { calloutIds: ids },
      as: this.as(page),
    });
    this.hub.boardChanged();
    const sep = back.includes('?') ? '&' : '?';
    res.redirect(303, `${back}${sep}${r.ok ? `done=${r.body.accepted}` : 'failed=1'}`);
  }

  /** The door-to-door hand-off: the area's list to its head or grid worker, and a field task opened. */
  @Post('field-tasks')
  @Permit('act')
  async handOff(@Page() page: PageContext, @Body() body: Record<string, unknown>, @Res() res: Response) {
    const r = await this.backends.call<{ taskId?: string; message?: string }>(
      'tracker',
      '/api/callouts/field-tasks',
      {
        method: 'POST',
        json: { warningId: body.warningId, areaCode: body.areaCode },
        as: this.as(page),
      },
    );
    this.hub.boardChanged();
    if (r.ok && r.body.taskId)
      return res.redirect(303, `/console/field-tasks/${encodeURIComponent(r.body.taskId)}?done=1`);
    res.status(r.status).type('html');
    res.send(
      this.views.page('error', page, {
        status: r.status,
        message: String(r.body?.message ?? 'hand-off refused'),
      }),
    );
  }

  @Get('field-tasks/:id')
  @Permit('view-board')
  @Header('cache-control', 'no-store')
  async task(@Page() page: PageContext, @Param('id') id: string, @Query('done') done?: string) {
    return this.views.page('field-task', page, { ...(await this.taskData(page, id)), done: !!done });
  }

  /** The list for the team that goes out: A4, Chinese, one row per door with boxes to tick. */
  @Get('field-tasks/:id/print')
  @Permit('view-board')
  @Header('cache-control', 'no-store')
  async print(@Page() page: PageContext, @Param('id') id: string) {
    return this.views.page(
      'field-task-print',
      { ...page, lang: 'zh-CN' },
      { ...(await this.taskData(page, id)), print: true },
    );
  }

  @Post('field-tasks/:id/outcomes')
  @Permit('act')
  async report(
    @Page() page: PageContext,
    @Param('id') id: string,
    @Body() body: Record<string, unknown>,
    @Res() res: Response,
  ) {
    const r = await this.backends.call(
      'tracker',
      `/api/callouts/field-tasks/${encodeURIComponent(id)}/outcomes`,
      {
        method: 'POST',
        json: { calloutId: body.calloutId, outcome: body.outcome, note: body.note },
        as: this.as(page),
      },
    );
    this.hub.boardChanged();
    res.redirect(303, `/console/field-tasks/${encodeURIComponent(id)}?${r.ok ? 'done=1' : 'failed=1'}`);
  }

  @Get('warnings/:id/progress')
  @Permit('view-board')
  @Header('cache-control', 'no-store')
  async progressPage(@Page() page: PageContext, @Param('id') id: string, @Query('county') county?: string) {
    const as = this.as(page);
    const enc = encodeURIComponent(id);
    const [warnings, areas] = await Promise.all([
      this.backends.call<TrackerWarning[]>('tracker', '/api/callouts/warnings?all=true', {
        as,
      }),
      this.backends.call<OverJson<AreaProgress>[]>('tracker', `/api/callouts/warnings/${enc}/areas`, { as }),
    ]);
    const w = (Array.isArray(warnings.body) ? warnings.body : []).find((x) => x.id === id);
    if (!w) throw new NotFoundException(`no warning ${id}`);
    const counties = [...new Set((Array.isArray(areas.body) ? areas.body : []).map((a) => a.county))].map(
      (code) => ({
        code,
        name: divisionName(code),
        selected: code === county,
      }),
    );
    return this.views.page('progress', page, {
      warning: w,
      counties,
      county: county ? { code: county, name: divisionName(county) } : null,
      svg: await this.chart(page, w, county),
    });
  }

  @Get('warnings/:id/progress.svg')
  @Permit('view-board')
  async progressSvg(
    @Page() page: PageContext,
    @Param('id') id: string,
    @Res() res: Response,
    @Query('county') county?: string,
  ) {
    const all = await this.backends.call<TrackerWarning[]>('tracker', '/api/callouts/warnings?all=true', {
      as: this.as(page),
    });
    const w = (Array.isArray(all.body) ? all.body : []).find((x) => x.id === id);
    if (!w) throw new NotFoundException(`no warning ${id}`);
    res.type('image/svg+xml').setHeader('cache-control', 'no-store');
    res.send(await this.chart(page, w, county));
  }

  private async chart(
    page: PageContext,
    w: Pick<TrackerWarning, 'id' | 'seq' | 'headline'>,
    county?: string,
  ) {
    const q = county && DIVISION_CODE.test(county) ? `?county=${county}` : '';
    const p = await this.backends.call<ProgressData>(
      'tracker',
      `/api/callouts/warnings/${encodeURIComponent(w.id)}/progress${q}`,
      { as: this.as(page) },
    );
    const title = `#${w.seq} ${w.headline ?? ''}${q ? ` · ${divisionName(county!)}` : ''}`;
    return progressSvg(p.body ?? { startedAt: null, total: 0, confirmedAt: [] }, { title, lang: page.lang });
  }

  private as(page: PageContext): BackendUser {
    return backendUserOf(page.session!);
  }

  private seesPersons(page: PageContext): void {
    if (page.session?.role === 'directory-admin')
      throw new ForbiddenException('persons are not shown to this role');
  }

  private async persons(page: PageContext, f: NotWokenFilter, limit: number, offset: number) {
    this.seesPersons(page);
    const r = await this.backends.call<NotWokenPersonRow[]>(
      'tracker',
      `/api/callouts/not-woken/page${trackerQuery(f, { limit, offset })}`,
      { as: this.as(page) },
    );
    return Array.isArray(r.body) ? r.body : [];
  }

  private personView(page: PageContext, p: NotWokenPersonRow) {
    return {
      ...p,
      roleName: p.role ? roleName(p.role, page.lang) : '',
      waitedFor: waited(p.created_at, Date.now(), page.lang),
    };
  }

  private async areaData(page: PageContext, area: string, query: Record<string, unknown>) {
    areaCodeOf(area);
    const filter = { ...notWokenFilterOf(query), area };
    const pageNo = Math.max(1, Math.floor(Number(query.page) || 1));
    const [counts, persons] = await Promise.all([
      this.backends.call<NotWokenCount[]>(
        'tracker',
        `/api/callouts/not-woken/groups${trackerQuery(filter)}`,
        {
          as: this.as(page),
        },
      ),
      this.persons(page, filter, AREA_PAGE_SIZE + 1, (pageNo - 1) * AREA_PAGE_SIZE),
    ]);
    const rows = Array.isArray(counts.body) ? counts.body : [];
    const grouped = groupNotWoken(rows);
    const warningIds = [...new Set(rows.map((r) => r.warning_id))];
    const warningsById = new Map(persons.map((p) => [p.warning_id, { id: p.warning_id, seq: p.seq }]));
    // Persons grouped by village in the order of each village's longest wait, longest first inside.
    const byVillage = new Map<
      string,
      { code: string; name: string; n: number; isVillage: boolean; persons: unknown[] }
    >();
    const villageCount = new Map(
      grouped.counties.flatMap((c) => c.townships.flatMap((t) => t.villages.map((v) => [v.code, v.n]))),
    );
    for (const p of persons.slice(0, AREA_PAGE_SIZE)) {
      const code = p.area_code ?? '';
      let v = byVillage.get(code);
      if (!v)
        byVillage.set(
          code,
          (v = {
            code,
            name: p.area_name ?? divisionName(code),
            n: villageCount.get(code) ?? 0,
            isVillage: DIVISION_CODE.test(code) && levelOfCode(code) === 'village',
            persons: [],
          }),
        );
      v.persons.push(this.personView(page, p));
    }
    const keep = { ...filter, area: undefined };
    return {
      area: {
        code: area,
        name: divisionName(area),
        n: grouped.total,
        isVillage: levelOfCode(area) === 'village',
      },
      warnings: warningIds.map((id) => warningsById.get(id) ?? { id, seq: '' }),
      villages: [...byVillage.values()],
      filter: keep,
      filterFields: Object.entries(keep)
        .filter(([, v]) => v)
        .map(([name, value]) => ({ name, value })),
      pageNo,
      prev: pageNo > 1 ? `/console/not-woken/${area}${filterQuery(keep, { page: pageNo - 1 })}` : null,
      next:
        persons.length > AREA_PAGE_SIZE
          ? `/console/not-woken/${area}${filterQuery(keep, { page: pageNo + 1 })}`
          : null,
      done: typeof query.done === 'string' ? query.done : null,
      failed: !!query.failed,
    };
  }

  private async taskData(page: PageContext, id: string) {
    this.seesPersons(page);
    const r = await this.backends.call<{ task: FieldTaskSummary; items: Record<string, unknown>[] }>(
      'tracker',
      `/api/callouts/field-tasks/${encodeURIComponent(id)}`,
      { as: this.as(page) },
    );
    if (r.status === 404) throw new NotFoundException(`no field task ${id}`);
    const { task, items } = r.body;
    return {
      task: {
        ...task,
        assigneeRole: roleName(task.assignee_role, page.lang),
        age: waited(task.opened_at, task.closed_at ? Date.parse(task.closed_at) : Date.now(), page.lang),
        areaName: task.area_name ?? divisionName(task.area_code),
      },
      items: items.map((i, n) => ({
        ...i,
        n: n + 1,
        roleName: typeof i.role === 'string' ? roleName(i.role, page.lang) : '',
        open: !i.outcome,
      })),
    };
  }
}
