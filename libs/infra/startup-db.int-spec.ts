import { OwnPostgres } from '../../test/support/own-postgres';
import { PostgresDb } from '../db/db';
import { migrateOnceReachable } from './infra.module';

/**
 * A service and its database are often started together (compose, a host's boot, the fault
 * suite's restarts): a service whose database does not answer yet waits for it instead of exiting.
 */
describe('start-up while the database does not answer', () => {
  const pg = new OwnPostgres('startup-db');
  const dbs: PostgresDb[] = [];
  const open = (url: string) => {
    const db = new PostgresDb(url);
    dbs.push(db);
    return db;
  };

  beforeAll(async () => {
    await pg.init();
    await pg.stop('immediate');
  }, 180_000);

  afterAll(async () => {
    for (const db of dbs) await db.close().catch(() => undefined);
    await pg.destroy();
  }, 60_000);

  it('gives up after its wait with the connection error', async () => {
    const started = Date.now();
    await expect(migrateOnceReachable(open(pg.url), 1_500)).rejects.toThrow(/ECONNREFUSED|connect/i);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
  }, 30_000);

  it('migrates once the server comes up, a few seconds later', async () => {
    const db = open(pg.url);
    const migrating = migrateOnceReachable(db, 60_000);
    await new Promise((r) => setTimeout(r, 3_000));
    await pg.start();
    const applied = await migrating;
    expect(applied.length).toBeGreaterThan(5);
    const { rows } = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'callout'`,
    );
    expect(Number(rows[0].n)).toBeGreaterThan(0);
  }, 90_000);

  it('does not wait on an error that is no outage (a database that does not exist)', async () => {
    const started = Date.now();
    await expect(migrateOnceReachable(open(pg.url.replace(/\/test$/, '/nope')), 60_000)).rejects.toThrow(
      /does not exist/,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 30_000);
});
