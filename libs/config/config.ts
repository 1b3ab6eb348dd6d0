import { z } from 'zod';
import { refilingDateSchema } from '../drills/verification-window';

/**
 * The one typed configuration of every service, read from the environment once at start.
 * Each variable is documented in .env.example. A bad or missing value stops the service with a
 * message that names the variable (ConfigError).
 */
const csv = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

const url = z.string().url();
const port = z.coerce.number().int().min(0).max(65535);
const flag = z
  .enum(['0', '1', 'true', 'false'], { message: 'must be 1 (on) or 0 (off)' })
  .transform((v) => v === '1' || v === 'true');
/** "role=hours,role=hours": the longest lifetime a role token of each role may have. */
const hoursPerRole = z.string().transform((s, ctx) => {
  const out: Record<string, number> = {};
  for (const part of csv(s)) {
    const m = /^([\w-]+)=(\d+(?:\.\d+)?)$/.exec(part);
    if (!m || !(Number(m[2]) > 0)) {
      ctx.addIssue({ code: 'custom', message: `"${part}" is not role=hours` });
      return z.NEVER;
    }
    out[m[1]] = Number(m[2]);
  }
  return out;
});

export const configSchema = z.object({
  /** Comma-separated host:port list. Unset only in the all-in-one app, which then starts a local broker. */
  KAFKA_BROKERS: z
    .string()
    .transform(csv)
    .pipe(z.array(z.string().regex(/^[\w.-]+:\d+$/, 'each broker must be host:port')).min(1))
    .optional(),
  /** Prefix for every topic and consumer group: lets several test runs share one broker. */
  KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[\w.-]*$/)
    .default(''),
  /**
   * Copies of each partition of the topics the services create; unset means the cluster's own
   * default.replication.factor and min.insync.replicas (1 and 1 on a single broker, 3 and 2 on the
   * 3-broker cluster of scripts/kafka.sh and docker-compose.yml).
   */
  KAFKA_REPLICATION_FACTOR: z.coerce.number().int().min(1).optional(),
  /** postgres://… selects a PostgreSQL server; unset means the embedded PGlite database. */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  /**
   * How long a service starting while its PostgreSQL server does not answer waits for it (retrying
   * with backoff) before it gives up and exits: a service and its database are often started together.
   */
  DB_STARTUP_WAIT_S: z.coerce.number().int().min(0).default(120),
  /** Connections each service's PostgreSQL pool may open (PostgreSQL only; the server's max_connections bounds the sum). */
  DB_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  /** Folder of the embedded PGlite database (used only when DATABASE_URL is unset). */
  PGLITE_DIR: z.string().default('.data/pglite'),
  TWILIO_ACCOUNT_SID: z
    .string()
    .regex(/^AC[0-9a-fA-F]{32}$/, 'must be AC followed by 32 hex digits')
    .optional(),
  TWILIO_AUTH_TOKEN: z.string().optional(),
  /** Twilio's API base, e.g. https://api.twilio.com; the project's simulator in tests and the demo. */
  TWILIO_API_BASE_URL: url.optional(),
  /** Sender numbers (E.164) for SMS and voice. */
  TWILIO_SMS_FROM: z
    .string()
    .regex(/^\+\d{6,15}$/, 'must be an E.164 number')
    .optional(),
  TWILIO_VOICE_FROM: z
    .string()
    .regex(/^\+\d{6,15}$/, 'must be an E.164 number')
    .optional(),
  /**
   * Which providers carry which numbers, in order (libs/notify/providers/routes.ts):
   * "+86=tencent>twilio,*=twilio" sends mainland numbers through Tencent Cloud, Twilio taking over.
   * Unset: no carrier is declared and every SMS offers the reply and the link.
   */
  NOTIFY_ROUTES: z.string().optional(),
  /** Tencent Cloud API keys and its SMS / voice (VMS) applications and approved templates. */
  TENCENT_SECRET_ID: z.string().optional(),
  TENCENT_SECRET_KEY: z.string().optional(),
  TENCENT_REGION: z.string().default('ap-guangzhou'),
  /** Tencent's API base (default: each product's own endpoint); the project's simulator in tests. */
  TENCENT_API_BASE_URL: url.optional(),
  TENCENT_SMS_SDK_APP_ID: z.string().optional(),
  TENCENT_SMS_SIGN_NAME: z.string().optional(),
  TENCENT_SMS_TEMPLATE_ID: z.string().optional(),
  TENCENT_VOICE_SDK_APP_ID: z.string().optional(),
  TENCENT_VOICE_CONFIRM_TEMPLATE_ID: z.string().optional(),
  TENCENT_VOICE_NOTICE_TEMPLATE_ID: z.string().optional(),
  /** The secret the tokens of Tencent's callback URLs are made from (Tencent does not sign callbacks). */
  TENCENT_CALLBACK_SECRET: z.string().optional(),
  /** Where Twilio and responsible persons reach this system's webhooks and links. */
  PUBLIC_BASE_URL: url.optional(),
  /** HTTP port of the service (0 picks a free one). */
  HTTP_PORT: port.default(3000),
  /** Address the HTTP server listens on: loopback unless told otherwise (0.0.0.0 in containers). */
  HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  /**
   * Demo mode (1): the demo secrets, demo users, demo directory and a printed token are allowed. Off
   * by default; `npm start` turns it on. Off, every secret must be strong (see checkSecrets).
   */
  DEMO: flag.default(false),
  /**
   * Demo mode only: a JSON file (`{"offsetMs": n}`) whose offset moves this service's clock forward
   * (libs/common/clock.ts OffsetFileClock), shared by every service given the same file, so a
   * rehearsal or an end-to-end test makes deadlines pass without waiting for them.
   */
  CLOCK_OFFSET_FILE: z.string().min(1).optional(),
  /**
   * Secret for signing role tokens, acknowledgement links and console sessions (at least 32 bytes,
   * the same in every service). SIGNING_SECRET_PREVIOUS is the one it replaced: still accepted on
   * tokens, links and sessions while a rotation is under way, never used to sign.
   */
  SIGNING_SECRET: z.string().optional(),
  SIGNING_SECRET_PREVIOUS: z.string().optional(),
  /** Longest lifetime of a role token per role, for people (default 12 h each: one duty shift). */
  TOKEN_MAX_HOURS: hoursPerRole.default({ 'duty-officer': 12, auditor: 12, 'directory-admin': 12 }),
  /** The same for machine clients' tokens (`npm run token -- --machine`); a role not named here gets TOKEN_MAX_HOURS. */
  TOKEN_MAX_HOURS_MACHINE: hoursPerRole.default({}),
  /** Seconds each service keeps its copy of the token revocation list before reading it again. */
  REVOCATION_CACHE_SECONDS: z.coerce.number().int().min(0).max(300).default(10),
  /** Console login: attempts one address may make per window (any outcome), and the window. */
  LOGIN_ATTEMPTS_PER_ADDRESS: z.coerce.number().int().positive().default(20),
  LOGIN_ADDRESS_WINDOW_SECONDS: z.coerce.number().int().positive().default(600),
  /** Console login: consecutive wrong passwords that lock a user, and for how long. */
  LOGIN_LOCKOUT_AFTER: z.coerce.number().int().positive().default(5),
  LOGIN_LOCKOUT_MINUTES: z.coerce.number().positive().default(15),
  /** Path of a JSON call-out policy file; unset means the built-in defaults. */
  POLICY_FILE: z.string().optional(),
  /**
   * Agency (DDD) + unit (UUU) code, optionally with the 2-digit extension, of this command centre:
   * the middle of identifiers intake generates in the national pattern for warnings a duty officer
   * issues without one (ZZZZZZ DDDUUU XX _time_seq).
   */
  INTAKE_ISSUER_CODE: z
    .string()
    .regex(/^\d{6}(\d{2})?$/, 'must be 6 digits (agency + unit) or 8 (with extension)')
    .default('000000'),
  /**
   * Intake: this centre's own division (6 or 12 digits): settles a division name several places share
   * (城区) when the sender's identifier does not place it.
   */
  INTAKE_HOME_AREA: z
    .string()
    .regex(/^(\d{6}|\d{12})$/, 'must be a 6- or 12-digit division code')
    .optional(),
  /** Intake: issuing agency recorded on warnings a duty officer issues without naming one. */
  INTAKE_SENDER: z.string().min(1).max(200).default('应急指挥中心值班室'),
  /**
   * The yearly roster verification campaign (号码核查): the re-filing date of the responsible-person
   * lists (MM-DD, Beijing) and how many days before it the campaign may start (libs/drills).
   */
  VERIFY_REFILING_DATE: refilingDateSchema.default('04-20'),
  VERIFY_LEAD_DAYS: z.coerce.number().int().min(1).max(180).default(30),
  /**
   * The campaign's areas when the command or the console names none (comma-separated 12-digit
   * division codes); unset: INTAKE_HOME_AREA.
   */
  VERIFY_AREAS: z
    .string()
    .transform(csv)
    .pipe(z.array(z.string().regex(/^\d{12}$/, 'each area must be a 12-digit division code')).min(1))
    .optional(),
  /** Notifier: seconds a voice call must last (answered) to count as heard. */
  NOTIFY_HEARD_SECONDS: z.coerce.number().int().min(0).default(20),
  /** Notifier: SMS per second per sender number (Twilio long codes: about 1; short codes: more). */
  NOTIFY_SMS_PER_SECOND: z.coerce.number().positive().default(10),
  /** Notifier: calls placed per second (Twilio's account CPS, 1 by default). */
  NOTIFY_CALLS_PER_SECOND: z.coerce.number().positive().default(1),
  /** Notifier: API requests per second for the whole account, and requests in flight at once. */
  NOTIFY_ACCOUNT_PER_SECOND: z.coerce.number().positive().default(30),
  NOTIFY_CONCURRENCY: z.coerce.number().int().positive().default(20),
  /** Notifier: tries of one API request on 429, 5xx or network errors (first try included). */
  NOTIFY_SEND_TRIES: z.coerce.number().int().min(1).default(6),
  /** Notifier: an API request with no answer this long is given up (it may still reach the provider). */
  NOTIFY_API_TIMEOUT_MS: z.coerce.number().int().min(100).default(15_000),
  /**
   * Notifier: after a request that got no answer in time, how long to wait before asking the provider
   * whether it took the request. The request may still be on its way (queued in a busy network or
   * server); asked too soon, the provider does not show it yet, and the resend is a second copy.
   */
  NOTIFY_IN_FLIGHT_GRACE_MS: z.coerce.number().int().min(0).default(15_000),
  /**
   * Notifier: a send still 'sending' this long (its process crashed mid-send, or every try was
   * refused) is reconciled: the provider is asked whether it has it, and it is sent if not.
   */
  NOTIFY_RECONCILE_AFTER_MS: z.coerce.number().int().min(1000).default(60_000),
  /**
   * Notifier: an accepted send with no final status (delivered, undelivered, completed, no-answer…)
   * this long after it was accepted is asked about at its provider by id, and asked again this often
   * until it has one or NOTIFY_STATUS_CHECK_MAX_AGE_MS has passed: a status webhook posted while the
   * notifier was down is never posted again, and without it a missed call is never redialled.
   */
  NOTIFY_STATUS_CHECK_AFTER_MS: z.coerce.number().int().min(1000).default(600_000),
  NOTIFY_STATUS_CHECK_MAX_AGE_MS: z.coerce
    .number()
    .int()
    .min(60_000)
    .default(24 * 3600_000),
  /**
   * Notifier: consecutive outage-like errors (no answer, 5xx) that open a provider's circuit breaker
   * (its sends then go to the next provider of their route), and how long it stays open before one
   * send tries the provider again.
   */
  NOTIFY_BREAKER_FAILURES: z.coerce.number().int().min(1).default(5),
  NOTIFY_BREAKER_HALF_OPEN_MS: z.coerce.number().int().min(100).default(30_000),
  /** Notifier: SMS templates rendering over this many segments are reported at start. */
  NOTIFY_SEGMENT_BUDGET: z.coerce.number().int().positive().default(3),
  /** Notifier: whole SMS replies that confirm (comma-separated). */
  NOTIFY_CONFIRM_KEYWORDS: z.string().transform(csv).default(['1', '收到', '确认', '好', 'OK', 'YES', '是']),
  /** Notifier: Twilio <Say> voice for Mandarin. */
  NOTIFY_VOICE_ZH: z.string().default('Polly.Zhiyu'),
  /**
   * Console: base URLs of the services whose HTTP APIs it uses. Unset means the console's own origin
   * (http://127.0.0.1:HTTP_PORT), as in the all-in-one app where every module is served on one port.
   */
  CONSOLE_INTAKE_URL: url.optional(),
  CONSOLE_TRACKER_URL: url.optional(),
  CONSOLE_AUDIT_URL: url.optional(),
  CONSOLE_DIRECTORY_URL: url.optional(),
  /** Console: the notifier's base URL, for the send queue and provider figures of the board's health strip. */
  CONSOLE_NOTIFIER_URL: url.optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * Log lines as JSON (one object a line, for a log collector) or pretty text for a person at a
   * terminal. Unset: pretty in demo mode (the quick start), JSON otherwise.
   */
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
});

