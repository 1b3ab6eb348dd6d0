import { verifyRoleToken } from './auth';
import { runToken } from './role-token.cli';

const SECRET = 'a-test-secret-of-enough-length';

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

  it('prints a token for the role and actor that the services verify, valid for --hours', () => {
    const r = run(['--role', 'duty-officer', '--actor', 'feed-datong', '--hours', '2']);
    expect(r.code).toBe(0);
    expect(verifyRoleToken(r.out[0], SECRET, now)).toEqual({
      ok: true,
      claims: { actor: 'feed-datong', role: 'duty-officer', exp: now.getTime() / 1000 + 7200 },
    });
    expect(verifyRoleToken(r.out[0], SECRET, new Date(now.getTime() + 7201_000)).ok).toBe(false);
  });

  it('refuses an unknown role, a missing actor, odd hours and a missing secret', () => {
    expect(run(['--role', 'root', '--actor', 'x']).code).toBe(2);
    expect(run(['--role', 'auditor']).code).toBe(2);
    expect(run(['--role', 'auditor', '--actor', 'x', '--hours', '0']).code).toBe(2);
    expect(run(['--role', 'auditor', '--actor']).code).toBe(2);
    const noSecret = run(['--role', 'auditor', '--actor', 'x'], {});
    expect(noSecret.code).toBe(2);
    expect(noSecret.err.join('')).toContain('SIGNING_SECRET');
    expect(noSecret.out).toEqual([]);
  });
});
