import { CanActivate, createParamDecorator, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '../config/config';
import { admitBearer, RoleRequest } from '../common/role.guard';
import { Db } from '../db/db';
import { CONFIG, DB } from '../infra/tokens';

export const AUDITOR_ROLE = 'auditor';

/**
 * The audit API is for auditors only and read-only: the shared role rule (libs/common/role.guard.ts,
 * a bearer token signed with SIGNING_SECRET) with the auditor role alone.
 */
@Injectable()
export class AuditorGuard implements CanActivate {
  constructor(
    @Inject(CONFIG) private readonly cfg: AppConfig,
    @Inject(DB) private readonly db: Db,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    await admitBearer(ctx.switchToHttp().getRequest<RoleRequest>(), this.cfg, this.db, [AUDITOR_ROLE]);
    return true;
  }
}

/** The auditor (actor id) the guard admitted. */
export const AuditorActor = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): string =>
    ctx.switchToHttp().getRequest<RoleRequest>().roleClaims!.actor,
);
