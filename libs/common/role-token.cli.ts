/*
 * `npm run token -- --role duty-officer --actor NAME [--hours N]`: prints a role token signed with
 * SIGNING_SECRET for an operator or a machine client of the HTTP APIs, to send as
 * `Authorization: Bearer <token>`. Exit code 0 = printed, 2 = bad arguments or no secret.
 */
import { signRoleToken } from './auth';
import { API_ROLES } from './role.guard';

const USAGE =
  'usage: npm run token -- --role duty-officer|auditor|directory-admin --actor NAME [--hours N (default 8, at most 720)]';

export function runToken(
  args: string[],
  env: Record<string, string | undefined> = process.env,
  out: (line: string) => void = (l) => console.log(l),
  err: (line: string) => void = (l) => console.error(l),
  now: Date = new Date(),
): number {
  const opts = new Map<string, string>();
  for (let i = 0; i < args.length; i += 2) {
    const [k, v] = [args[i], args[i + 1]];
    if (!k?.startsWith('--') || v === undefined) {
      err(USAGE);
      return 2;
    }
    opts.set(k.slice(2), v);
  }
  const role = opts.get('role') ?? '';
  const actor = (opts.get('actor') ?? '').trim();
  const hours = Number(opts.get('hours') ?? 8);
  if (!(API_ROLES as readonly string[]).includes(role) || !actor || !(hours > 0 && hours <= 720)) {
    err(USAGE);
    return 2;
  }
  const secret = env.SIGNING_SECRET;
  if (!secret || secret.length < 16) {
    err(
      'SIGNING_SECRET (at least 16 characters) must be set to the services’ own secret ' +
        '(the all-in-one demo uses demo-signing-secret-change-me when it is unset).',
    );
    return 2;
  }
  out(signRoleToken({ actor, role, ttlSeconds: Math.round(hours * 3600) }, secret, now));
  return 0;
}

if (require.main === module) process.exit(runToken(process.argv.slice(2)));
