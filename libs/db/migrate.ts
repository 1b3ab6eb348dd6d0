import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromRoot } from '../common/project-root';
import { Db } from './db';

/**
 * Versioned SQL migrations. Each bounded context owns a PostgreSQL schema and keeps its migrations in
 * libs/<context>/migrations/NNN_name.sql. They run in file-name order, once each, recorded in
 * public.schema_migrations; all pending ones run in one transaction under an advisory lock, so two
 * services starting together never apply the same file twice.
 */
export const MIGRATION_CONTEXTS = [
  'kafka',
  'common',
  'intake',
  'directory',
  'callout',
  'notify',
  'audit',
  'console',
  'roster',
  'drills',
] as const;
export type MigrationContext = (typeof MIGRATION_CONTEXTS)[number];

export interface Migration {
  context: string;
  version: string;
  sql: string;
}

export function migrationsOf(context: string): Migration[] {
  const dir = fromRoot('libs', context, 'migrations');
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => /^\d{3}_[\w-]+\.sql$/.test(f));
  } catch {
    return [];
  }
  return files
    .sort()
    .map((f) => ({ context, version: f.replace(/\.sql$/, ''), sql: readFileSync(join(dir, f), 'utf8') }));
}

/** Applies pending migrations of the given contexts (all of them by default); returns what it applied. */
export async function migrate(db: Db, contexts: readonly string[] = MIGRATION_CONTEXTS): Promise<string[]> {
  const pending = contexts.flatMap(migrationsOf);
  return db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(7265831)`);
    await tx.exec(`CREATE TABLE IF NOT EXISTS public.schema_migrations (
      context text NOT NULL, version text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (context, version))`);
    const done = await tx.query<{ context: string; version: string }>(
      `SELECT context, version FROM public.schema_migrations`,
    );
    const seen = new Set(done.rows.map((r) => `${r.context}/${r.version}`));
    const applied: string[] = [];
    for (const m of pending) {
      if (seen.has(`${m.context}/${m.version}`)) continue;
      await tx.exec(m.sql);
      await tx.query(`INSERT INTO public.schema_migrations (context, version) VALUES ($1, $2)`, [
        m.context,
        m.version,
      ]);
      applied.push(`${m.context}/${m.version}`);
    }
    return applied;
  });
}
