import {
  CanActivate,
  createParamDecorator,
  ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { AppConfig } from '../config/config';
import { checkBearer, RoleRequest } from '../common/role.guard';
import { CONFIG } from '../infra/tokens';

export const AUDITOR_ROLE = 'auditor';

/**
 * The audit API is for auditors only and read-only: the shared role rule (libs/common/role.guard.ts,
 * a bearer token signed with SIGNING_SECRET) with the auditor role alone.
 */
@Injectable()
export class AuditorGuard implements CanActivate {
  constructor(@Inject(CONFIG) private readonly cfg: AppConfig) {}

  canActivate(ctx: ExecutionContext): boolean {
    const req = ctx.switchToHttp().getRequest<RoleRequest>();
    const r = checkBearer(req.headers.authorization, this.cfg.SIGNING_SECRET, [AUDITOR_ROLE]);
    if (!r.ok)
      throw r.status === 401 ? new UnauthorizedException(r.reason) : new ForbiddenException(r.reason);
    req.roleClaims = r.claims;
    return true;
  }
}

/** The auditor (actor id) the guard admitted. */
export const AuditorActor = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): string =>
    ctx.switchToHttp().getRequest<RoleRequest>().roleClaims!.actor,
);
