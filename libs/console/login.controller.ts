import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Post,
  Query,
  Req,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { AppConfig } from '../config/config';
import { Db } from '../db/db';
import { CONFIG, DB } from '../infra/tokens';
import { csrfMatches } from './access-policy';
import { ConsoleAuthGuard, ConsoleRequest, Page, Permit } from './console-auth.guard';
import { ConsoleExceptionFilter } from './console-exception.filter';
import { ConsoleRepository } from './console.repository';
import { ConsoleViews, PageContext } from './console-views';
import { verifyPassword } from './passwords';
import { newCsrfToken, newSessionId, readCookie, SESSION_COOKIE, signSessionId } from './session-cookie';

const LOGIN_CSRF_COOKIE = 'jy_login_csrf';
const SESSION_TTL_SECONDS = 12 * 3600; // one duty shift

/** Only same-site paths after login (never an open redirect). */
const safeNext = (n: unknown) => (typeof n === 'string' && /^\/(?!\/)[^\s\\]*$/.test(n) ? n : '/');

/**
 * Sign in and out. The login form is protected by a double-submit token (no session exists yet);
 * every later form by the session's synchronizer token.
 */
@ApiExcludeController()
@Controller()
@UseGuards(ConsoleAuthGuard)
@UseFilters(ConsoleExceptionFilter)
export class LoginController {
  private readonly repo: ConsoleRepository;

  constructor(
    private readonly views: ConsoleViews,
    @Inject(CONFIG) private readonly cfg: AppConfig,
    @Inject(DB) db: Db,
  ) {
    this.repo = new ConsoleRepository(db);
  }

  @Get('login')
  @Permit('public')
  form(@Page() page: PageContext, @Res() res: Response, @Query('next') next?: string, failed = false) {
    const token = newCsrfToken();
    res.cookie(LOGIN_CSRF_COOKIE, token, { httpOnly: true, sameSite: 'strict', path: '/login' });
    res
      .status(failed ? 401 : 200)
      .type('html')
      .send(this.views.page('login', page, { loginCsrf: token, next: safeNext(next), failed }));
  }

  @Post('login')
  @Permit('public')
  @HttpCode(303)
  async login(
    @Page() page: PageContext,
    @Req() req: ConsoleRequest,
    @Res() res: Response,
    @Body() body: { username?: string; password?: string; _csrf?: string; next?: string },
  ) {
    const expected = readCookie(req.headers.cookie, LOGIN_CSRF_COOKIE);
    if (!expected || !csrfMatches(expected, body?._csrf)) {
      res
        .status(403)
        .type('html')
        .send(this.views.page('error', page, { status: 403, message: 'CSRF', forbidden: true }));
      return;
    }
    const user = body.username ? await this.repo.user(String(body.username)) : undefined;
    if (!user || !(await verifyPassword(String(body.password ?? ''), user.password_hash))) {
      return this.form(page, res, body.next, true);
    }
    const sid = newSessionId();
    await this.repo.createSession(sid, user.username, newCsrfToken(), SESSION_TTL_SECONDS);
    res.clearCookie(LOGIN_CSRF_COOKIE, { path: '/login' });
    res.cookie(SESSION_COOKIE, signSessionId(sid, this.cfg.SIGNING_SECRET ?? ''), {
      httpOnly: true,
      sameSite: 'lax',
      path: '/',
      secure: (this.cfg.PUBLIC_BASE_URL ?? '').startsWith('https:'),
      maxAge: SESSION_TTL_SECONDS * 1000,
    });
    res.redirect(303, safeNext(body.next));
  }

  @Post('console/logout')
  @Permit('view-board')
  async logout(@Req() req: ConsoleRequest, @Res() res: Response) {
    if (req.consoleSession) await this.repo.deleteSession(req.consoleSession.id);
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    res.redirect(303, '/login');
  }
}
