import {
  Body,
  Controller,
  Get,
  Inject,
  Param,
  Post,
  Query,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { validBody } from '../common/valid-body';
import { AppConfig } from '../config/config';
import { CONFIG } from '../infra/tokens';
import { MessageTemplates } from '../templates/message-templates';
import { previewCapacity } from './capacity-preview';
import { backendUserOf, ConsoleBackends } from './console-backends';
import { ConsoleAuthGuard, Page, Permit } from './console-auth.guard';
import { ConsoleExceptionFilter } from './console-exception.filter';
import { ConsoleViews, PageContext } from './console-views';
import {
  formToIntakeBody,
  IntakeBody,
  isoToBeijingLocal,
  levelChoices,
  previewMessages,
  signalChoices,
  WARNING_FORM_SCHEMA,
  WarningForm,
} from './warning-form';

interface IntakeError {
  field: string;
  message: string;
}

/**
 * Issue, update and cancel a warning. The form only gathers the fields; the request goes to intake's
 * API like any other client's, and intake's field errors are shown beside the form.
 */
@ApiExcludeController()
@Controller('console')
@UseGuards(ConsoleAuthGuard)
@UseFilters(ConsoleExceptionFilter)
export class WarningFormController {
  constructor(
    private readonly views: ConsoleViews,
    private readonly backends: ConsoleBackends,
    private readonly templates: MessageTemplates,
    @Inject(CONFIG) private readonly cfg: AppConfig,
  ) {}

  @Get('warnings/new')
  @Permit('issue')
  async newForm(@Page() page: PageContext) {
    const expires = isoToBeijingLocal(new Date(Date.now() + 12 * 3600_000));
    return this.render(page, { expires, signal: 'meteorological/rainstorm', level: 'orange' }, {});
  }

  /** The area picker's children of one division (the directory's tree), as JSON for the page script. */
  @Get('divisions')
  @Permit('issue')
  async divisions(@Page() page: PageContext, @Query('parent') parent?: string) {
    const q = parent ? `?parent=${encodeURIComponent(parent)}` : '';
    const as = backendUserOf(page.session!);
    return (await this.backends.call('directory', `/api/directory/divisions${q}`, { as })).body;
  }

  /** op=preview re-renders the form with the SMS and voice text; op=send issues through intake. */
  @Post('warnings')
  @Permit('issue')
  async issue(@Page() page: PageContext, @Body() form: unknown, @Res() res: Response) {
    return this.submit(page, validBody(WARNING_FORM_SCHEMA, form), res, undefined);
  }

  @Get('warnings/:id/edit')
  @Permit('issue')
  async editForm(@Page() page: PageContext, @Param('id') id: string) {
    const w = await this.backends.call<{ warning: Record<string, unknown> }>(
      'tracker',
      `/api/callouts/warnings/${encodeURIComponent(id)}`,
      { as: backendUserOf(page.session!) },
    );
    const content = ((w.body?.warning as { content?: Record<string, unknown> })?.content ?? {}) as Record<
      string,
      unknown
    >;
    const form: WarningForm = {
      signal: `${String(content.hazard ?? '')}/${String(content.subtype ?? '')}`,
      level: String(content.level ?? ''),
      headline: String(content.headline ?? ''),
      description: content.description as string | undefined,
      instruction: content.instruction as string | undefined,
      areaCodes: ((content.areas as { code: string }[] | undefined) ?? []).map((a) => a.code).join(', '),
      expires: content.expires ? isoToBeijingLocal(String(content.expires)) : '',
      drill: content.status === 'Exercise' ? 'on' : undefined,
    };
    return this.render(page, form, { editing: id, mappings: content.areas ?? [] });
  }

  @Post('warnings/:id/update')
  @Permit('issue')
  async update(
    @Page() page: PageContext,
    @Param('id') id: string,
    @Body() form: unknown,
    @Res() res: Response,
  ) {
    return this.submit(page, validBody(WARNING_FORM_SCHEMA, form), res, id);
  }

  @Post('warnings/:id/cancel')
  @Permit('issue')
  async cancel(@Page() page: PageContext, @Param('id') id: string, @Res() res: Response) {
    const r = await this.backends.call<{ id: string; errors?: IntakeError[]; message?: string }>(
      'intake',
      `/api/warnings/${encodeURIComponent(id)}/cancel`,
      { method: 'POST', json: {}, as: backendUserOf(page.session!) },
    );
    if (r.ok) return res.redirect(303, '/?done=1');
    res
      .status(r.status)
      .type('html')
      .send(
        this.views.page('error', page, { status: r.status, message: r.body?.message ?? 'cancel refused' }),
      );
  }

  private async submit(page: PageContext, form: WarningForm & { op?: string }, res: Response, id?: string) {
    const body = formToIntakeBody(form);
    const shape = await this.polygonAreas(page, form.geojson);
    if ('error' in shape)
      return res
        .status(400)
        .type('html')
        .send(this.render(page, form, { editing: id, errors: [{ field: 'geojson', message: shape.error }] }));
    if (shape.villages) {
      const known = new Set(body.areas.map((a) => a.code));
      const add = shape.villages.filter((v) => !known.has(v.code));
      body.areas.push(
        ...add.map((v) => ({ code: v.code, name: v.name, how: 'polygon', via: 'GeoJSON polygon' })),
      );
      body.geometry = shape.shapes;
    }
    if (form.op === 'areas')
      return res
        .status(200)
        .type('html')
        .send(this.render(page, form, { editing: id, covered: shape.villages ?? [] }));
    if (form.op === 'preview') {
      return res
        .status(200)
        .type('html')
        .send(this.render(page, form, { editing: id, preview: this.preview(body, page) }));
    }
    const r = await this.backends.call<{ id: string; errors?: IntakeError[]; message?: string }>(
      'intake',
      id ? `/api/warnings/${encodeURIComponent(id)}` : '/api/warnings',
      { method: id ? 'PUT' : 'POST', json: body, as: backendUserOf(page.session!) },
    );
    if (r.ok) return res.redirect(303, `/?done=1&issued=${encodeURIComponent(r.body.id)}`);
    const errors = r.body?.errors ?? [{ field: '(body)', message: r.body?.message ?? `HTTP ${r.status}` }];
    res
      .status(r.status === 404 ? 404 : 400)
      .type('html')
      .send(this.render(page, form, { editing: id, errors }));
  }

  /** The villages a pasted GeoJSON polygon covers, as intake computes them from the directory's points. */
  private async polygonAreas(
    page: PageContext,
    geojson: string | undefined,
  ): Promise<{ villages?: { code: string; name: string }[]; shapes?: unknown } | { error: string }> {
    if (!geojson?.trim()) return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(geojson);
    } catch (e) {
      return { error: `GeoJSON: ${(e as Error).message}` };
    }
    const r = await this.backends.call<{
      villages: { code: string; name: string }[];
      shapes: unknown;
      message?: string;
    }>('intake', '/api/warnings/areas/preview', {
      method: 'POST',
      json: { geojson: parsed },
      as: backendUserOf(page.session!),
    });
    if (!r.ok) return { error: `GeoJSON: ${r.body?.message ?? `HTTP ${r.status}`}` };
    return { villages: r.body.villages, shapes: r.body.shapes };
  }

  private preview(body: IntakeBody, page: PageContext) {
    try {
      return {
        ...previewMessages(this.templates, body, {
          lang: page.lang,
          publicBaseUrl: this.cfg.PUBLIC_BASE_URL,
          sender: this.cfg.INTAKE_SENDER,
        }),
        capacity: previewCapacity(this.cfg, body),
      };
    } catch (e) {
      return { error: (e as Error).message };
    }
  }

  private render(page: PageContext, form: WarningForm, extra: Record<string, unknown>) {
    const picked = ([] as string[]).concat(form.areas ?? []).map((a) => {
      const [code, name] = a.split('|');
      return { value: a, code, name: name ?? code };
    });
    return this.views.page('warning-form', page, {
      form,
      picked,
      signals: signalChoices(page.lang, form.signal),
      levels: levelChoices(page.lang, form.level),
      action: extra.editing
        ? `/console/warnings/${encodeURIComponent(String(extra.editing))}/update`
        : '/console/warnings',
      ...extra,
    });
  }
}
