import { signRoleToken } from './auth';
import { checkBearer } from './role.guard';

const SECRET = 'a-test-secret-of-enough-length';

describe('checkBearer (the role rule of every HTTP API)', () => {
  const now = new Date('2024-07-01T08:00:00Z');
  const duty = signRoleToken({ actor: 'duty-wang', role: 'duty-officer', ttlSeconds: 60 }, SECRET, now);
  const allowed = ['duty-officer', 'auditor'];

  it('admits a listed role and returns its actor', () => {
    expect(checkBearer(`Bearer ${duty}`, SECRET, allowed, now)).toMatchObject({
      ok: true,
      claims: { actor: 'duty-wang', role: 'duty-officer', exp: now.getTime() / 1000 + 60 },
    });
  });

  it('answers 401 without a token, with a forged or expired one, or without a secret', () => {
    const later = new Date(now.getTime() + 61_000);
    const other = signRoleToken({ actor: 'x', role: 'duty-officer' }, 'another-secret-of-enough-length', now);
    for (const [header, secret, at] of [
      [undefined, SECRET, now],
      ['Basic abc', SECRET, now],
      [`Bearer ${other}`, SECRET, now],
      [`Bearer ${duty}`, SECRET, later],
      [`Bearer ${duty}`, undefined, now],
    ] as const)
      expect(checkBearer(header, secret, allowed, at)).toMatchObject({ ok: false, status: 401 });
  });

  it('answers 403 for a role not listed, and for any role when none is listed', () => {
    const admin = signRoleToken({ actor: 'a', role: 'directory-admin' }, SECRET, now);
    expect(checkBearer(`Bearer ${admin}`, SECRET, allowed, now)).toMatchObject({ ok: false, status: 403 });
    expect(checkBearer(`Bearer ${duty}`, SECRET, [], now)).toMatchObject({ ok: false, status: 403 });
  });
});
