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
