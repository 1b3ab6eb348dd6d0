import {
  CanActivate,
  createParamDecorator,
  ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Request } from 'express';
import { AppConfig } from '../config/config';
import { RoleClaims, verifyRoleToken } from '../common/auth';
import { CONFIG } from '../infra/tokens';

export const AUDITOR_ROLE = 'auditor';

type AuditRequest = Request & { auditor?: RoleClaims };

/**
 * The audit API is for auditors only and read-only: a bearer token signed with SIGNING_SECRET
 * (libs/common/auth.ts) whose role is 'auditor'. Without a secret configured nothing is let in.
 */
@Injectable()
export class AuditorGuard implements CanActivate {
  constructor(@Inject(CONFIG) private readonly cfg: AppConfig) {}

  canActivate(ctx: ExecutionContext): boolean {
    const req = ctx.switchToHttp().getRequest<AuditRequest>();
    const secret = this.cfg.SIGNING_SECRET;
    if (!secret) throw new UnauthorizedException('SIGNING_SECRET is not set: the audit API admits no one');
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!m) throw new UnauthorizedException('a bearer token is required');
    const check = verifyRoleToken(m[1], secret);
    if (!check.ok) throw new UnauthorizedException(`token refused: ${check.reason}`);
    if (check.claims.role !== AUDITOR_ROLE) throw new ForbiddenException('the auditor role is required');
    req.auditor = check.claims;
    return true;
  }
}

/** The auditor (actor id) the guard admitted. */
export const AuditorActor = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): string => ctx.switchToHttp().getRequest<AuditRequest>().auditor!.actor,
);