export type AppConfig = z.infer<typeof configSchema>;
export type ConfigKey = keyof AppConfig;

/** Process exit codes of a refused configuration (documented in README and docs/security.md). */
export const EXIT_CONFIG = 78; // EX_CONFIG: a variable is missing or malformed
export const EXIT_WEAK_SECRET = 79; // a secret is missing, short, or a value that ships in the repository

export class ConfigError extends Error {
  readonly exitCode: number = EXIT_CONFIG;
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** A secret is weak (short, or public because it ships in the repository) outside demo mode. */
export class WeakSecretError extends ConfigError {
  override readonly exitCode = EXIT_WEAK_SECRET;
  constructor(problems: string[]) {
    super(problems);
    this.name = 'WeakSecretError';
    this.message = `refusing to start with a weak secret (set DEMO=1 only to try the project out):\n  ${problems.join('\n  ')}`;
  }
}

/** The variables that hold secrets: each is checked by checkSecrets. */
export const SECRET_KEYS = [
  'SIGNING_SECRET',
  'SIGNING_SECRET_PREVIOUS',
  'TWILIO_AUTH_TOKEN',
  // Checked whenever set; required when a route names Tencent (the notifier's adapters say so).
  'TENCENT_SECRET_KEY',
  'TENCENT_CALLBACK_SECRET',
] as const;
export const MIN_SECRET_BYTES = 32;

/**
 * Every secret value that appears in the repository (.env.example, docker-compose.yml, demo
 * defaults in code, test fixtures): public, so never a secret. libs/config/secrets.spec.ts checks
 * that the values in those files are on this list.
 */
export const SHIPPED_SECRETS: readonly string[] = [
  'change-me-to-a-long-random-secret',
  'change-me-to-the-auth-token',
  'demo-signing-secret-change-me',
  'demo-signing-secret-0123456789abcdef0123456789abcdef',
  'demo-auth-token-0123456789abcdef',
  'simulator-auth-token-0000',
  'simulator-secret-key-0000',
  'e2e-auth-token-0123456789abcdef',
  'e2e-signing-secret-0123456789',
  'bench-signing-secret-0123456789',
];

/**
 * Outside demo mode a secret that is missing (when the service needs it), shorter than 32 bytes, or
 * public (SHIPPED_SECRETS, or a placeholder containing "change-me") stops the service.
 */
export function checkSecrets(cfg: AppConfig, required: readonly ConfigKey[] = []): string[] {
  const problems: string[] = [];
  for (const key of SECRET_KEYS) {
    const value = cfg[key];
    if (value === undefined) {
      if (required.includes(key)) problems.push(`${key}: required by this service but not set`);
      continue;
    }
    if (cfg.DEMO) continue;
    if (SHIPPED_SECRETS.includes(value) || /change-?me/i.test(value))
      problems.push(
        `${key}: is a value that ships in the repository, so it is public; generate one (openssl rand -base64 48)`,
      );
    else if (Buffer.byteLength(value, 'utf8') < MIN_SECRET_BYTES)
      problems.push(`${key}: must be at least ${MIN_SECRET_BYTES} bytes (openssl rand -base64 48)`);
  }
  if (cfg.SIGNING_SECRET_PREVIOUS !== undefined && cfg.SIGNING_SECRET === undefined)
    problems.push('SIGNING_SECRET_PREVIOUS: set without SIGNING_SECRET');
  return problems;
}

/** True when the environment asks for demo mode (before the whole configuration is parsed). */
export function demoModeOf(env: Record<string, string | undefined> = process.env): boolean {
  return env.DEMO === '1' || env.DEMO === 'true';
}

/**
 * Parses the environment. `required` names the variables this service cannot run without
 * (e.g. the notifier needs the Twilio settings); a missing one is reported by name.
 */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  required: readonly ConfigKey[] = [],
): AppConfig {
  // Empty strings are treated as unset: `FOO=` in a .env file means "not given".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = configSchema.safeParse(cleaned);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.push(`${String(issue.path[0])}: ${issue.message}`);
    }
  } else {
    for (const key of required) {
      if (parsed.data[key] === undefined && !(SECRET_KEYS as readonly string[]).includes(key))
        problems.push(`${key}: required by this service but not set`);
    }
    if (parsed.data.CLOCK_OFFSET_FILE !== undefined && !parsed.data.DEMO)
      problems.push(
        "CLOCK_OFFSET_FILE: moves the services' clock (deadlines fire early); allowed only in demo mode (DEMO=1)",
      );
    // Secrets are checked apart, to stop with an exit code of their own when nothing else is wrong.
    const secretProblems = checkSecrets(parsed.data, required);
    if (problems.length === 0 && secretProblems.length > 0) throw new WeakSecretError(secretProblems);
    problems.push(...secretProblems);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return parsed.data!;
}
