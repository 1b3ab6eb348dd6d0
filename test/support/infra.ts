import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { PostgresDb } from '../../libs/db/db';
import { migrate } from '../../libs/db/migrate';

/** The PostgreSQL server tests use (these machines: trust auth, database `test`). */
export const ADMIN_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export const kafkaBrokers = (): string[] => (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

/** A secret of a test's own (32 random bytes): the services refuse short or published ones. */
export const testSecret = () => randomBytes(32).toString('base64url');

/** A unique id for a test's own topics, groups and database. */
export const uniqueId = (label: string) =>
  `${label.replace(/[^a-z0-9]/gi, '').toLowerCase()}${randomBytes(4).toString('hex')}`;

export interface TestDatabase {
  url: string;
  name: string;
  db: PostgresDb;
  drop(): Promise<void>;
}

/** A fresh database of the test's own on the real PostgreSQL server, migrated unless told otherwise. */
export async function createTestDatabase(
  label: string,
  opts: { migrate?: boolean } = {},
): Promise<TestDatabase> {
  const name = `t_${uniqueId(label)}`;
  const admin = new Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = ADMIN_DATABASE_URL.replace(/\/[^/]*$/, `/${name}`);
  const db = new PostgresDb(url);
  if (opts.migrate !== false) await migrate(db);
  return {
    url,
    name,
    db,
    async drop() {
      await db.close();
      const c = new Client({ connectionString: ADMIN_DATABASE_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** Polls `check` until it returns a truthy value or the deadline passes (never a fixed sleep). */
export async function waitFor<T>(
  check: () => Promise<T> | T,
  what: string,
  timeoutMs = 20_000,
  everyMs = 100,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
