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
import { Db } from '../db/db';
import { CONFIG, DB } from '../infra/tokens';
import { LifetimePolicy, lifetimePolicyOf, RoleClaims, SigningKeys, verifyRoleToken } from './auth';
import { revocationListFor } from './revocations';

/** The roles an HTTP API admits (the console's roles; machine clients get tokens of these too). */
export const API_ROLES = ['duty-officer', 'auditor', 'directory-admin'] as const;
export type ApiRole = (typeof API_ROLES)[number];

const ROLES_KEY = 'api:roles';

export type RoleCheck = { ok: true; claims: RoleClaims } | { ok: false; status: 401 | 403; reason: string };

/**
 * The whole rule as plain logic: a bearer token signed with SIGNING_SECRET or
 * SIGNING_SECRET_PREVIOUS (libs/common/auth.ts), not expired and not living longer than its role
 * may (401 otherwise), whose role is one of `allowed` (403 otherwise). Without a secret configured
 * nothing is let in. Revocation is checked by the guards after this (it needs the database).
 */
export function checkBearer(
  authorization: string | undefined,
  keys: SigningKeys | string | undefined,
  allowed: readonly string[],
  now: Date = new Date(),
  maxLifetime?: LifetimePolicy,
): RoleCheck {
  if (!keys || (typeof keys !== 'string' && !keys.current))
    return { ok: false, status: 401, reason: 'SIGNING_SECRET is not set: this API admits no one' };
  const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  if (!m) return { ok: false, status: 401, reason: 'a bearer token is required' };
  const check = verifyRoleToken(m[1], keys, now, maxLifetime);
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

/** The configured keys, or undefined when SIGNING_SECRET is unset. */
export const keysOfConfig = (cfg: AppConfig): SigningKeys | undefined =>
  cfg.SIGNING_SECRET ? { current: cfg.SIGNING_SECRET, previous: cfg.SIGNING_SECRET_PREVIOUS } : undefined;

/** checkBearer with the service's keys and lifetime policy, then the revocation list. */
export async function admitBearer(
  req: RoleRequest,
  cfg: AppConfig,
  db: Db,
  allowed: readonly string[],
): Promise<RoleClaims> {
  const r = checkBearer(
    req.headers.authorization,
    keysOfConfig(cfg),
    allowed,
    new Date(),
    lifetimePolicyOf(cfg),
  );
  if (!r.ok) throw r.status === 401 ? new UnauthorizedException(r.reason) : new ForbiddenException(r.reason);
  const revoked = await revocationListFor(db, cfg.REVOCATION_CACHE_SECONDS).revoked(r.claims);
  if (revoked) throw new UnauthorizedException(`token refused: ${revoked}`);
  req.roleClaims = r.claims;
  return r.claims;
}

/**
 * Admits a request only with a role named by @Roles on the handler (or else on the controller).
 * A route behind this guard that names no role is refused: forgetting @Roles must not open it.
 */
@Injectable()
export class RoleGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(CONFIG) private readonly cfg: AppConfig,
    @Inject(DB) private readonly db: Db,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const allowed =
      this.reflector.getAllAndOverride<readonly string[] | undefined>(ROLES_KEY, [
        ctx.getHandler(),
        ctx.getClass(),
      ]) ?? [];
    await admitBearer(ctx.switchToHttp().getRequest<RoleRequest>(), this.cfg, this.db, allowed);
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
    ApiUnauthorizedResponse({ description: 'No bearer token, or a forged, expired or revoked one.' }),
    ApiForbiddenResponse({ description: `A role other than ${roles.join(', ')}.` }),
  );

/** The admitted token's claims (actor and role). */
export const Caller = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): RoleClaims => ctx.switchToHttp().getRequest<RoleRequest>().roleClaims!,
);
