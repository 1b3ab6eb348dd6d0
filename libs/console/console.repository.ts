import { Db } from '../db/db';
import { ConsoleRole, isConsoleRole } from './access-policy';
import { hashPassword } from './passwords';

export interface ConsoleUser {
  username: string;
  display_name: string;
  role: ConsoleRole;
  password_hash: string;
  failed_logins: number;
  /** Set while the user is locked out after too many wrong passwords. */
  locked_until: Date | null;
}

export interface ConsoleSession {
  id: string;
  username: string;
  display_name: string;
  role: ConsoleRole;
  csrf: string;
}

export interface RecentEvent {
  event_key: string;
  kind: 'alert' | 'dlq';
  warning_id: string | null;
  drill: boolean;
  summary: string;
  reason: string | null;
  at: string;
  /** Dead letters: the reason of every group that refused the message (`reasons`), the headers. */
  detail?: unknown;
}

/** Demo users seeded into an empty users table in demo mode only (README, docs/security.md). */
export const DEMO_USERS: { username: string; password: string; role: ConsoleRole; display: string }[] = [
  { username: 'duty', password: 'duty-demo', role: 'duty-officer', display: '值班员' },
  { username: 'auditor', password: 'audit-demo', role: 'auditor', display: '审计员' },
  { username: 'admin', password: 'admin-demo', role: 'directory-admin', display: '通讯录管理员' },
];

/** Recent alerts / dead letters kept per kind; older ones are deleted as new ones arrive. */
export const RECENT_KEEP = 500;

/** SQL of the console context (schema `console`): users, sessions, recent events, uploads. */
export class ConsoleRepository {
  constructor(private readonly db: Db) {}

  async seedDemoUsers(): Promise<number> {
    const n = await this.db.query<{ n: string }>(`SELECT count(*) AS n FROM console.users`);
    if (Number(n.rows[0].n) > 0) return 0;
    for (const u of DEMO_USERS)
      await this.saveUser(u.username, u.display, u.role, await hashPassword(u.password));
    return DEMO_USERS.length;
  }

  async user(username: string): Promise<ConsoleUser | undefined> {
    const r = await this.db.query<ConsoleUser & { locked_until: Date | string | null }>(
      `SELECT username, display_name, role, password_hash, failed_logins,
              CASE WHEN locked_until > now() THEN locked_until END AS locked_until
       FROM console.users WHERE username = $1`,
      [username],
    );
    const u = r.rows[0];
    return u && isConsoleRole(u.role)
      ? { ...u, locked_until: u.locked_until ? new Date(u.locked_until) : null }
      : undefined;
  }

  async users(): Promise<Omit<ConsoleUser, 'password_hash'>[]> {
    const r = await this.db.query<Omit<ConsoleUser, 'password_hash'>>(
      `SELECT username, display_name, role, failed_logins,
              CASE WHEN locked_until > now() THEN locked_until END AS locked_until
       FROM console.users ORDER BY username`,
    );
    return r.rows;
  }

  /** Adds a user, or replaces the display name, role and password of an existing one. */
  async saveUser(username: string, display: string, role: ConsoleRole, passwordHash: string): Promise<void> {
    await this.db.query(
      `INSERT INTO console.users (username, display_name, role, password_hash) VALUES ($1, $2, $3, $4)
       ON CONFLICT (username) DO UPDATE SET display_name = EXCLUDED.display_name, role = EXCLUDED.role,
         password_hash = EXCLUDED.password_hash`,
      [username, display, role, passwordHash],
    );
  }

  /**
   * Counts a wrong password; the `after`-th in a row locks the user for `lockSeconds`. Failures while
   * locked are counted but do not extend the lock (else anyone could keep a duty officer out forever).
   */
  async recordFailedLogin(
    username: string,
    after: number,
    lockSeconds: number,
  ): Promise<{ failed: number; lockedUntil: Date | null } | undefined> {
    const r = await this.db.query<{ failed_logins: number; locked_until: Date | string | null }>(
      `UPDATE console.users SET failed_logins = failed_logins + 1,
         locked_until = CASE
           WHEN locked_until > now() THEN locked_until
           WHEN failed_logins + 1 >= $2 THEN now() + make_interval(secs => $3)
           ELSE locked_until END
       WHERE username = $1 RETURNING failed_logins, locked_until`,
      [username, after, lockSeconds],
    );
    const row = r.rows[0];
    return (
      row && { failed: row.failed_logins, lockedUntil: row.locked_until ? new Date(row.locked_until) : null }
    );
  }

  /** A successful sign-in, or an admin lifting the lockout: the count starts again. */
  async clearFailedLogins(username: string): Promise<boolean> {
    const r = await this.db.query(
      `UPDATE console.users SET failed_logins = 0, locked_until = NULL WHERE username = $1`,
      [username],
    );
    return (r.rowCount ?? 0) > 0;
  }

  /** Signs a user out everywhere. */
  async deleteSessionsOf(username: string): Promise<number> {
    const r = await this.db.query(`DELETE FROM console.sessions WHERE username = $1`, [username]);
    return r.rowCount ?? 0;
  }

