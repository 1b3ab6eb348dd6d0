import { signRoleToken, verifyRoleToken } from './auth';

const SECRET = 'a-test-secret-of-enough-length';

describe('role tokens', () => {
  const now = new Date('2024-07-01T08:00:00Z');

  it('round-trips actor and role until expiry', () => {
    const t = signRoleToken({ actor: 'auditor-1', role: 'auditor', ttlSeconds: 60 }, SECRET, now);
    expect(verifyRoleToken(t, SECRET, now)).toEqual({
      ok: true,
      claims: { actor: 'auditor-1', role: 'auditor', exp: now.getTime() / 1000 + 60 },
    });
    expect(verifyRoleToken(t, SECRET, new Date(now.getTime() + 61_000))).toEqual({
      ok: false,
      reason: 'expired',
    });
  });

  it('refuses another secret, a changed payload and garbage', () => {
    const t = signRoleToken({ actor: 'a', role: 'duty-officer' }, SECRET, now);
    expect(verifyRoleToken(t, 'another-secret-of-enough-length', now)).toEqual({
      ok: false,
      reason: 'bad signature',
    });
    const [, sig] = t.split('.');
    const forged = `${Buffer.from(JSON.stringify({ actor: 'a', role: 'auditor', exp: 9e9 })).toString('base64url')}.${sig}`;
    expect(verifyRoleToken(forged, SECRET, now)).toEqual({ ok: false, reason: 'bad signature' });
    expect(verifyRoleToken('nonsense', SECRET, now)).toEqual({ ok: false, reason: 'malformed token' });
  });
});
