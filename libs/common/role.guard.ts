import {
  applyDecorators,
  CanActivate,
  createParamDecorator,
  ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  SetMetadata,
  UnauthorizedException,
  UseGuards,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Request } from 'express';
import { AppConfig } from '../config/config';
import { CONFIG } from '../infra/tokens';
import { RoleClaims, verifyRoleToken } from './auth';

/** The roles an HTTP API admits (the console's roles; machine clients get tokens of these too). */
export const API_ROLES = ['duty-officer', 'auditor', 'directory-admin'] as const;
export type ApiRole = (typeof API_ROLES)[number];

const ROLES_KEY = 'api:roles';

export type RoleCheck = { ok: true; claims: RoleClaims } | { ok: false; status: 401 | 403; reason: string };

/**
 * The whole rule as plain logic: a bearer token signed with SIGNING_SECRET (libs/common/auth.ts),
 * not expired (401 otherwise), whose role is one of `allowed` (403 otherwise). Without a secret
 * configured nothing is let in.
 */
export function checkBearer(
  authorization: string | undefined,
  secret: string | undefined,
  allowed: readonly string[],
  now: Date = new Date(),
): RoleCheck {
  if (!secret) return { ok: false, status: 401, reason: 'SIGNING_SECRET is not set: this API admits no one' };
  const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  if (!m) return { ok: false, status: 401, reason: 'a bearer token is required' };
  const check = verifyRoleToken(m[1], secret, now);
  if (!check.ok) return { ok: false, status: 401, reason: `token refused: ${check.reason}` };
  if (!allowed.includes(check.claims.role))
    return {
      ok: false,
      status: 403,
      reason: `the ${check.claims.role} role may not do this (needs ${allowed.join(' or ')})`,
    };
  return { ok: true, claims: check.claims };
}

export type RoleRequest = Request & { roleClaims?: RoleClaims };

/**
 * Admits a request only with a role named by @Roles on the handler (or else on the controller).
 * A route behind this guard that names no role is refused: forgetting @Roles must not open it.
 */
@Injectable()
export class RoleGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(CONFIG) private readonly cfg: AppConfig,
  ) {}

  canActivate(ctx: ExecutionContext): boolean {
    const allowed =
      this.reflector.getAllAndOverride<readonly string[] | undefined>(ROLES_KEY, [
        ctx.getHandler(),
        ctx.getClass(),
      ]) ?? [];
    const req = ctx.switchToHttp().getRequest<RoleRequest>();
    const r = checkBearer(req.headers.authorization, this.cfg.SIGNING_SECRET, allowed);
    if (!r.ok)
      throw r.status === 401 ? new UnauthorizedException(r.reason) : new ForbiddenException(r.reason);
    req.roleClaims = r.claims;
    return true;
  }
}

/**
 * The roles a controller or route admits, with the guard and the OpenAPI notes: put it on the
 * controller for its common roles, and on a route to replace them for that route.
 */
export const Roles = (...roles: ApiRole[]) =>
  applyDecorators(
    SetMetadata(ROLES_KEY, roles),
    UseGuards(RoleGuard),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'No bearer token, or a forged or expired one.' }),
    ApiForbiddenResponse({ description: `A role other than ${roles.join(', ')}.` }),
  );

/** The admitted token's claims (actor and role). */
export const Caller = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): RoleClaims => ctx.switchToHttp().getRequest<RoleRequest>().roleClaims!,
);