  async createSession(id: string, username: string, csrf: string, ttlSeconds: number): Promise<void> {
    await this.db.query(`DELETE FROM console.sessions WHERE expires_at < now()`);
    await this.db.query(
      `INSERT INTO console.sessions (id, username, csrf, expires_at)
       VALUES ($1, $2, $3, now() + make_interval(secs => $4))`,
      [id, username, csrf, ttlSeconds],
    );
  }

  async session(id: string): Promise<ConsoleSession | undefined> {
    const r = await this.db.query<ConsoleSession>(
      `SELECT s.id, s.username, u.display_name, u.role, s.csrf
       FROM console.sessions s JOIN console.users u ON u.username = s.username
       WHERE s.id = $1 AND s.expires_at > now()`,
      [id],
    );
    return r.rows[0];
  }

  async deleteSession(id: string): Promise<void> {
    await this.db.query(`DELETE FROM console.sessions WHERE id = $1`, [id]);
  }

  /** Stores an alert or dead letter once (redelivery is harmless) and trims the kind to RECENT_KEEP. */
  async addRecent(e: Omit<RecentEvent, 'at'> & { at: string; detail?: unknown }): Promise<boolean> {
    const r = await this.db.query(
      `INSERT INTO console.recent_events (event_key, kind, warning_id, drill, summary, reason, detail, at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (event_key) DO NOTHING`,
      [
        e.event_key,
        e.kind,
        e.warning_id,
        e.drill,
        e.summary,
        e.reason,
        JSON.stringify(e.detail ?? null),
        e.at,
      ],
    );
    if (r.rowCount === 0) return false;
    await this.trim(e.kind);
    return true;
  }

  /**
   * Stores a dead letter under its bad message's id: the first group's creates the entry, another
   * group's adds its reason to it (reasons by group in detail, joined in reason). Redelivery of one
   * group's dead letter changes nothing. Returns whether the entry is new or gained a reason.
   */
  async addDeadLetter(
    e: Omit<RecentEvent, 'at' | 'kind' | 'reason'> & {
      at: string;
      group: string;
      reason: string;
      detail: object;
    },
  ): Promise<boolean> {
    const reason = `${e.group}: ${e.reason}`;
    const r = await this.db.query<{ inserted: boolean }>(
      `INSERT INTO console.recent_events AS r (event_key, kind, warning_id, drill, summary, reason, detail, at)
       VALUES ($1, 'dlq', $2, $3, $4, $5, $6, $7)
       ON CONFLICT (event_key) DO UPDATE
         SET reason = concat_ws('; ', r.reason, EXCLUDED.reason),
             detail = jsonb_set(coalesce(r.detail, '{}'::jsonb), '{reasons}',
                                coalesce(r.detail->'reasons', '{}'::jsonb) || (EXCLUDED.detail->'reasons'))
         WHERE NOT coalesce(r.detail->'reasons', '{}'::jsonb) ? $8
       RETURNING (xmax = 0) AS inserted`,
      [
        e.event_key,
        e.warning_id,
        e.drill,
        e.summary,
        reason,
        JSON.stringify({ ...e.detail, reasons: { [e.group]: e.reason } }),
        e.at,
        e.group,
      ],
    );
    if (r.rows.length === 0) return false;
    if (r.rows[0].inserted) await this.trim('dlq');
    return true;
  }

  private async trim(kind: RecentEvent['kind']): Promise<void> {
    await this.db.query(
      `DELETE FROM console.recent_events WHERE kind = $1 AND event_key NOT IN
         (SELECT event_key FROM console.recent_events WHERE kind = $1 ORDER BY at DESC LIMIT $2)`,
      [kind, RECENT_KEEP],
    );
  }

  async recent(kind: 'alert' | 'dlq', limit = 50): Promise<RecentEvent[]> {
    const r = await this.db.query<RecentEvent & { at: Date | string }>(
      `SELECT event_key, kind, warning_id, drill, summary, reason, detail, at FROM console.recent_events
       WHERE kind = $1 ORDER BY at DESC LIMIT $2`,
      [kind, limit],
    );
    return r.rows.map((x) => ({ ...x, at: new Date(x.at).toISOString() }));
  }

  async saveUpload(id: string, sessionId: string, filename: string, content: Buffer): Promise<void> {
    await this.db.query(`DELETE FROM console.uploads WHERE created_at < now() - interval '1 day'`);
    await this.db.query(
      `INSERT INTO console.uploads (id, session_id, filename, content) VALUES ($1, $2, $3, $4)`,
      [id, sessionId, filename, content],
    );
  }

  async upload(id: string, sessionId: string): Promise<{ filename: string; content: Buffer } | undefined> {
    const r = await this.db.query<{ filename: string; content: Buffer | Uint8Array }>(
      `SELECT filename, content FROM console.uploads WHERE id = $1 AND session_id = $2`,
      [id, sessionId],
    );
    const u = r.rows[0];
    return u && { filename: u.filename, content: Buffer.from(u.content) };
  }
}
