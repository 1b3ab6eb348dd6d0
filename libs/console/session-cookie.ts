import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Name of the console's session cookie (HttpOnly, SameSite=Lax, signed). */
export const SESSION_COOKIE = 'jy_console';
export const LANG_COOKIE = 'jy_lang';

const mac = (value: string, secret: string) =>
  createHmac('sha256', `console-session:${secret}`).update(value).digest('base64url');

export const newSessionId = () => randomBytes(24).toString('base64url');
export const newCsrfToken = () => randomBytes(24).toString('base64url');

/** "<session id>.<HMAC>": the id alone would be enough, the signature lets a forged cookie be refused cheaply. */
export function signSessionId(id: string, secret: string): string {
  return `${id}.${mac(id, secret)}`;
}

/**
 * The session id, or null when the cookie is absent, malformed or signed with none of `secrets`
 * (the current secret and, during a rotation, the previous one).
 */
export function unsignSessionId(
  cookie: string | undefined,
  secrets: string | readonly string[],
): string | null {
  if (!cookie) return null;
  const dot = cookie.lastIndexOf('.');
  if (dot <= 0) return null;
  const id = cookie.slice(0, dot);
  const given = Buffer.from(cookie.slice(dot + 1));
  for (const secret of typeof secrets === 'string' ? [secrets] : secrets) {
    const expected = Buffer.from(mac(id, secret));
    if (given.length === expected.length && timingSafeEqual(given, expected)) return id;
  }
  return null;
}

const loginMac = (nonce: string, issued: string, secret: string) =>
  createHmac('sha256', `console-login:${secret}`).update(`${nonce}.${issued}`).digest('base64url');

/** How long a login form may be left open before it is sent. */
export const LOGIN_FORM_SECONDS = 3600;

/**
 * The login form's CSRF token, bound to the random nonce the browser holds in a cookie by an HMAC
 * with the secret, and dated: no cookie/field pair the client makes up passes, only one this server
 * handed out within the last hour.
 */
export function loginCsrfToken(nonce: string, secret: string, now: Date = new Date()): string {
  const issued = Math.floor(now.getTime() / 1000).toString(36);
  return `${issued}.${loginMac(nonce, issued, secret)}`;
}

export function loginCsrfValid(
  nonce: string | undefined,
  token: unknown,
  secrets: readonly string[],
  now: Date = new Date(),
): boolean {
  if (!nonce || typeof token !== 'string') return false;
  const [issued, sig, extra] = token.split('.');
  if (!issued || !sig || extra !== undefined || !/^[0-9a-z]+$/.test(issued)) return false;
  const age = now.getTime() / 1000 - parseInt(issued, 36);
  if (!(age >= -60 && age <= LOGIN_FORM_SECONDS)) return false;
  const given = Buffer.from(sig);
  return secrets.some((secret) => {
    const expected = Buffer.from(loginMac(nonce, issued, secret));
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/** Reads one cookie from a Cookie header (no cookie-parser needed for two cookies). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
