import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Logger,
  Post,
  Query,
  Req,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { Response } from 'express';
import { z } from 'zod';
import { acceptedSecrets, signingKeysOf } from '../common/auth';
import { optionalText, validBody } from '../common/valid-body';
import { AppConfig } from '../config/config';
import { Db } from '../db/db';
import { CONFIG, DB } from '../infra/tokens';
import { ConsoleAuthGuard, ConsoleRequest, Page, Permit } from './console-auth.guard';
import { ConsoleExceptionFilter } from './console-exception.filter';
import { ConsoleRepository } from './console.repository';
import { ConsoleViews, PageContext } from './console-views';
import { dummyPasswordHash, verifyPassword } from './passwords';
import {
  LOGIN_FORM_SECONDS,
  loginCsrfToken,
  loginCsrfValid,
  newCsrfToken,
  newSessionId,
  readCookie,
  SESSION_COOKIE,
  signSessionId,
} from './session-cookie';

const LOGIN_CSRF_COOKIE = 'jy_login_csrf';
/** What newCsrfToken makes: 24 random bytes, base64url. */
const NONCE_SHAPE = /^[A-Za-z0-9_-]{32}$/;
/** The throttler (ConsoleModule) that limits sign-in attempts per address. */
export const LOGIN_THROTTLER = 'login';
const SESSION_TTL_SECONDS = 12 * 3600; // one duty shift

/**
 * The login form as a browser posts it: one text value per field. A repeated field (an array) or a
 * JSON body with an object where text belongs is a 400, before anything reads it.
 */
export const LOGIN_FORM_SCHEMA = z.object({
  username: optionalText(200),
  password: optionalText(1000),
  _csrf: optionalText(200),
  next: optionalText(2000),
});

/** Only same-site paths after login (never an open redirect). */
const safeNext = (n: unknown) => (typeof n === 'string' && /^\/(?!\/)[^\s\\]*$/.test(n) ? n : '/');

/**
 * Sign in and out. The login form is protected by a token bound to a cookie nonce with the secret
 * (no session exists yet); every later form by the session's synchronizer token. Sign-in attempts
 * are limited per address (LOGIN_ATTEMPTS_PER_ADDRESS per LOGIN_ADDRESS_WINDOW_SECONDS, 429 beyond)
 * and per user (LOGIN_LOCKOUT_AFTER wrong passwords in a row lock the user for LOGIN_LOCKOUT_MINUTES;
 * `npm run users -- unlock NAME` lifts it). Every attempt costs one scrypt, known user or not.
 */
@ApiExcludeController()
@Controller()
@UseGuards(ConsoleAuthGuard)
@UseFilters(ConsoleExceptionFilter)
export class LoginController {
  private readonly repo: ConsoleRepository;
  private readonly logger = new Logger('console-login');

  constructor(
    private readonly views: ConsoleViews,
    @Inject(CONFIG) private readonly cfg: AppConfig,
    @Inject(DB) db: Db,
  ) {
    this.repo = new ConsoleRepository(db);
    void dummyPasswordHash(); // made at start, so the first unknown name is not slower either
  }

  @Get('login')
  @Permit('public')
  form(
    @Page() page: PageContext,
    @Req() req: ConsoleRequest,
    @Res() res: Response,
    @Query('next') next?: string,
    failed = false,
  ) {
    // A nonce the browser already holds is kept: a second login page (another tab, or a page's own
    // request redirected here once its session ended) must not void the form already open.
    const held = readCookie(req.headers.cookie, LOGIN_CSRF_COOKIE);
    const nonce = held && NONCE_SHAPE.test(held) ? held : newCsrfToken();
    res.cookie(LOGIN_CSRF_COOKIE, nonce, {
      httpOnly: true,
      sameSite: 'strict',
      path: '/login',
      maxAge: LOGIN_FORM_SECONDS * 1000,
    });
    const token = loginCsrfToken(nonce, signingKeysOf(this.cfg).current);
    res
      .status(failed ? 401 : 200)
      .type('html')
      .send(this.views.page('login', page, { loginCsrf: token, next: safeNext(next), failed }));
  }

  @Post('login')
  @Permit('public')
  @UseGuards(ThrottlerGuard)
  @HttpCode(303)
  async login(
    @Page() page: PageContext,
    @Req() req: ConsoleRequest,
    @Res() res: Response,
    @Body() raw: unknown,
  ) {
    const body = validBody(LOGIN_FORM_SCHEMA, raw);
    const nonce = readCookie(req.headers.cookie, LOGIN_CSRF_COOKIE);
    if (!loginCsrfValid(nonce, body._csrf, acceptedSecrets(signingKeysOf(this.cfg)))) {
      res
        .status(403)
        .type('html')
        .send(this.views.page('error', page, { status: 403, message: 'CSRF', forbidden: true }));
      return;
    }
    const username = body.username ?? '';
    const password = body.password ?? '';
    const next = body.next;
    const user = username ? await this.repo.user(username) : undefined;
    // One scrypt for every attempt: against a dummy hash when the name is unknown, and also while
    // the user is locked, so neither shows in the time an answer takes.
    const passwordOk = await verifyPassword(password, user?.password_hash ?? (await dummyPasswordHash()));
    const who = `${JSON.stringify(username.slice(0, 100))} from ${req.ip}`;
    if (!user) {
      this.logger.warn(`sign-in refused for ${who}: no such user`);
      return this.form(page, req, res, next, true);
    }
    const failed = passwordOk
      ? undefined
      : await this.repo.recordFailedLogin(
          user.username,
          this.cfg.LOGIN_LOCKOUT_AFTER,
          this.cfg.LOGIN_LOCKOUT_MINUTES * 60,
        );
    const lockedUntil = failed?.lockedUntil ?? user.locked_until;
    if (failed || lockedUntil) {
      this.logger.warn(
        `sign-in refused for ${who}: ${failed ? `wrong password (${failed.failed} in a row)` : 'right password'}` +
          (lockedUntil ? `, locked until ${lockedUntil.toISOString()}` : ''),
      );
      return this.form(page, req, res, next, true);
    }
    await this.repo.clearFailedLogins(user.username);
    this.logger.log(`signed in: ${who} (${user.role})`);
    const sid = newSessionId();
    await this.repo.createSession(sid, user.username, newCsrfToken(), SESSION_TTL_SECONDS);
    res.clearCookie(LOGIN_CSRF_COOKIE, { path: '/login' });
    res.cookie(SESSION_COOKIE, signSessionId(sid, signingKeysOf(this.cfg).current), {
      httpOnly: true,
      sameSite: 'lax',
      path: '/',
      secure: (this.cfg.PUBLIC_BASE_URL ?? '').startsWith('https:'),
      maxAge: SESSION_TTL_SECONDS * 1000,
    });
    res.redirect(303, safeNext(next));
  }

  @Post('console/logout')
  @Permit('view-board')
  async logout(@Req() req: ConsoleRequest, @Res() res: Response) {
    if (req.consoleSession) await this.repo.deleteSession(req.consoleSession.id);
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    res.redirect(303, '/login');
  }
}
