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
      problems.push(`${issue.path.join('.')}: ${issue.message}`);
    }
  } else {
    for (const key of required) {
      if (parsed.data[key] === undefined) problems.push(`${key}: required by this service but not set`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return parsed.data!;
}
