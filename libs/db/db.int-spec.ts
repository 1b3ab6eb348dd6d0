import { Logger } from '@nestjs/common';
import { createTestDatabase, TestDatabase, waitFor } from '../../test/support/infra';
import { PostgresDb } from './db';

describe('PostgresDb when the server drops its connections', () => {
  let tdb: TestDatabase;
  let db: PostgresDb;

  beforeAll(async () => {
    tdb = await createTestDatabase('dbconn', { migrate: false });
    db = new PostgresDb(tdb.url, 2);
  });

  afterAll(async () => {
    await db?.close();
    await tdb?.drop();
  });

  it('a transaction whose connection is killed between two statements fails, and the process and pool carry on', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn');
    const attempt = db.transaction(async (tx) => {
      const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      const pid = rows[0].pid;
      // What a server crash or restart does to a connection the transaction holds while it awaits
      // something else (a provider's API, a publish): the socket closes with no statement running.
      await tdb.db.query('SELECT pg_terminate_backend($1)', [pid]);
      await waitFor(
        async () =>
          (await tdb.db.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rowCount === 0,
        'the backend to exit',
      );
      await new Promise((r) => setTimeout(r, 300)); // let the client read the close
      await tx.query('SELECT 1');
    });
    await expect(attempt).rejects.toThrow();
    // The broken connection was discarded, not handed out again.
    for (let i = 0; i < 4; i++)
      expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    // The outage and the recovery are each logged once.
    const said = warn.mock.calls.map((c) => String(c[0]));
    expect(said.filter((m) => m.startsWith('database connection lost'))).toHaveLength(1);
    expect(said.filter((m) => m.startsWith('database reachable again'))).toHaveLength(1);
    warn.mockRestore();
    await expect(db.transaction((tx) => tx.query('SELECT 2 AS two'))).resolves.toMatchObject({
      rows: [{ two: 2 }],
    });
  });
});
