import { maskPhone } from '../common/mask';

/** The console's roles. Each console user has exactly one. */
export const CONSOLE_ROLES = ['duty-officer', 'auditor', 'directory-admin'] as const;
export type ConsoleRole = (typeof CONSOLE_ROLES)[number];

/**
 * What a console route does. Routes declare one action; the guard checks the session's role here.
 *   view-board   see the duty-officer board (everyone signed in: auditors and admins read it too)
 *   issue        issue, update or cancel a warning
 *   act          mark a not-woken person reached, call again now
 *   audit        the auditor's views and exports (the audit API itself admits auditors only)
 *   directory    upload, dry-run and apply rosters; the directory health report
 */
export type ConsoleAction = 'view-board' | 'issue' | 'act' | 'audit' | 'directory';

const GRANTS: Record<ConsoleRole, readonly ConsoleAction[]> = {
  'duty-officer': ['view-board', 'issue', 'act'],
  auditor: ['view-board', 'audit'],
  'directory-admin': ['view-board', 'directory'],
};

export function isConsoleRole(r: unknown): r is ConsoleRole {
  return typeof r === 'string' && (CONSOLE_ROLES as readonly string[]).includes(r);
}

export function can(role: ConsoleRole, action: ConsoleAction): boolean {
  return GRANTS[role]?.includes(action) ?? false;
}

/** The actions a role may take: views use it to show only the buttons that would work. */
export function grantsOf(role: ConsoleRole): Record<ConsoleAction, boolean> {
  return {
    'view-board': can(role, 'view-board'),
    issue: can(role, 'issue'),
    act: can(role, 'act'),
    audit: can(role, 'audit'),
    directory: can(role, 'directory'),
  };
}

/**
 * Whole phone numbers are shown only to the directory admin, who maintains them; everyone else sees
 * them masked (duty officers reach persons through "call again now", not by dialling by hand).
 */
export function phoneFor(role: ConsoleRole, phone: string | null | undefined): string {
  if (role === 'directory-admin') return phone ?? '';
  // Services that already mask (the tracker does) send "+86138****1234": keep it as it is.
  return phone?.includes('*') ? phone : maskPhone(phone);
}

export type AccessDecision =
  { allow: true } | { allow: false; status: 401 | 403; reason: string; redirectToLogin?: boolean };

/**
 * The whole access rule of one request, as plain logic: signed in → CSRF token on every state change
 * → the role grants the route's action.
 */
export function decideAccess(req: {
  method: string;
  action: ConsoleAction;
  session: { role: ConsoleRole; csrf: string } | null;
  csrfGiven: string | undefined;
}): AccessDecision {
  const unsafe = !['GET', 'HEAD', 'OPTIONS'].includes(req.method.toUpperCase());
  if (!req.session) return { allow: false, status: 401, reason: 'not signed in', redirectToLogin: !unsafe };
  if (unsafe && !csrfMatches(req.session.csrf, req.csrfGiven))
    return { allow: false, status: 403, reason: 'missing or wrong CSRF token' };
  if (!can(req.session.role, req.action))
    return { allow: false, status: 403, reason: `the ${req.session.role} role may not ${req.action}` };
  return { allow: true };
}

/** Constant-time comparison of the session's token with the one the form sent. */
export function csrfMatches(expected: string, given: string | undefined): boolean {
  if (!given || given.length !== expected.length) return false;
  let diff = 0;
  for (let i = 0; i < expected.length; i++) diff |= expected.charCodeAt(i) ^ given.charCodeAt(i);
  return diff === 0;
}
