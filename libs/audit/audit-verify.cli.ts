/*
 * `npm run audit:verify [-- WARNING_ID]`: recomputes the ledger's hash chains (one warning's, or all)
 * in DATABASE_URL (or the embedded PGlite) and prints every break. Exit code 0 = intact, 1 = a break
 * was found (or the named warning has no entries at all), 2 = the check itself could not run.
 */
import { loadConfig } from '../config/config';
import { openDb } from '../db/db';
import { LedgerRepository } from './ledger.repository';
import { describeFinding } from './verify';
import { runCli } from '../common/cli';

export async function runVerify(
  args: string[],
  env: Record<string, string | undefined> = process.env,
  out: (line: string) => void = (l) => console.log(l),
): Promise<number> {
  const cfg = loadConfig(env);
  const db = await openDb(cfg.DATABASE_URL, cfg.PGLITE_DIR);
  try {
    const reports = await new LedgerRepository(db).verify(args[0]);
    let broken = 0;
    for (const r of reports) {
      out(`${r.ok ? 'ok    ' : 'BROKEN'} ${r.chainId} (${r.entries} entries)`);
      for (const f of r.findings) out(`  ${describeFinding(f)}`);
      if (!r.ok) broken += 1;
    }
    // A named chain with no entries and no head cannot be vouched for: it is reported, not "verified".
    if (args[0] && reports.every((r) => r.entries === 0 && r.ok)) {
      out(`no ledger entries for ${args[0]}`);
      return 1;
    }
    out(broken ? `${broken} of ${reports.length} chains broken` : `${reports.length} chains verified`);
    return broken ? 1 : 0;
  } finally {
    await db.close();
  }
}

if (require.main === module) runCli(() => runVerify(process.argv.slice(2)), 2);
