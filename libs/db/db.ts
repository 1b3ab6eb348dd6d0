import { mkdirSync } from 'node:fs';
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
}

/** PostgreSQL server through node-postgres' pool. */
export class PostgresDb implements Db {
  readonly kind = 'postgres' as const;
  private readonly pool: Pool;

  constructor(connectionString: string, max = 10) {
    this.pool = new Pool({ connectionString, max, application_name: 'jiaoying-callout' });
    // An idle client that loses its connection must not crash the process.
    this.pool.on('error', () => undefined);
  }

  async query<T>(sql: string, params: unknown[] = []): Promise<QueryResult<T>> {
    const r = await this.pool.query(sql, params);
    return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 };
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client: PoolClient = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const tx: Queryable = {
        query: async <R>(sql: string, params: unknown[] = []) => {
          const r = await client.query(sql, params);
          return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
        },
        exec: async (sql: string) => {
          await client.query(sql);
        },
      };
      const result = await fn(tx);
      await client.query('COMMIT');
      return result;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
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

/** DATABASE_URL set → PostgreSQL server; unset → PGlite in `pgliteDir` (in memory when undefined). */
export async function openDb(databaseUrl: string | undefined, pgliteDir?: string): Promise<Db> {
  return databaseUrl ? new PostgresDb(databaseUrl) : PgliteDb.open(pgliteDir);
}
