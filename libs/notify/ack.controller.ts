import { Body, Controller, Get, Inject, Param, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import { AckPage, AckPageOutcome, AckPages } from './ack-pages.usecase';

/** The HTTP status of each page outcome. */
const STATUS: Record<AckPageOutcome, number> = {
  shown: 200,
  forged: 403,
  expired: 410,
  'not-found': 404,
  refused: 400,
};

/**
 * The signed acknowledgement link. GET only shows the warning (link scanners fetch links by
 * themselves); confirming takes a POST from the page's button. No JavaScript needed.
 */
@Controller('ack')
export class AckController {
  constructor(@Inject(AckPages) private readonly pages: AckPages) {}

  private send(res: Response, page: AckPage) {
    res.status(STATUS[page.outcome]).type('html').setHeader('cache-control', 'no-store').send(page.html);
  }

  @Get(':token')
  async show(@Param('token') token: string, @Res() res: Response) {
    this.send(res, await this.pages.show(token));
  }

  @Post(':token')
  async confirm(@Param('token') token: string, @Res() res: Response) {
    this.send(res, await this.pages.confirm(token));
  }

  @Post(':token/feedback')
  async feedback(@Param('token') token: string, @Body() body: unknown, @Res() res: Response) {
    this.send(res, await this.pages.feedback(token, body));
  }
}
