import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromRoot } from '../common/project-root';
import { MIGRATION_CONTEXTS, migrationsOf } from './migrate';

/**
 * The embedded default's database: every migration runs on PGlite (the same SQL as on the
 * PostgreSQL server), once, and what it made is there again when the data folder is reopened.
 * PGlite runs in a Node process of its own (it loads parts of itself with import(), which jest's
 * module sandbox refuses), on these sources.
 */
jest.setTimeout(300_000); // PGlite starts slowly on a busy machine (half a minute or more)

/** Runs `body` (with `db`, a PgliteDb on `dir`, and `migrate` in scope) in Node; returns what it prints as JSON. */
async function onPglite<T>(dir: string, body: string): Promise<T> {
  const script = `
    const { PgliteDb } = require('./libs/db/db');
    const { migrate } = require('./libs/db/migrate');
    (async () => {
      const db = await PgliteDb.open(process.env.DIR);
      try {
        const out = await (async () => { ${body} })();
        process.stdout.write(JSON.stringify(out));
      } finally {
        await db.close();
      }
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const { stdout: out } = await promisify(execFile)(
    process.execPath,
    ['-r', './test/support/swc-register.js', '-e', script],
    { cwd: fromRoot(), env: { ...process.env, DIR: dir }, encoding: 'utf8' },
  );
  return JSON.parse(out) as T;
}

describe('migrations on PGlite', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'pglite-migrate-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('applies every migration on a fresh data folder, none twice, and keeps them on reopening', async () => {
    const every = MIGRATION_CONTEXTS.flatMap((c) => migrationsOf(c).map((m) => `${m.context}/${m.version}`));
    expect(every.length).toBeGreaterThan(MIGRATION_CONTEXTS.length);

    const first = await onPglite<{ applied: string[]; again: string[] }>(
      dir,
      `const applied = await migrate(db);
       const again = await migrate(db);
       await db.query("INSERT INTO directory.divisions (code, name, level) VALUES ('140212100201', '杏花峪村', 'village')");
       return { applied, again };`,
    );
    expect(first).toEqual({ applied: every, again: [] });

    const reopened = await onPglite<{ applied: string[]; schemas: string[]; kept: unknown[] }>(
      dir,
      `const applied = await migrate(db);
       const schemas = (await db.query(
         "SELECT schema_name FROM information_schema.schemata WHERE schema_name = ANY($1::text[]) ORDER BY 1",
         [${JSON.stringify([...MIGRATION_CONTEXTS, 'auth'])}],
       )).rows.map((r) => r.schema_name);
       const kept = (await db.query("SELECT name FROM directory.divisions WHERE code = '140212100201'")).rows;
       return { applied, schemas, kept };`,
    );
    expect(reopened).toEqual({
      applied: [],
      // Each context's own schema (kafka's migrations only give the others their outbox tables;
      // common's keep the revoked role tokens in schema auth).
      schemas: [...MIGRATION_CONTEXTS.filter((c) => c !== 'kafka' && c !== 'common'), 'auth'].sort(),
      kept: [{ name: '杏花峪村' }],
    });
  });
});
