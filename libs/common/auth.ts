import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

/**
 * The role token every HTTP API wants (HMAC-SHA256 with SIGNING_SECRET):
 * `base64url(JSON payload) + "." + base64url(signature)`, payload
 * {actor, role, iat, exp (seconds), jti (token id), kid (key id), machine?}.
 *
 * - `kid` names the secret that signed it, so a secret can be rotated without downtime: services
 *   accept SIGNING_SECRET and SIGNING_SECRET_PREVIOUS, and sign only with the first.
 * - `jti` lets one token be revoked; `actor` + `iat` let every token of an actor issued before a
 *   moment be revoked (libs/common/revocations.ts).
 * - `exp - iat` may not exceed the role's maximum lifetime (TOKEN_MAX_HOURS, longer for machine
 *   clients only when TOKEN_MAX_HOURS_MACHINE says so), whatever the signer asked for.
 */
export interface RoleClaims {
  actor: string;
  role: string;
  /** Issued at and expiry, seconds since the epoch. */
  iat: number;
  exp: number;
  jti: string;
  kid: string;
  /** A machine client's token (a feed, a script), not a person's. */
  machine?: true;
}

/** The secret that signs, and the one it replaced (still accepted while a rotation is under way). */
export interface SigningKeys {
  current: string;
  previous?: string;
}

export function signingKeysOf(cfg: {
  SIGNING_SECRET?: string;
  SIGNING_SECRET_PREVIOUS?: string;
}): SigningKeys {
  if (!cfg.SIGNING_SECRET) throw new Error('SIGNING_SECRET is not set');
  return { current: cfg.SIGNING_SECRET, previous: cfg.SIGNING_SECRET_PREVIOUS };
}

const keysOf = (k: SigningKeys | string): SigningKeys => (typeof k === 'string' ? { current: k } : k);

/** Every secret accepted on a signature: the current one first. */
export function acceptedSecrets(k: SigningKeys | string): string[] {
  const keys = keysOf(k);
  return keys.previous && keys.previous !== keys.current ? [keys.current, keys.previous] : [keys.current];
}

/** A short public name of a secret (a hash prefix: says which secret, reveals nothing of it). */
export function keyId(secret: string): string {
  return createHash('sha256').update(`role-token-key:${secret}`).digest('base64url').slice(0, 10);
}

/** The longest lifetime (seconds) a token of this role may have; undefined = no limit. */
export type LifetimePolicy = (role: string, machine: boolean) => number | undefined;

/** The policy of TOKEN_MAX_HOURS / TOKEN_MAX_HOURS_MACHINE; a role named in neither gets 12 h. */
export function lifetimePolicyOf(cfg: {
  TOKEN_MAX_HOURS: Record<string, number>;
  TOKEN_MAX_HOURS_MACHINE: Record<string, number>;
}): LifetimePolicy {
  return (role, machine) =>
    3600 * ((machine ? cfg.TOKEN_MAX_HOURS_MACHINE[role] : undefined) ?? cfg.TOKEN_MAX_HOURS[role] ?? 12);
}

/** How far a signer's clock may run ahead of the verifier's. */
const CLOCK_SKEW_SECONDS = 60;

const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64url');
const sign = (body: string, secret: string) => createHmac('sha256', secret).update(body).digest();

export function signRoleToken(
  claims: { actor: string; role: string; ttlSeconds?: number; machine?: boolean },
  keys: SigningKeys | string,
  now: Date = new Date(),
): string {
  const secret = keysOf(keys).current;
  const iat = Math.floor(now.getTime() / 1000);
  const payload: RoleClaims = {
    actor: claims.actor,
    role: claims.role,
    iat,
    exp: iat + (claims.ttlSeconds ?? 8 * 3600),
    jti: randomUUID(),
    kid: keyId(secret),
    ...(claims.machine ? { machine: true as const } : {}),
  };
  const body = b64(JSON.stringify(payload));
  return `${body}.${b64(sign(body, secret))}`;
}

export type TokenCheck = { ok: true; claims: RoleClaims } | { ok: false; reason: string };

export function verifyRoleToken(
  token: string,
  keys: SigningKeys | string,
  now: Date = new Date(),
  maxLifetime?: LifetimePolicy,
): TokenCheck {
  const [body, sig, extra] = token.split('.');
  if (!body || !sig || extra !== undefined) return { ok: false, reason: 'malformed token' };
  let claims: RoleClaims;
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as RoleClaims;
  } catch {
    return { ok: false, reason: 'malformed token' };
  }
  if (!claims || typeof claims !== 'object' || typeof claims.kid !== 'string')
    return { ok: false, reason: 'malformed token (no key id)' };
  // The key id only picks the secret to check with; it is covered by the signature like the rest.
  const secret = acceptedSecrets(keys).find((s) => keyId(s) === claims.kid);
  if (!secret) return { ok: false, reason: 'signed with a key this service does not accept' };
  const expected = sign(body, secret);
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'bad signature' };
  if (
    typeof claims.actor !== 'string' ||
    !claims.actor ||
    typeof claims.role !== 'string' ||
    typeof claims.jti !== 'string' ||
    !claims.jti ||
    typeof claims.iat !== 'number' ||
    typeof claims.exp !== 'number'
  )
    return { ok: false, reason: 'malformed token' };
  const nowSec = now.getTime() / 1000;
  if (claims.exp <= nowSec) return { ok: false, reason: 'expired' };
  if (claims.iat > nowSec + CLOCK_SKEW_SECONDS) return { ok: false, reason: 'issued in the future' };
  const max = maxLifetime?.(claims.role, claims.machine === true);
  if (max !== undefined && claims.exp - claims.iat > max)
    return {
      ok: false,
      reason: `lifetime of ${((claims.exp - claims.iat) / 3600).toFixed(1)} h is over the ${max / 3600} h maximum for a ${claims.machine ? 'machine' : 'person'}'s ${claims.role} token`,
    };
  return { ok: true, claims };
}
