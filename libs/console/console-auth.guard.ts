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
import { Db } from '../db/db';
import { CONFIG, DB } from '../infra/tokens';
import { ConsoleAction, decideAccess } from './access-policy';
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

/** The CSRF token a request carries: hidden form field, header (fetch), or query (multipart uploads). */
export function csrfOf(req: Request): string | undefined {
  const body = req.body as Record<string, unknown> | undefined;
  const fromBody = body && typeof body._csrf === 'string' ? body._csrf : undefined;
  const header = req.headers['x-csrf-token'];
  const fromQuery = typeof req.query?._csrf === 'string' ? req.query._csrf : undefined;
  return fromBody ?? (typeof header === 'string' ? header : undefined) ?? fromQuery;
}

/**
 * Every console route: loads the session from the signed cookie and the language (?lang=en is
 * remembered in a cookie), then applies decideAccess(): signed in, CSRF token on every POST, role.
 */
@Injectable()
export class ConsoleAuthGuard implements CanActivate {
  private readonly repo: ConsoleRepository;

  constructor(
    private readonly reflector: Reflector,
    @Inject(CONFIG) private readonly cfg: AppConfig,
    @Inject(DB) db: Db,
  ) {
    this.repo = new ConsoleRepository(db);
  }

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
    const d = decideAccess({
      method: req.method,
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
