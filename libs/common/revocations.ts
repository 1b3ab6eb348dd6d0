import { Logger } from '@nestjs/common';
import { Queryable } from '../db/db';
import { RoleClaims } from './auth';

export interface RevokedToken {
  jti: string;
  expires_at: string;
  reason: string;
  revoked_by: string;
  revoked_at: string;
}

export interface RevokedActor {
  actor: string;
  revoked_before: string;
  reason: string;
  revoked_by: string;
  revoked_at: string;
}

/** SQL of the revocation list (schema `auth`, libs/common/migrations). */
export class RevocationRepository {
  constructor(private readonly db: Queryable) {}

  /** Revokes one token; `expiresAt` is when it would expire anyway (its row is dropped after). */
  async revokeToken(jti: string, expiresAt: Date, reason: string, by: string): Promise<void> {
    await this.db.query(`DELETE FROM auth.revoked_tokens WHERE expires_at < now()`);
    await this.db.query(
      `INSERT INTO auth.revoked_tokens (jti, expires_at, reason, revoked_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT (jti) DO UPDATE SET expires_at = GREATEST(auth.revoked_tokens.expires_at, EXCLUDED.expires_at)`,
      [jti, expiresAt.toISOString(), reason, by],
    );
  }

  /** Revokes every token of `actor` issued before `before` (a later revocation moves the moment on). */
  async revokeActor(actor: string, before: Date, reason: string, by: string): Promise<void> {
    await this.db.query(
      `INSERT INTO auth.revoked_actors (actor, revoked_before, reason, revoked_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT (actor) DO UPDATE SET revoked_before = GREATEST(auth.revoked_actors.revoked_before, EXCLUDED.revoked_before),
         reason = EXCLUDED.reason, revoked_by = EXCLUDED.revoked_by, revoked_at = now()`,
      [actor, before.toISOString(), reason, by],
    );
  }

  async tokens(): Promise<RevokedToken[]> {
    const r = await this.db.query<RevokedToken>(
      `SELECT jti, expires_at::text, reason, revoked_by, revoked_at::text FROM auth.revoked_tokens
       WHERE expires_at > now() ORDER BY revoked_at`,
    );
    return r.rows;
  }

  async actors(): Promise<RevokedActor[]> {
    const r = await this.db.query<RevokedActor>(
      `SELECT actor, revoked_before::text, reason, revoked_by, revoked_at::text FROM auth.revoked_actors
       ORDER BY revoked_at`,
    );
    return r.rows;
  }
}

/**
 * Each service's copy of the revocation list, read again when older than `cacheSeconds`
 * (REVOCATION_CACHE_SECONDS, 10 by default): a revocation takes effect everywhere within that time.
 * When the database cannot be read the last copy is kept; a service that never read it admits no one.
 */
export class RevocationList {
  private static readonly logger = new Logger('RevocationList');
  private jtis = new Set<string>();
  private actors = new Map<string, number>();
  private loadedAt = -Infinity;
  private loading?: Promise<void>;
  private everLoaded = false;

  constructor(
    private readonly repo: RevocationRepository,
    private readonly cacheSeconds: number,
    private readonly clock: () => number = () => Date.now(),
  ) {}

  private async refresh(): Promise<void> {
    if (this.clock() - this.loadedAt < this.cacheSeconds * 1000) return;
    this.loading ??= (async () => {
      try {
        const [tokens, actors] = await Promise.all([this.repo.tokens(), this.repo.actors()]);
        this.jtis = new Set(tokens.map((t) => t.jti));
        this.actors = new Map(actors.map((a) => [a.actor, new Date(a.revoked_before).getTime()]));
        this.loadedAt = this.clock();
        this.everLoaded = true;
      } catch (e) {
        RevocationList.logger.error(
          `revocation list unreadable, keeping the last copy: ${(e as Error).message}`,
        );
      } finally {
        this.loading = undefined;
      }
    })();
    await this.loading;
  }

  /** Why these claims are revoked, or undefined when they are not. */
  async revoked(claims: RoleClaims): Promise<string | undefined> {
    await this.refresh();
    if (!this.everLoaded) return 'the revocation list cannot be read';
    if (this.jtis.has(claims.jti)) return 'token revoked';
    const before = this.actors.get(claims.actor);
    if (before !== undefined && claims.iat * 1000 < before) return `tokens of ${claims.actor} revoked`;
    return undefined;
  }
}

const lists = new WeakMap<object, RevocationList>();

/** The one revocation list of a database connection in this process (shared by every guard). */
export function revocationListFor(db: Queryable, cacheSeconds: number): RevocationList {
  let list = lists.get(db);
  if (!list) {
    list = new RevocationList(new RevocationRepository(db), cacheSeconds);
    lists.set(db, list);
  }
  return list;
}
