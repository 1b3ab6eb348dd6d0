import { loadConfig } from '../config/config';
import { Db, openDb } from '../db/db';
import { migrate } from '../db/migrate';

/** The database the CLIs work on: DATABASE_URL, else the embedded PGlite folder; the directory schema migrated. */
export async function openDirectoryDb(): Promise<Db> {
  const cfg = loadConfig(process.env);
  const db = await openDb(cfg.DATABASE_URL, cfg.PGLITE_DIR);
  await migrate(db, ['directory']);
  return db;
}
