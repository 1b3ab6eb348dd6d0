import { randomBytes } from 'node:crypto';
import { lifetimePolicyOf, verifyRoleToken } from './auth';
import { runToken } from './role-token.cli';

const SECRET = randomBytes(32).toString('base64url');

describe('npm run token', () => {
  const now = new Date('2024-07-01T08:00:00Z');
  const run = (args: string[], env: Record<string, string> = { SIGNING_SECRET: SECRET }) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = runToken(
      args,
      env,
      (l) => out.push(l),
      (l) => err.push(l),
      now,
    );
    return { code, out, err };
  };
  const policy = lifetimePolicyOf({ TOKEN_MAX_HOURS: {}, TOKEN_MAX_HOURS_MACHINE: { 'duty-officer': 720 } });

  it('prints a token for the role and actor that the services verify, valid for --hours, and its id', () => {
    const r = run(['--role', 'duty-officer', '--actor', 'feed-datong', '--hours', '2']);
    expect(r.code).toBe(0);
    const check = verifyRoleToken(r.out[0], SECRET, now, policy);
    expect(check).toMatchObject({
      ok: true,
      claims: { actor: 'feed-datong', role: 'duty-officer', exp: now.getTime() / 1000 + 7200 },
    });
    expect(r.err.join('')).toContain(check.ok ? check.claims.jti : 'no jti');
    expect(verifyRoleToken(r.out[0], SECRET, new Date(now.getTime() + 7201_000)).ok).toBe(false);
  });

  it('keeps to the maximum lifetime: 12 h for a person, longer for a machine only when configured', () => {
    const over = run(['--role', 'auditor', '--actor', 'x', '--hours', '13']);
    expect(over.code).toBe(2);
    expect(over.err.join('')).toMatch(/12 h maximum/);
    expect(run(['--role', 'duty-officer', '--actor', 'feed', '--hours', '240', '--machine']).code).toBe(2);
    const env = { SIGNING_SECRET: SECRET, TOKEN_MAX_HOURS_MACHINE: 'duty-officer=720' };
    const feed = run(['--role', 'duty-officer', '--actor', 'feed', '--hours', '240', '--machine'], env);
    expect(feed.code).toBe(0);
    expect(verifyRoleToken(feed.out[0], SECRET, now, policy)).toMatchObject({
      ok: true,
      claims: { machine: true },
    });
  });

  it('refuses an unknown role, a missing actor, odd hours, and a missing, short or published secret', () => {
    expect(run(['--role', 'root', '--actor', 'x']).code).toBe(2);
    expect(run(['--role', 'auditor']).code).toBe(2);
    expect(run(['--role', 'auditor', '--actor', 'x', '--hours', '0']).code).toBe(2);
    expect(run(['--role', 'auditor', '--actor']).code).toBe(2);
    const envs: Record<string, string>[] = [
      {},
      { SIGNING_SECRET: 'short-secret' },
      { SIGNING_SECRET: 'change-me-to-a-long-random-secret' },
    ];
    for (const env of envs) {
      const r = run(['--role', 'auditor', '--actor', 'x'], env);
      expect(r.code).toBe(2);
      expect(r.err.join('')).toContain('SIGNING_SECRET');
      expect(r.out).toEqual([]);
    }
  });
});
