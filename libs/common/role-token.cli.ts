/*
 * Role tokens for operators and machine clients of the HTTP APIs (`Authorization: Bearer <token>`),
 * and their revocation:
 *   npm run token -- --role duty-officer --actor NAME [--hours N] [--machine]
 *       prints a token signed with SIGNING_SECRET (its id and expiry go to stderr); at most the
 *       role's TOKEN_MAX_HOURS (TOKEN_MAX_HOURS_MACHINE with --machine), 8 h by default
 *   npm run token -- revoke --token TOKEN | --jti ID  [--reason TEXT]
 *   npm run token -- revoke --actor NAME [--before ISO-TIME (default now)] [--reason TEXT]
 *   npm run token -- revocations
 * Revocations are stored in the database (DATABASE_URL) and reach every service within
 * REVOCATION_CACHE_SECONDS. Exit code 0 = done, 2 = bad arguments or configuration.
 */
import { userInfo } from 'node:os';
import { ConfigError, ConfigKey, loadConfig } from '../config/config';
import { Db, openDb } from '../db/db';
import { migrate } from '../db/migrate';
import { lifetimePolicyOf, RoleClaims, signingKeysOf, signRoleToken } from './auth';
import { RevocationRepository } from './revocations';
import { API_ROLES } from './role.guard';
import { runCli } from './cli';

const USAGE = [
  'usage: npm run token -- --role duty-officer|auditor|directory-admin --actor NAME [--hours N (default 8)] [--machine]',
  '       npm run token -- revoke --token TOKEN | --jti ID | --actor NAME [--before ISO-TIME]  [--reason TEXT]',
  '       npm run token -- revocations',
].join('\n');

type Out = (line: string) => void;

function parseOptions(args: string[], flags: readonly string[]): Map<string, string> | undefined {
  const opts = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const k = args[i];
    if (!k?.startsWith('--')) return undefined;
    if (flags.includes(k.slice(2))) {
      opts.set(k.slice(2), '1');
      continue;
    }
    const v = args[i + 1];
    if (v === undefined) return undefined;
    opts.set(k.slice(2), v);
    i++;
  }
  return opts;
}

function configOf(
  env: Record<string, string | undefined>,
  err: Out,
  required: ConfigKey[] = ['SIGNING_SECRET'],
) {
  try {
    return loadConfig(env, required);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    err(e.message);
    return undefined;
  }
}

export function runToken(
  args: string[],
  env: Record<string, string | undefined> = process.env,
  out: Out = (l) => console.log(l),
  err: Out = (l) => console.error(l),
  now: Date = new Date(),
): number {
  const opts = parseOptions(args, ['machine']);
  const role = opts?.get('role') ?? '';
  const actor = (opts?.get('actor') ?? '').trim();
  const hours = Number(opts?.get('hours') ?? 8);
  if (!opts || !(API_ROLES as readonly string[]).includes(role) || !actor || !(hours > 0)) {
    err(USAGE);
    return 2;
  }
  const cfg = configOf(env, err);
  if (!cfg) return 2;
  const machine = opts.has('machine');
  const maxHours = lifetimePolicyOf(cfg)(role, machine)! / 3600;
  if (hours > maxHours) {
    err(
      `--hours ${hours} is over the ${maxHours} h maximum for a ${machine ? 'machine' : 'person'}'s ${role} token ` +
        `(${machine ? 'TOKEN_MAX_HOURS_MACHINE' : 'TOKEN_MAX_HOURS'}); the services would refuse it`,
    );
    return 2;
  }
  const token = signRoleToken(
    { actor, role, ttlSeconds: Math.round(hours * 3600), machine },
    signingKeysOf(cfg),
    now,
  );
  const claims = decodeClaims(token)!;
  out(token);
  err(`token id (jti) ${claims.jti}, expires ${new Date(claims.exp! * 1000).toISOString()}`);
  return 0;
}

/** The payload of a token, unverified (to revoke a token one holds, whatever signed it). */
export function decodeClaims(token: string): Partial<RoleClaims> | undefined {
  try {
    const c = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8')) as unknown;
    return c && typeof c === 'object' ? (c as Partial<RoleClaims>) : undefined;
  } catch {
    return undefined;
  }
}

/** `revoke` and `revocations` on an open database. */
export async function runRevocation(
  args: string[],
  db: Db,
  env: Record<string, string | undefined> = process.env,
  out: Out = (l) => console.log(l),
  err: Out = (l) => console.error(l),
  now: Date = new Date(),
): Promise<number> {
  const repo = new RevocationRepository(db);
  if (args[0] === 'revocations' && args.length === 1) {
    for (const t of await repo.tokens())
      out(`token ${t.jti}  until ${t.expires_at}  by ${t.revoked_by}: ${t.reason}`);
    for (const a of await repo.actors())
      out(`actor ${a.actor}  tokens issued before ${a.revoked_before}  by ${a.revoked_by}: ${a.reason}`);
    return 0;
  }
  const opts = args[0] === 'revoke' ? parseOptions(args.slice(1), []) : undefined;
  const given = ['token', 'jti', 'actor'].filter((k) => opts?.has(k));
  if (!opts || given.length !== 1) {
    err(USAGE);
    return 2;
  }
  const reason = opts.get('reason') ?? 'revoked by an operator';
  const by = opts.get('by') ?? `cli:${userInfo().username}`;
  if (opts.has('actor')) {
    const actor = opts.get('actor')!.trim();
    const before = opts.has('before') ? new Date(opts.get('before')!) : now;
    if (!actor || Number.isNaN(before.getTime())) {
      err(USAGE);
      return 2;
    }
    await repo.revokeActor(actor, before, reason, by);
    out(`revoked every token of ${actor} issued before ${before.toISOString()}`);
    return 0;
  }
  const claims = opts.has('token') ? decodeClaims(opts.get('token')!) : { jti: opts.get('jti') };
  if (typeof claims?.jti !== 'string' || !claims.jti) {
    err('not a role token (no token id)');
    return 2;
  }
  const cfg = configOf(env, err, []);
  if (!cfg) return 2;
  // Without the token's own expiry, keep the row as long as any token may live.
  const policy = lifetimePolicyOf(cfg);
  const longest = Math.max(...API_ROLES.flatMap((r) => [policy(r, false)!, policy(r, true)!]));
  const expires =
    typeof claims.exp === 'number' ? new Date(claims.exp * 1000) : new Date(now.getTime() + longest * 1000);
  await repo.revokeToken(claims.jti, expires, reason, by);
  out(`revoked token ${claims.jti}`);
  return 0;
}

async function main(args: string[]): Promise<number> {
  if (args[0] !== 'revoke' && args[0] !== 'revocations') return runToken(args);
  const cfg = configOf(process.env, (l) => console.error(l), []);
  if (!cfg) return 2;
  const db = await openDb(cfg.DATABASE_URL, cfg.PGLITE_DIR);
  try {
    await migrate(db, ['common']);
    return await runRevocation(args, db);
  } finally {
    await db.close();
  }
}

if (require.main === module) runCli(() => main(process.argv.slice(2)));
