import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { BackendUnavailable } from './console-backends';
import { ConsoleRequest, LoginRequired } from './console-auth.guard';
import { ConsoleViews } from './console-views';

/**
 * Console errors as people see them: a signed-out page view goes to /login; a browser gets an error
 * page in its language; a script (fetch with Accept: application/json) gets JSON.
 */
@Catch()
export class ConsoleExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('console');

  constructor(private readonly views: ConsoleViews) {}

  catch(e: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<ConsoleRequest>();
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) return void res.end();
    if (e instanceof LoginRequired) {
      return res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
    }
    let status = 500;
    let message = 'internal error';
    if (e instanceof HttpException) {
      status = e.getStatus();
      const r = e.getResponse();
      message = typeof r === 'string' ? r : String((r as { message?: unknown }).message ?? e.message);
    } else if (e instanceof BackendUnavailable) {
      status = 502;
      message = e.message;
    } else {
      this.logger.error((e as Error)?.stack ?? String(e));
    }
    res.status(status);
    if (/json/.test(req.headers.accept ?? '') && !/html/.test(req.headers.accept ?? '')) {
      res.json({ statusCode: status, message });
      return;
    }
    const ctx = {
      lang: req.consoleLang ?? 'zh-CN',
      session: req.consoleSession ?? null,
      path: req.path,
    } as const;
    res.type('html').send(this.views.page('error', ctx, { status, message, forbidden: status === 403 }));
  }
}
