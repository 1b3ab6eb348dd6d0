import {
  CanActivate,
  createParamDecorator,
  ExecutionContext,
  ForbiddenException,
  HttpException,
  Inject,
  Injectable,
  SetMetadata,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { acceptedSecrets, signingKeysOf } from '../common/auth';
import { AppConfig } from '../config/config';
import { CONFIG } from '../infra/tokens';
import { ConsoleAction, csrfMatches, decideAccess } from './access-policy';
import { ConsoleLang, langOf } from './console-i18n';
import { ConsoleRepository, ConsoleSession } from './console.repository';
import { PageContext } from './console-views';
import { LANG_COOKIE, readCookie, SESSION_COOKIE, unsignSessionId } from './session-cookie';

const ACTION_KEY = 'console:action';

/** The action a console route performs ('public' = the login page and static assets). */
export const Permit = (action: ConsoleAction | 'public') => SetMetadata(ACTION_KEY, action);

export type ConsoleRequest = Request & { consoleSession?: ConsoleSession | null; consoleLang?: ConsoleLang };

/** A signed-out browser asked for a page: the exception filter sends it to /login. */
export class LoginRequired extends UnauthorizedException {}

/**
 * The CSRF token a request carries: hidden form field or header (fetch). Never the query string:
 * URLs end up in logs, history and Referer headers.
 */
export function csrfOf(req: Request): string | undefined {
  const body = req.body as Record<string, unknown> | undefined;
  const fromBody = body && typeof body._csrf === 'string' ? body._csrf : undefined;
  const header = req.headers['x-csrf-token'];
  return fromBody ?? (typeof header === 'string' ? header : undefined);
}

const MULTIPART_CSRF_KEY = 'console:multipart-csrf';

/**
 * A multipart route: its body (with the form's _csrf field) is parsed after the guard, so the guard
 * leaves the CSRF check of a multipart request to assertMultipartCsrf() in the handler.
 */
export const CsrfInMultipartBody = () => SetMetadata(MULTIPART_CSRF_KEY, true);

/** The handler's half of CsrfInMultipartBody: the parsed form's _csrf must be the session's. */
export function assertMultipartCsrf(req: ConsoleRequest): void {
  if (!req.consoleSession || !csrfMatches(req.consoleSession.csrf, csrfOf(req)))
    throw new ForbiddenException('missing or wrong CSRF token');
}

/**
 * Every console route: loads the session from the signed cookie and the language (?lang=en is
 * remembered in a cookie), then applies decideAccess(): signed in, CSRF token on every POST, role.
 */
@Injectable()
export class ConsoleAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(CONFIG) private readonly cfg: AppConfig,
    private readonly repo: ConsoleRepository,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<ConsoleRequest>();
    const res = ctx.switchToHttp().getResponse<Response>();
    const asked = langOf(req.query?.lang);
    if (asked) res.cookie(LANG_COOKIE, asked, { httpOnly: true, sameSite: 'lax', path: '/' });
    req.consoleLang = asked ?? langOf(readCookie(req.headers.cookie, LANG_COOKIE)) ?? 'zh-CN';
    const sid = this.cfg.SIGNING_SECRET
      ? unsignSessionId(
          readCookie(req.headers.cookie, SESSION_COOKIE),
          acceptedSecrets(signingKeysOf(this.cfg)),
        )
      : null;
    req.consoleSession = sid ? ((await this.repo.session(sid)) ?? null) : null;

    const action = this.reflector.getAllAndOverride<ConsoleAction | 'public'>(ACTION_KEY, [
      ctx.getHandler(),
      ctx.getClass(),
    ]);
    if (action === 'public') return true;
    if (!action) throw new ForbiddenException('route declares no console action');
    const deferCsrf =
      this.reflector.get<boolean>(MULTIPART_CSRF_KEY, ctx.getHandler()) === true &&
      /^multipart\/form-data/i.test(req.headers['content-type'] ?? '');
    const d = decideAccess({
      method: deferCsrf ? 'GET' : req.method,
      action,
      session: req.consoleSession,
      csrfGiven: csrfOf(req),
    });
    if (d.allow) return true;
    if (d.redirectToLogin) throw new LoginRequired(d.reason);
    throw new HttpException({ statusCode: d.status, message: d.reason }, d.status);
  }
}

/** The page context of the request (language, session, path) for ConsoleViews. */
export const Page = createParamDecorator((_: unknown, ctx: ExecutionContext): PageContext => {
  const req = ctx.switchToHttp().getRequest<ConsoleRequest>();
  return { lang: req.consoleLang ?? 'zh-CN', session: req.consoleSession ?? null, path: req.path };
});
