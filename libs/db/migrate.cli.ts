/* `npm run db:migrate`: applies every pending migration to DATABASE_URL (or the embedded PGlite). */
import { loadConfig } from '../config/config';
import { openDb } from './db';
import { migrate } from './migrate';

async function main() {
  const cfg = loadConfig();
  const db = await openDb(cfg.DATABASE_URL, cfg.PGLITE_DIR);
  try {
    const applied = await migrate(db);
    console.log(applied.length ? `applied:\n  ${applied.join('\n  ')}` : 'database is up to date');
  } finally {
    await db.close();
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
