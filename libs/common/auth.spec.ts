import { randomBytes } from 'node:crypto';
import { keyId, lifetimePolicyOf, signRoleToken, verifyRoleToken } from './auth';

const SECRET = 'a-test-secret-of-enough-length';
const NEW_SECRET = randomBytes(32).toString('base64url');

describe('role tokens', () => {
  const now = new Date('2024-07-01T08:00:00Z');
  const at = (s: number) => new Date(now.getTime() + s * 1000);
  const policy = lifetimePolicyOf({
    TOKEN_MAX_HOURS: { 'duty-officer': 12, auditor: 12, 'directory-admin': 12 },
    TOKEN_MAX_HOURS_MACHINE: { 'duty-officer': 720 },
  });

  it('round-trips actor and role, with a token id and key id, until expiry', () => {
    const t = signRoleToken({ actor: 'auditor-1', role: 'auditor', ttlSeconds: 60 }, SECRET, now);
    const check = verifyRoleToken(t, SECRET, now);
    expect(check).toEqual({
      ok: true,
      claims: {
        actor: 'auditor-1',
        role: 'auditor',
        iat: now.getTime() / 1000,
        exp: now.getTime() / 1000 + 60,
        jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
        kid: keyId(SECRET),
      },
    });
    const again = verifyRoleToken(
      signRoleToken({ actor: 'auditor-1', role: 'auditor' }, SECRET, now),
      SECRET,
      now,
    );
    expect(again.ok && check.ok && again.claims.jti !== check.claims.jti).toBe(true);
    expect(verifyRoleToken(t, SECRET, at(61))).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses another secret, a changed payload, a token without key id and garbage', () => {
    const t = signRoleToken({ actor: 'a', role: 'duty-officer' }, SECRET, now);
    expect(verifyRoleToken(t, 'another-secret-of-enough-length', now)).toEqual({
      ok: false,
      reason: 'signed with a key this service does not accept',
    });
    const [body, sig] = t.split('.');
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>;
    const forged = `${Buffer.from(JSON.stringify({ ...claims, role: 'directory-admin' })).toString('base64url')}.${sig}`;
    expect(verifyRoleToken(forged, SECRET, now)).toEqual({ ok: false, reason: 'bad signature' });
    const legacy = `${Buffer.from(JSON.stringify({ actor: 'a', role: 'auditor', exp: 9e9 })).toString('base64url')}.${sig}`;
    expect(verifyRoleToken(legacy, SECRET, now)).toMatchObject({ ok: false, reason: /no key id/ });
    expect(verifyRoleToken('nonsense', SECRET, now)).toEqual({ ok: false, reason: 'malformed token' });
  });

  it('rotates: signs with the current secret, accepts the previous one until it is dropped', () => {
    const old = signRoleToken({ actor: 'feed', role: 'duty-officer' }, SECRET, now);
    const rotating = { current: NEW_SECRET, previous: SECRET };
    const fresh = signRoleToken({ actor: 'feed', role: 'duty-officer' }, rotating, now);
    expect(verifyRoleToken(old, rotating, now).ok).toBe(true);
    expect(verifyRoleToken(fresh, rotating, now)).toMatchObject({
      ok: true,
      claims: { kid: keyId(NEW_SECRET) },
    });
    // The previous secret never signs, and once it is removed its tokens are refused.
    expect(verifyRoleToken(fresh, SECRET, now).ok).toBe(false);
    expect(verifyRoleToken(old, NEW_SECRET, now)).toMatchObject({ ok: false, reason: /key this service/ });
    expect(keyId(SECRET)).not.toBe(keyId(NEW_SECRET));
    expect(keyId(SECRET)).not.toContain(SECRET.slice(0, 6));
  });

  it('refuses a token living longer than its role may, whatever the signer asked for', () => {
    const tenYears = signRoleToken(
      { actor: 'x', role: 'directory-admin', ttlSeconds: 10 * 365 * 86400 },
      SECRET,
      now,
    );
    expect(verifyRoleToken(tenYears, SECRET, now, policy)).toMatchObject({
      ok: false,
      reason: /12 h maximum/,
    });
    const shift = signRoleToken({ actor: 'x', role: 'duty-officer', ttlSeconds: 12 * 3600 }, SECRET, now);
    expect(verifyRoleToken(shift, SECRET, now, policy).ok).toBe(true);
    // Machine clients get longer only where configured (duty-officer here), and only when marked.
    const feed = { actor: 'feed-datong', role: 'duty-officer', ttlSeconds: 30 * 86400 };
    expect(
      verifyRoleToken(signRoleToken({ ...feed, machine: true }, SECRET, now), SECRET, now, policy).ok,
    ).toBe(true);
    expect(verifyRoleToken(signRoleToken(feed, SECRET, now), SECRET, now, policy).ok).toBe(false);
    const auditorBot = { actor: 'bot', role: 'auditor', ttlSeconds: 30 * 86400, machine: true };
    expect(verifyRoleToken(signRoleToken(auditorBot, SECRET, now), SECRET, now, policy).ok).toBe(false);
    // A token dated in the future cannot stretch its lifetime either.
    const future = signRoleToken({ actor: 'x', role: 'auditor', ttlSeconds: 3600 }, SECRET, at(3600));
    expect(verifyRoleToken(future, SECRET, now, policy)).toEqual({
      ok: false,
      reason: 'issued in the future',
    });
  });
});
