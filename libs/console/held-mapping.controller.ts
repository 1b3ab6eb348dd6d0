import { Body, Controller, Param, Post, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { backendUserOf, ConsoleBackends } from './console-backends';
import { ConsoleAuthGuard, Page, Permit } from './console-auth.guard';
import { ConsoleExceptionFilter } from './console-exception.filter';
import { ConsoleViews, PageContext } from './console-views';
import { LiveHub } from './live-hub';

/**
 * The board's "needs mapping" form: the duty officer names the divisions of a held warning in one
 * step; intake publishes it (and records who mapped what).
 */
@ApiExcludeController()
@Controller('console')
@UseGuards(ConsoleAuthGuard)
@UseFilters(ConsoleExceptionFilter)
export class HeldMappingController {
  constructor(
    private readonly views: ConsoleViews,
    private readonly backends: ConsoleBackends,
    private readonly hub: LiveHub,
  ) {}

  @Post('held/:id/mapping')
  @Permit('issue')
  async map(
    @Page() page: PageContext,
    @Param('id') id: string,
    @Body() body: { areaCodes?: string },
    @Res() res: Response,
  ) {
    const areas = String(body?.areaCodes ?? '')
      .split(/[\s,，、;；]+/)
      .filter(Boolean);
    const r = await this.backends.call<{ errors?: { field: string; message: string }[]; message?: string }>(
      'intake',
      `/api/warnings/held/${encodeURIComponent(id)}/mapping`,
      { method: 'POST', json: { areas }, as: backendUserOf(page.session!) },
    );
    this.hub.boardChanged();
    if (r.ok) return res.redirect(303, '/?done=1');
    const message =
      (r.body?.errors ?? []).map((e) => e.message).join('; ') || r.body?.message || `HTTP ${r.status}`;
    res
      .status(r.status)
      .type('html')
      .send(this.views.page('error', page, { status: r.status, message }));
  }
}
