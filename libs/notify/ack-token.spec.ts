import { createAckToken, verifyAckToken } from './ack-token';

const SECRET = 'a-signing-secret-of-some-length';

describe('ack tokens', () => {
  const exp = new Date('2030-01-01T00:00:00Z');
  const token = createAckToken(SECRET, 'callout-42', exp);

  it('round-trips the call-out id and expiry', () => {
    expect(verifyAckToken(SECRET, token, new Date('2029-12-31T00:00:00Z'))).toEqual({
      ok: true,
      calloutId: 'callout-42',
      expiresAt: exp,
    });
  });

  it('is URL-safe and short', () => {
    expect(token).toMatch(/^[A-Za-z0-9_.-]+$/);
    expect(token.length).toBeLessThan(50);
  });

  it('refuses another secret, a changed id or expiry, and garbage', () => {
    expect(verifyAckToken('another-secret-of-some-length', token)).toMatchObject({
      ok: false,
      reason: 'forged',
    });
    const [, e, sig] = token.split('.');
    const otherId = Buffer.from('callout-43').toString('base64url');
    expect(verifyAckToken(SECRET, `${otherId}.${e}.${sig}`)).toMatchObject({ ok: false, reason: 'forged' });
    const later = (parseInt(e, 36) + 86400).toString(36);
    expect(verifyAckToken(SECRET, `${token.split('.')[0]}.${later}.${sig}`)).toMatchObject({
      ok: false,
      reason: 'forged',
    });
    expect(verifyAckToken(SECRET, 'nonsense')).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('expires', () => {
    expect(verifyAckToken(SECRET, token, new Date('2030-01-02T00:00:00Z'))).toMatchObject({
      ok: false,
      reason: 'expired',
    });
  });
});
