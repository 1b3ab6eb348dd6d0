import { mkdirSync } from 'node:fs';
import { Logger } from '@nestjs/common';
import { Pool, PoolClient } from 'pg';

export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

/** What every repository needs: parameterised SQL ($1, $2, …) and transactions. */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<T>>;
  /** Runs a script of several statements without parameters (migrations, fixtures). */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  /** Runs fn in one transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** 'postgres' for a server, 'pglite' for the embedded database. */
  readonly kind: 'postgres' | 'pglite';
  close(): Promise<void>;
  /** Connections of the pool (a server only): for the metrics. */
  poolStats?(): { total: number; idle: number; waiting: number };
  /**
   * Round trips this process made (a server only): statements (BEGIN and COMMIT included) and
   * transactions, for the metrics and the benchmark's cost per person.
   */
  roundTrips?(): { statements: number; transactions: number };
}

/** Errors that mean the server or the connection went away, not that a statement was wrong. */
export function isConnectionError(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  // Class 08 (connection exception), 57P01-57P03 (admin/crash shutdown, cannot connect now).
  if (err.code && /^(08|57P0[1-3])/.test(err.code)) return true;
  if (err.code && /^E(CONNREFUSED|CONNRESET|PIPE|TIMEDOUT|HOSTUNREACH|NOTFOUND|AI_AGAIN)$/.test(err.code))
    return true;
  // node-postgres' own words: a connection cut, a connect that timed out (pool or client).
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    err.message ?? '',
  );
}

/**
 * PostgreSQL server through node-postgres' pool. A restart or outage of the server fails the
 * statements of that moment (their callers retry: relays, pollers and Kafka redelivery) and the pool
 * opens fresh connections once the server answers again; the outage and the recovery are logged once.
 */
export class PostgresDb implements Db {
  readonly kind = 'postgres' as const;
  private readonly pool: Pool;
  private readonly logger = new Logger('PostgresDb');
  /** Why the database is unreachable, while it is. */
  private outage?: string;
  private readonly counted = { statements: 0, transactions: 0 };

  constructor(connectionString: string, max = 10) {
    // A connection attempt to a server that does not answer fails after 5 s instead of hanging.
    this.pool = new Pool({
      connectionString,
      max,
      application_name: 'jiaoying-callout',
      connectionTimeoutMillis: 5_000,
    });
    // An idle client that loses its connection must not crash the process; the pool drops it.
    this.pool.on('error', (e) => this.lost(e));
  }

  poolStats() {
    return { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount };
  }

  roundTrips() {
    return { ...this.counted };
  }

  private lost(e: unknown) {
    if (this.outage || !isConnectionError(e)) return;
    this.outage = (e as Error).message;
    this.logger.warn(`database connection lost (${this.outage}); retrying until it answers`);
  }

  private reached() {
    if (!this.outage) return;
    this.logger.warn(`database reachable again (was: ${this.outage})`);
    this.outage = undefined;
  }

  /** Runs one call against the server, noting when it becomes unreachable and when it is back. */
  private async watch<T>(call: () => Promise<T>): Promise<T> {
    try {
      const r = await call();
      this.reached();
      return r;
    } catch (e) {
      this.lost(e);
      throw e;
    }
  }

  async query<T>(sql: string, params: unknown[] = []): Promise<QueryResult<T>> {
    this.counted.statements++;
    const r = await this.watch(() => this.pool.query(sql, params));
    return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 };
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client: PoolClient = await this.watch(() => this.pool.connect());
    // A checked-out client whose connection breaks between two statements (the transaction awaits
    // something else) emits 'error' with no query to fail: without a listener that crashes the
    // process. Keep the error; the next statement on the client fails with it.
    let broken: Error | undefined;
    const onError = (e: Error) => {
      broken = e;
      this.lost(e);
    };
    client.on('error', onError);
    this.counted.transactions++;
    this.counted.statements += 2; // BEGIN and COMMIT (or ROLLBACK)
    try {
      await client.query('BEGIN');
      const tx: Queryable = {
        query: async <R>(sql: string, params: unknown[] = []) => {
          this.counted.statements++;
          const r = await client.query(sql, params);
          return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
        },
        exec: async (sql: string) => {
          this.counted.statements++;
          await client.query(sql);
        },
      };
      const result = await fn(tx);
      await client.query('COMMIT');
      this.reached();
      return result;
    } catch (e) {
      broken ??= isConnectionError(e) ? (e as Error) : undefined;
      if (!broken) await client.query('ROLLBACK').catch(() => undefined);
      this.lost(e);
      throw e;
    } finally {
      client.off('error', onError);
      // A broken connection goes back destroyed, so the pool never hands it out again.
      client.release(broken);
    }
  }

  async exec(sql: string): Promise<void> {
    this.counted.statements++;
    await this.watch(() => this.pool.query(sql));
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

type PGliteInstance = import('@electric-sql/pglite').PGlite;

/**
 * The embedded default: PGlite (PostgreSQL compiled to WASM) in-process, same SQL and migrations.
 * It has one connection, so statements and transactions run one after another.
 */
export class PgliteDb implements Db {
  readonly kind = 'pglite' as const;
  private constructor(private readonly pg: PGliteInstance) {}

  static async open(dataDir?: string): Promise<PgliteDb> {
    const { PGlite } = await import('@electric-sql/pglite');
    if (dataDir) mkdirSync(dataDir, { recursive: true });
    const pg = new PGlite(dataDir);
    await pg.waitReady;
    return new PgliteDb(pg);
  }

  async query<T>(sql: string, params: unknown[] = []): Promise<QueryResult<T>> {
    const r = await this.pg.query<T>(sql, params);
    return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.pg.transaction(async (t) =>
      fn({
        query: async <R>(sql: string, params: unknown[] = []) => {
          const r = await t.query<R>(sql, params);
          return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
        },
        exec: async (sql: string) => {
          await t.exec(sql);
        },
      }),
    );
  }

  async exec(sql: string): Promise<void> {
    await this.pg.exec(sql);
  }

  close(): Promise<void> {
    return this.pg.close();
  }
}

/**
 * DATABASE_URL set → PostgreSQL server (a pool of `poolMax` connections); unset → PGlite in
 * `pgliteDir` (in memory when undefined).
 */
export async function openDb(
  databaseUrl: string | undefined,
  pgliteDir?: string,
  poolMax?: number,
): Promise<Db> {
  return databaseUrl ? new PostgresDb(databaseUrl, poolMax) : PgliteDb.open(pgliteDir);
}
