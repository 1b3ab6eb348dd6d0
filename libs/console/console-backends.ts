import { Inject, Injectable } from '@nestjs/common';
import { signRoleToken } from '../common/auth';
import { AppConfig } from '../config/config';
import { CONFIG } from '../infra/tokens';

export interface BackendReply<T = unknown> {
  status: number;
  ok: boolean;
  body: T;
}

/**
 * A backend's own type as its JSON body arrives: dates are ISO strings. The console types the replies
 * it reads by the owning context's exported types through this, never by hand-kept copies.
 */
export type OverJson<T> = T extends Date
  ? string
  : T extends (infer E)[]
    ? OverJson<E>[]
    : T extends object
      ? { [K in keyof T]: OverJson<T[K]> }
      : T;

/** A service the console could not reach or that answered with a server error. */
export class BackendUnavailable extends Error {
  constructor(
    readonly service: string,
    message: string,
  ) {
    super(`${service}: ${message}`);
    this.name = 'BackendUnavailable';
  }
}

type Service = 'intake' | 'tracker' | 'audit' | 'directory' | 'notifier';

/** Who a backend call is made for: the signed-in console user (actor `console:<username>`, their role). */
export interface BackendUser {
  actor: string;
  role: string;
}

/** The backend identity of a console session. */
export function backendUserOf(session: { username: string; role: string }): BackendUser {
  return { actor: `console:${session.username}`, role: session.role };
}

/** How long a token minted for one backend call lives: long enough for a slow import, no more. */
const CALL_TOKEN_SECONDS = 300;

type CallInit = {
  method?: string;
  json?: unknown;
  body?: Buffer | string;
  contentType?: string;
} & ({ as: BackendUser } | { auditor: string });

/**
 * The console uses the other contexts only through their HTTP APIs, like any other client: intake
 * (warnings), tracker (call-out progress and actions), directory (divisions, import, health) and
 * audit. Shared vocabulary and the message templates' renderer are libraries, not contexts
 * (docs/adr/0004-shared-libraries.md). Every call carries a short role token signed for the
 * signed-in user's name and role, so each service applies its own role rules
 * (libs/common/role.guard.ts) to the console as to anyone.
 */
@Injectable()
export class ConsoleBackends {
  private readonly base: Record<Service, string>;

  constructor(@Inject(CONFIG) private readonly cfg: AppConfig) {
    const own = `http://127.0.0.1:${cfg.HTTP_PORT}`;
    this.base = {
      intake: cfg.CONSOLE_INTAKE_URL ?? own,
      tracker: cfg.CONSOLE_TRACKER_URL ?? own,
      audit: cfg.CONSOLE_AUDIT_URL ?? own,
      directory: cfg.CONSOLE_DIRECTORY_URL ?? own,
      notifier: cfg.CONSOLE_NOTIFIER_URL ?? own,
    };
  }

  url(service: Service, path: string): string {
    return this.base[service].replace(/\/$/, '') + path;
  }

  /** Raw fetch (for proxying downloads); throws BackendUnavailable when the service cannot be reached. */
  async fetch(service: Service, path: string, init: RequestInit = {}): Promise<Response> {
    try {
      return await fetch(this.url(service, path), { ...init, signal: AbortSignal.timeout(30_000) });
    } catch (e) {
      throw new BackendUnavailable(service, (e as Error).message);
    }
  }

  async call<T = unknown>(service: Service, path: string, init: CallInit): Promise<BackendReply<T>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    let body: string | Uint8Array | undefined;
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    } else if (init.body !== undefined) {
      headers['content-type'] = init.contentType ?? 'text/csv';
      body = typeof init.body === 'string' ? init.body : new Uint8Array(init.body);
    }
    const user = 'as' in init ? init.as : { actor: init.auditor, role: 'auditor' };
    headers.authorization = `Bearer ${this.tokenFor(user)}`;
    const res = await this.fetch(service, path, { method: init.method ?? 'GET', headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text
    }
    if (res.status >= 500) {
      const msg = (parsed as { message?: string } | null)?.message ?? String(text).slice(0, 300);
      throw new BackendUnavailable(service, `HTTP ${res.status}: ${msg}`);
    }
    return { status: res.status, ok: res.ok, body: parsed as T };
  }

  /** A short-lived role token in the name of the signed-in user. */
  tokenFor(user: BackendUser): string {
    return signRoleToken(
      { actor: user.actor, role: user.role, ttlSeconds: CALL_TOKEN_SECONDS },
      this.cfg.SIGNING_SECRET ?? '',
    );
  }

  /** A short-lived token for the audit API, in the name of the signed-in auditor. */
  auditorToken(actor: string): string {
    return this.tokenFor({ actor, role: 'auditor' });
  }
}
