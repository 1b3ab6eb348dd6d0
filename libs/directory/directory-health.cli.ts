import { DirectoryService } from './directory.service';
import { openDirectoryDb } from './directory-cli.support';
import { runCli } from '../common/cli';

/** npm run directory:health [-- --json]: what to fix in the roster before the next warning. */
async function main(argv: string[]): Promise<number> {
  const db = await openDirectoryDb();
  try {
    const h = await new DirectoryService(db).health(new Date());
    if (argv.includes('--json')) {
      console.log(JSON.stringify(h, null, 2));
      return 0;
    }
    const show = <T>(title: string, xs: T[], fmt: (x: T) => string) => {
      console.log(`${title}: ${xs.length}`);
      for (const x of xs.slice(0, 20)) console.log(`  ${fmt(x)}`);
      if (xs.length > 20) console.log(`  … ${xs.length - 20} more (--json for all)`);
    };
    console.log(`directory health at ${h.at}: ${h.persons} active persons`);
    show(
      '未核实超过365天 contacts not verified in over 365 days',
      h.staleContacts,
      (x) => `${x.personId} ${x.name} ${x.verifiedAt ?? 'never'}`,
    );
    show('无备岗 persons without a backup', h.withoutBackup, (x) => `${x.personId} ${x.name}`);
    show(
      '无上级 role holders without a superior',
      h.withoutSuperior,
      (x) => `${x.personId} ${x.name} ${x.role} ${x.areaCode} ${x.areaName}`,
    );
    show(
      '共用号码 numbers shared by several persons',
      h.sharedNumbers,
      (x) => `${x.number}: ${x.personIds.join(', ')}`,
    );
    return 0;
  } finally {
    await db.close();
  }
}

runCli(() => main(process.argv.slice(2)));
