import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed, expiring acknowledgement links: token = base64url(calloutId) . expiry (unix seconds, base 36)
 * . HMAC-SHA256(secret, calloutId + "." + expiry) truncated to 128 bits. Short enough for an SMS, and
 * nothing in it can be changed without the secret.
 */
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64url');

function mac(secret: string, calloutId: string, exp: number): string {
  return createHmac('sha256', secret)
    .update(`${calloutId}.${exp}`)
    .digest()
    .subarray(0, 16)
    .toString('base64url');
}

export function createAckToken(secret: string, calloutId: string, expiresAt: Date): string {
  const exp = Math.floor(expiresAt.getTime() / 1000);
  return `${b64(calloutId)}.${exp.toString(36)}.${mac(secret, calloutId, exp)}`;
}

export type AckTokenCheck =
  | { ok: true; calloutId: string; expiresAt: Date }
  | { ok: false; reason: 'malformed' | 'forged' | 'expired'; calloutId?: string };

/** `secrets`: the current signing secret and, during a rotation, the previous one. */
export function verifyAckToken(
  secrets: string | readonly string[],
  token: string,
  now = new Date(),
): AckTokenCheck {
  const parts = token.split('.');
  if (parts.length !== 3 || !/^[0-9a-z]+$/.test(parts[1])) return { ok: false, reason: 'malformed' };
  const calloutId = Buffer.from(parts[0], 'base64url').toString('utf8');
  const exp = parseInt(parts[1], 36);
  if (!calloutId || !Number.isFinite(exp)) return { ok: false, reason: 'malformed' };
  const given = Buffer.from(parts[2]);
  const signedBy = (secret: string) => {
    const expected = Buffer.from(mac(secret, calloutId, exp));
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  if (!(typeof secrets === 'string' ? [secrets] : secrets).some(signedBy))
    return { ok: false, reason: 'forged' };
  if (exp * 1000 < now.getTime()) return { ok: false, reason: 'expired', calloutId };
  return { ok: true, calloutId, expiresAt: new Date(exp * 1000) };
}
