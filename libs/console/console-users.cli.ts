/*
 * Console users, for the directory admin or an operator with the database:
 *   npm run users -- add NAME --role duty-officer|auditor|directory-admin [--display TEXT]
 *       (the password is read from standard input: at least 12 characters)
 *   npm run users -- passwd NAME          (new password from standard input; signs NAME out)
 *   npm run users -- unlock NAME          (lifts a sign-in lockout)
 *   npm run users -- logout NAME          (ends every session of NAME)
 *   npm run users -- list
 * Exit code 0 = done, 2 = bad arguments, 3 = no such user.
 */
import { loadConfig } from '../config/config';
import { Db, openDb } from '../db/db';
import { migrate } from '../db/migrate';
import { CONSOLE_ROLES, isConsoleRole } from './access-policy';
import { ConsoleRepository } from './console.repository';
import { hashPassword } from './passwords';
import { runCli } from '../common/cli';

const USAGE = [
  'usage: npm run users -- add NAME --role duty-officer|auditor|directory-admin [--display TEXT]  (password on stdin)',
  '       npm run users -- passwd NAME  (password on stdin) | unlock NAME | logout NAME | list',
].join('\n');
export const MIN_PASSWORD_LENGTH = 12;

type Out = (line: string) => void;

export async function runUsers(
  args: string[],
  db: Db,
  readPassword: () => Promise<string>,
  out: Out = (l) => console.log(l),
  err: Out = (l) => console.error(l),
): Promise<number> {
  const repo = new ConsoleRepository(db);
  const [command, name, ...rest] = args;
  if (command === 'list' && name === undefined) {
    for (const u of await repo.users())
      out(
        `${u.username}\t${u.role}\t${u.display_name}${u.locked_until ? `\tlocked until ${new Date(u.locked_until).toISOString()}` : ''}`,
      );
    return 0;
  }
  if (!name || !/^[\w.@-]{1,64}$/.test(name)) {
    err(USAGE);
    return 2;
  }
  const password = async () => {
    const p = (await readPassword()).replace(/\r?\n$/, '');
    if (p.length < MIN_PASSWORD_LENGTH) {
      err(`the password must be at least ${MIN_PASSWORD_LENGTH} characters`);
      return undefined;
    }
    return p;
  };
  switch (command) {
    case 'add': {
      const opts = new Map<string, string>();
      for (let i = 0; i < rest.length; i += 2) opts.set(rest[i]?.replace(/^--/, ''), rest[i + 1]);
      const role = opts.get('role');
      if (!isConsoleRole(role) || rest.length % 2 !== 0) {
        err(`${USAGE}\n(roles: ${CONSOLE_ROLES.join(', ')})`);
        return 2;
      }
      const p = await password();
      if (!p) return 2;
      await repo.saveUser(name, opts.get('display') ?? name, role, await hashPassword(p));
      out(`saved ${name} (${role})`);
      return 0;
    }
    case 'passwd': {
      const user = await repo.user(name);
      if (!user) return noSuchUser(name, err);
      const p = await password();
      if (!p) return 2;
      await repo.saveUser(name, user.display_name, user.role, await hashPassword(p));
      await repo.deleteSessionsOf(name);
      out(`password of ${name} changed; signed out everywhere`);
      return 0;
    }
    case 'unlock':
      if (!(await repo.clearFailedLogins(name))) return noSuchUser(name, err);
      out(`${name} may sign in again`);
      return 0;
    case 'logout':
      if (!(await repo.user(name))) return noSuchUser(name, err);
      out(`${await repo.deleteSessionsOf(name)} sessions of ${name} ended`);
      return 0;
    default:
      err(USAGE);
      return 2;
  }
}

function noSuchUser(name: string, err: Out): number {
  err(`no console user ${name}`);
  return 3;
}

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text;
}

async function main(): Promise<number> {
  const cfg = loadConfig(process.env);
  const db = await openDb(cfg.DATABASE_URL, cfg.PGLITE_DIR);
  try {
    await migrate(db, ['console']);
    return await runUsers(process.argv.slice(2), db, readStdin);
  } finally {
    await db.close();
  }
}

if (require.main === module) runCli(() => main());
