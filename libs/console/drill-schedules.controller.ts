import { Body, Controller, Get, Param, Post, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { validBody } from '../common/valid-body';
import type { DrillSchedule } from '../drills/drill-schedule';
import { backendUserOf, ConsoleBackends } from './console-backends';
import { ConsoleAuthGuard, Page, Permit } from './console-auth.guard';
import { ConsoleExceptionFilter } from './console-exception.filter';
import { ConsoleViews, PageContext } from './console-views';
import {
  DRILL_FORM_SCHEMA,
  DrillForm,
  drillFormChoices,
  formToScheduleBody,
  scheduleToForm,
} from './drill-form';

interface StoredSchedule {
  id: string;
  spec: DrillSchedule;
  enabled: boolean;
  updatedBy: string;
  updatedAt: string;
  nextFires: string[];
}

/** "cron: is not a valid cron expression" → { field, message }, as the form shows errors. */
const fieldErrors = (errors: unknown): { field: string; message: string }[] =>
  (Array.isArray(errors) ? errors : [String(errors ?? 'refused')]).map((e) => {
    const m = /^([^:]+): (.*)$/.exec(String(e));
    return m ? { field: m[1], message: m[2] } : { field: '(body)', message: String(e) };
  });

const NEW_FORM: DrillForm = {
  cron: '0 10 1-7 * *',
  weekday: '1',
  timeZone: 'Asia/Shanghai',
  signal: 'flood/flash-flood-risk',
  level: 'orange',
  durationMinutes: '120',
  enabled: 'on',
};

/**
 * The duty officer's drill schedules (演练计划): list them with their next fires, create, edit,
 * disable / enable and remove one. The form only gathers the fields; intake's drill schedule API
 * validates and stores them, and its field errors are shown beside the form.
 */
@ApiExcludeController()
@Controller('console/drills')
@UseGuards(ConsoleAuthGuard)
@UseFilters(ConsoleExceptionFilter)
export class DrillSchedulesController {
  constructor(
    private readonly views: ConsoleViews,
    private readonly backends: ConsoleBackends,
  ) {}

  @Get()
  @Permit('issue')
  async list(@Page() page: PageContext) {
    return this.render(page, NEW_FORM, {});
  }

  @Get(':id/edit')
  @Permit('issue')
  async edit(@Page() page: PageContext, @Param('id') id: string, @Res() res: Response) {
    const s = await this.schedule(page, id);
    if (!s) return this.notFound(page, res, id);
    res.type('html').send(await this.render(page, scheduleToForm(s.spec), { editing: id }));
  }

  @Post()
  @Permit('issue')
  async create(@Page() page: PageContext, @Body() body: unknown, @Res() res: Response) {
    const form = validBody(DRILL_FORM_SCHEMA, body);
    const r = await this.backends.call<{ errors?: unknown }>('intake', '/api/drills/schedules', {
      method: 'POST',
      json: formToScheduleBody(form),
      as: backendUserOf(page.session!),
    });
    if (r.ok) return res.redirect(303, '/console/drills?saved=1');
    res
      .status(400)
      .type('html')
      .send(await this.render(page, form, { errors: fieldErrors(r.body?.errors) }));
  }

  @Post(':id')
  @Permit('issue')
  async update(
    @Page() page: PageContext,
    @Param('id') id: string,
    @Body() body: unknown,
    @Res() res: Response,
  ) {
    const form = validBody(DRILL_FORM_SCHEMA, body);
    const r = await this.put(page, id, formToScheduleBody(form));
    if (r.ok) return res.redirect(303, '/console/drills?saved=1');
    res
      .status(r.status === 404 ? 404 : 400)
      .type('html')
      .send(
        await this.render(page, form, {
          editing: id,
          errors: fieldErrors(r.body?.errors ?? r.body?.message),
        }),
      );
  }

  /** Disable or enable: the stored schedule with only `enabled` changed. */
  @Post(':id/enabled')
  @Permit('issue')
  async toggle(@Page() page: PageContext, @Param('id') id: string, @Res() res: Response) {
    const s = await this.schedule(page, id);
    if (!s) return this.notFound(page, res, id);
    await this.put(page, id, { ...s.spec, enabled: !s.enabled });
    res.redirect(303, '/console/drills?saved=1');
  }

  @Post(':id/delete')
  @Permit('issue')
  async remove(@Page() page: PageContext, @Param('id') id: string, @Res() res: Response) {
    await this.backends.call('intake', `/api/drills/schedules/${encodeURIComponent(id)}`, {
      method: 'DELETE',
      as: backendUserOf(page.session!),
    });
    res.redirect(303, '/console/drills?saved=1');
  }

  private notFound(page: PageContext, res: Response, id: string) {
    res
      .status(404)
      .type('html')
      .send(this.views.page('error', page, { status: 404, message: `no drill schedule ${id}` }));
  }

  private put(page: PageContext, id: string, json: unknown) {
    return this.backends.call<{ errors?: unknown; message?: string }>(
      'intake',
      `/api/drills/schedules/${encodeURIComponent(id)}`,
      { method: 'PUT', json, as: backendUserOf(page.session!) },
    );
  }

  private async schedules(page: PageContext): Promise<StoredSchedule[]> {
    const r = await this.backends.call<StoredSchedule[]>('intake', '/api/drills/schedules', {
      as: backendUserOf(page.session!),
    });
    return r.ok && Array.isArray(r.body) ? r.body : [];
  }

  private async schedule(page: PageContext, id: string) {
    return (await this.schedules(page)).find((s) => s.id === id);
  }

  private async render(page: PageContext, form: DrillForm, extra: Record<string, unknown>) {
    return this.views.page('drills', page, {
      schedules: await this.schedules(page),
      form,
      ...drillFormChoices(page.lang, form),
      ...extra,
    });
  }
}
