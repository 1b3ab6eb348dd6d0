import { readFileSync } from 'node:fs';
import { DirectoryService } from './directory.service';
import { openDirectoryDb } from './directory-cli.support';
import { runCli } from '../common/cli';

/**
 * npm run directory:import -- FILE [--partial] [--dry-run]
 * Exit code 0 when applied (or a clean dry run), 1 when rows were rejected and nothing was applied.
 */
async function main(argv: string[]): Promise<number> {
  const file = argv.find((a) => !a.startsWith('--'));
  if (!file) {
    console.error('usage: npm run directory:import -- FILE [--partial] [--dry-run]');
    return 2;
  }
  const partial = argv.includes('--partial');
  const dryRun = argv.includes('--dry-run');
  const db = await openDirectoryDb();
  try {
    const r = await new DirectoryService(db).import(readFileSync(file), { partial, dryRun, format: file });
    for (const e of r.errors) console.log(`line ${e.line}${e.id ? ` (${e.id})` : ''}: ${e.reason}`);
    const verb = r.dryRun ? 'checked (dry run, nothing written)' : r.applied ? 'imported' : 'NOT imported';
    console.log(
      `${file}: ${r.format}, ${r.encoding}; ${r.total} persons read, ${r.rejected} rejected; ` +
        `${verb}${r.applied ? `: ${r.imported} persons, ${r.divisions} divisions` : ''}`,
    );
    if (!r.applied && !r.dryRun) console.log('nothing was written; fix the rows above or use --partial');
    return r.applied || (r.dryRun && r.errors.length === 0) ? 0 : 1;
  } finally {
    await db.close();
  }
}

runCli(() => main(process.argv.slice(2)));
