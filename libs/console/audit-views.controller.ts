import { Controller, Get, Param, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { ConsoleBackends } from './console-backends';
import { ConsoleAuthGuard, ConsoleRequest, Page, Permit } from './console-auth.guard';
import { ConsoleExceptionFilter } from './console-exception.filter';
import { ConsoleViews, PageContext } from './console-views';

const enc = encodeURIComponent;

/** Download headers passed through from the audit API. */
const PASS_HEADERS = ['content-type', 'content-disposition'];

/**
 * The auditor's views. Every read goes to the audit API with a short-lived token in the auditor's
 * own name, so the audit ledger records who read which personal data.
 */
@ApiExcludeController()
@Controller('console/audit')
@UseGuards(ConsoleAuthGuard)
@UseFilters(ConsoleExceptionFilter)
export class AuditViewsController {
  constructor(
    private readonly views: ConsoleViews,
    private readonly backends: ConsoleBackends,
  ) {}

  @Get()
  @Permit('audit')
  async list(@Page() page: PageContext, @Req() req: ConsoleRequest) {
    const actor = this.actor(req);
    const [warnings, verify] = await Promise.all([
      this.backends.call<{ real: unknown[]; drill: unknown[] }>('audit', '/api/audit/warnings', {
        auditor: actor,
      }),
      this.backends.call<{ ok: boolean }>('audit', '/api/audit/verify', { auditor: actor }),
    ]);
    return this.views.page('audit-list', page, {
      real: warnings.body?.real ?? [],
      drill: warnings.body?.drill ?? [],
      verify: verify.body,
    });
  }

  @Get('warnings/:id')
  @Permit('audit')
  async warning(@Page() page: PageContext, @Param('id') id: string, @Req() req: ConsoleRequest) {
    const actor = this.actor(req);
    const base = `/api/audit/warnings/${enc(id)}`;
    const [timeline, persons, areas, verify] = await Promise.all([
      this.backends.call<Record<string, unknown>>('audit', `${base}/timeline`, { auditor: actor }),
      this.backends.call<Record<string, unknown>>('audit', `${base}/persons`, { auditor: actor }),
      this.backends.call<Record<string, unknown>>('audit', `${base}/areas`, { auditor: actor }),
      this.backends.call<{ ok: boolean; chains: unknown[] }>(
        'audit',
        `/api/audit/verify?warningId=${enc(id)}`,
        {
          auditor: actor,
        },
      ),
    ]);
    if (!timeline.ok) {
      return this.views.page('error', page, { status: timeline.status, message: `no audit chain for ${id}` });
    }
    return this.views.page('audit-warning', page, {
      id,
      warning: timeline.body.warning,
      summary: timeline.body.summary,
      timeline: timeline.body.timeline,
      persons: persons.body?.persons ?? [],
      counties: areas.body?.counties ?? [],
      townships: areas.body?.townships ?? [],
      verify: verify.body,
    });
  }

  /** CSV / JSON exports and the printable report, passed through from the audit API. */
  @Get('warnings/:id/:file')
  @Permit('audit')
  async download(
    @Param('id') id: string,
    @Param('file') file: string,
    @Req() req: ConsoleRequest,
    @Res() res: Response,
  ) {
    const allowed = ['export.csv', 'export.json', 'report'];
    if (!allowed.includes(file)) return res.status(404).send('not found');
    const q = typeof req.query.view === 'string' ? `?view=${enc(req.query.view)}` : '';
    const upstream = await this.backends.fetch('audit', `/api/audit/warnings/${enc(id)}/${file}${q}`, {
      headers: { authorization: `Bearer ${this.backends.auditorToken(this.actor(req))}` },
    });
    res.status(upstream.status);
    for (const h of PASS_HEADERS) {
      const v = upstream.headers.get(h);
      if (v) res.setHeader(h, v);
    }
    if (file === 'export.json' && upstream.ok)
      res.setHeader('content-disposition', `attachment; filename="audit-${enc(id)}.json"`);
    res.send(Buffer.from(await upstream.arrayBuffer()));
  }

  private actor(req: ConsoleRequest): string {
    return `console:${req.consoleSession!.username}`;
  }
}
