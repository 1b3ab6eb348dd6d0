import {
  Body,
  Controller,
  Get,
  Header,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { z } from 'zod';
import { optionalText, validBody } from '../common/valid-body';
import { backendUserOf, ConsoleBackends } from './console-backends';
import { ConsoleAuthGuard, ConsoleRequest, Page, Permit } from './console-auth.guard';
import { ConsoleExceptionFilter } from './console-exception.filter';
import { ConsoleViews, PageContext } from './console-views';
import { BoardService, notWokenFilterOf } from './board.service';
import { LiveHub } from './live-hub';

/** The not-woken list's "reached in person" form (the CSRF field is checked by the guard). */
const REACHED_FORM = z.object({ note: optionalText(2000) });

const wantsJson = (req: ConsoleRequest) =>
  /json/.test(req.headers.accept ?? '') && !/html/.test(req.headers.accept ?? '');

/** The duty-officer board (/), its live fragment and events, and the one-click not-woken actions. */
@ApiExcludeController()
@Controller()
@UseGuards(ConsoleAuthGuard)
@UseFilters(ConsoleExceptionFilter)
export class BoardController {
  constructor(
    private readonly views: ConsoleViews,
    private readonly board: BoardService,
    private readonly backends: ConsoleBackends,
    private readonly hub: LiveHub,
  ) {}

  @Get()
  @Permit('view-board')
  @Header('cache-control', 'no-store')
  async page(@Page() page: PageContext, @Query() query: Record<string, unknown>) {
    const { done, failed } = query;
    return this.views.page('board', page, {
      board: await this.board.load(page.session!, notWokenFilterOf(query)),
      done: !!done,
      failed: !!failed,
    });
  }

  /** The live part of the board alone: browsers fetch it when an event says the board changed. */
  @Get('console/board/fragment')
  @Permit('view-board')
  @Header('cache-control', 'no-store')
  async fragment(@Page() page: PageContext, @Query() query: Record<string, unknown>) {
    return this.views.fragment('board-live', page, {
      board: await this.board.load(page.session!, notWokenFilterOf(query)),
    });
  }

  /**
   * What the board shows, as JSON (for scripts and wall displays): the active warnings with their
   * counts, areas and first round's predicted vs actual (`capacity`), the not-woken groups, alerts.
   */
  @Get('console/board.json')
  @Permit('view-board')
  @Header('cache-control', 'no-store')
  async json(@Page() page: PageContext, @Query() query: Record<string, unknown>) {
    return this.board.load(page.session!, notWokenFilterOf(query));
  }

  /** Server-sent events: "board" (call-outs moved), "alert", "dlq". */
  @Get('console/events')
  @Permit('view-board')
  events(@Req() req: ConsoleRequest, @Res() res: Response) {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    const off = this.hub.subscribe({ write: (c) => res.write(c) });
    req.on('close', off);
  }

  @Post('console/callouts/:id/reached')
  @Permit('act')
  async reached(
    @Param('id') id: string,
    @Body() raw: unknown,
    @Req() req: ConsoleRequest,
    @Res() res: Response,
  ) {
    const body = validBody(REACHED_FORM, raw);
    const r = await this.backends.call('tracker', `/api/callouts/${encodeURIComponent(id)}/reached`, {
      method: 'POST',
      // Who marked it is the token's actor (console:<username>), not a field the tracker would trust.
      json: { note: body.note ?? '' },
      as: backendUserOf(req.consoleSession!),
    });
    return this.after(req, res, r.ok, r.body);
  }

  @Post('console/callouts/:id/recall')
  @Permit('act')
  async recall(@Param('id') id: string, @Req() req: ConsoleRequest, @Res() res: Response) {
    const r = await this.backends.call('tracker', `/api/callouts/${encodeURIComponent(id)}/recall`, {
      method: 'POST',
      json: {},
      as: backendUserOf(req.consoleSession!),
    });
    return this.after(req, res, r.ok, r.body);
  }

  private after(req: ConsoleRequest, res: Response, ok: boolean, body: unknown) {
    this.hub.boardChanged();
    if (wantsJson(req)) return res.status(ok ? 202 : 400).json(body);
    res.redirect(303, ok ? '/?done=1' : '/?failed=1');
  }
}
