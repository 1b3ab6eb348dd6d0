import { Body, Controller, Get, Inject, Param, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import { NotifyService, WebPage } from './notify.service';
import { NOTIFY_SERVICE } from './notify.tokens';

/**
 * The signed acknowledgement link. GET only shows the warning (link scanners fetch links by
 * themselves); confirming takes a POST from the page's button. No JavaScript needed.
 */
@Controller('ack')
export class AckController {
  constructor(@Inject(NOTIFY_SERVICE) private readonly notify: NotifyService) {}

  private send(res: Response, page: WebPage) {
    res.status(page.status).type('html').setHeader('cache-control', 'no-store').send(page.html);
  }

  @Get(':token')
  async show(@Param('token') token: string, @Res() res: Response) {
    this.send(res, await this.notify.ackPage(token));
  }

  @Post(':token')
  async confirm(@Param('token') token: string, @Res() res: Response) {
    this.send(res, await this.notify.ackConfirm(token));
  }

  @Post(':token/feedback')
  async feedback(@Param('token') token: string, @Body() body: unknown, @Res() res: Response) {
    this.send(res, await this.notify.ackFeedback(token, body));
  }
}
