import { z } from 'zod';

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
  /** postgres://… selects a PostgreSQL server; unset means the embedded PGlite database. */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  /** Folder of the embedded PGlite database (used only when DATABASE_URL is unset). */
  PGLITE_DIR: z.string().default('.data/pglite'),
  TWILIO_ACCOUNT_SID: z
    .string()
    .regex(/^AC[0-9a-fA-F]{32}$/, 'must be AC followed by 32 hex digits')
    .optional(),
  TWILIO_AUTH_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
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
  /** Where Twilio and responsible persons reach this system's webhooks and links. */
  PUBLIC_BASE_URL: url.optional(),
  /** HTTP port of the service (0 picks a free one). */
  HTTP_PORT: port.default(3000),
  /** Secret for signing acknowledgement links and console sessions. */
  SIGNING_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
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
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type AppConfig = z.infer<typeof configSchema>;
export type ConfigKey = keyof AppConfig;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
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
      if (parsed.data[key] === undefined) problems.push(`${key}: required by this service but not set`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return parsed.data!;
}
