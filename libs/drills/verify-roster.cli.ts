import { Logger } from '@nestjs/common';
import { loadConfig } from '../config/config';
import { openDb } from '../db/db';
import { migrate } from '../db/migrate';
import { DirectoryRepository } from '../directory/directory.repository';
import { IntakeService } from '../intake/intake.service';
import { verificationService } from './verification.service';

const USAGE = `npm run verify-roster -- [--area CODE]... [--status] [--json]
  Starts this year's roster verification campaign (号码核查): an Exercise call-out to every responsible
  person of the areas (default VERIFY_AREAS, else INTAKE_HOME_AREA), asking each to confirm that the
  number and role are still theirs. Only in the window before the re-filing date (VERIFY_REFILING_DATE,
  VERIFY_LEAD_DAYS). The intake service publishes it from its outbox. Starting it again is a repeat.
  --status  the window and the campaigns started, nothing started
Exit codes: 0 started (or already started), 2 refused (outside the window, a bad area), 1 anything else.`;

/** npm run verify-roster: the directory admin's command for the yearly verification campaign. */
async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const areas: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--area' && argv[i + 1]) areas.push(argv[++i]);
    else if (!['--status', '--json'].includes(a)) {
      console.error(`unknown argument ${a}\n${USAGE}`);
      return 2;
    }
  }
  // The use cases log for a service's operators; the command says itself what it did (stdout stays JSON).
  Logger.overrideLogger(['error']);
  const cfg = loadConfig(process.env);
  const db = await openDb(cfg.DATABASE_URL, cfg.PGLITE_DIR);
  try {
    await migrate(db, ['kafka', 'intake', 'drills']);
    const intake = new IntakeService(db, {
      issuerCode: cfg.INTAKE_ISSUER_CODE,
      sender: cfg.INTAKE_SENDER,
      homeArea: cfg.INTAKE_HOME_AREA,
      villages: () => new DirectoryRepository(db).villagePoints(),
      // The running intake service's relay polls its outbox: the campaign leaves within a second.
      nudge: () => undefined,
    });
    const service = verificationService(db, intake, cfg);
    const json = argv.includes('--json');
    if (argv.includes('--status')) {
      const o = await service.overview();
      if (json) console.log(JSON.stringify(o, null, 2));
      else {
        const w = o.window;
        console.log(
          `re-filing ${w.refilingDate}, window ${w.opensOn} … ${w.refilingDate}: ${w.open ? 'open' : 'closed'} (${w.daysToRefiling} days to re-filing)`,
        );
        for (const c of o.campaigns)
          console.log(`  ${c.warningId} ${c.areaCodes.join(',')} started ${c.startedAt} by ${c.startedBy}`);
      }
      return 0;
    }
    const actor = `cli:${process.env.USER ?? 'unknown'}`;
    const r = await service.start(areas.length ? { areaCodes: areas } : {}, actor);
    if (!r.ok) {
      console.error(`verification campaign not started:\n  ${r.errors.join('\n  ')}`);
      return 2;
    }
    if (json) console.log(JSON.stringify({ ...r.campaign, repeat: r.repeat }, null, 2));
    else
      console.log(
        `${r.repeat ? 'already started' : 'started'}: ${r.campaign.warningId} (${r.campaign.areaCodes.join(', ')}), ` +
          `non-responders: GET /api/roster/verification/${r.campaign.warningId}`,
      );
    return 0;
  } finally {
    await db.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
