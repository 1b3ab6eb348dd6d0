import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * A small signed role token (HMAC-SHA256 with SIGNING_SECRET) until the console's login exists:
 * `base64url(JSON payload) + "." + base64url(signature)`, payload {actor, role, exp (seconds)}.
 */
export interface RoleClaims {
  actor: string;
  role: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64url');
const sign = (body: string, secret: string) => createHmac('sha256', secret).update(body).digest();

export function signRoleToken(
  claims: { actor: string; role: string; ttlSeconds?: number },
  secret: string,
  now: Date = new Date(),
): string {
  const payload: RoleClaims = {
    actor: claims.actor,
    role: claims.role,
    exp: Math.floor(now.getTime() / 1000) + (claims.ttlSeconds ?? 8 * 3600),
  };
  const body = b64(JSON.stringify(payload));
  return `${body}.${b64(sign(body, secret))}`;
}

export type TokenCheck = { ok: true; claims: RoleClaims } | { ok: false; reason: string };

export function verifyRoleToken(token: string, secret: string, now: Date = new Date()): TokenCheck {
  const [body, sig, extra] = token.split('.');
  if (!body || !sig || extra !== undefined) return { ok: false, reason: 'malformed token' };
  const expected = sign(body, secret);
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'bad signature' };
  let claims: RoleClaims;
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as RoleClaims;
  } catch {
    return { ok: false, reason: 'malformed token' };
  }
  if (typeof claims.actor !== 'string' || !claims.actor || typeof claims.role !== 'string')
    return { ok: false, reason: 'malformed token' };
  if (typeof claims.exp !== 'number' || claims.exp * 1000 <= now.getTime())
    return { ok: false, reason: 'expired' };
  return { ok: true, claims };
}
