import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Logger } from '@nestjs/common';
import { fromRoot } from '../../libs/common/project-root';
import { demoModeOf } from '../../libs/config/config';
import { assertLocalKafkaPortsUsable } from '../../libs/infra/ports';

/**
 * The embedded default's outside parts: a local Kafka broker when KAFKA_BROKERS is unset, and, in
 * demo mode only, demo settings for the Twilio simulator when no Twilio account is configured.
 * These values are public (they ship here), so the configuration check refuses them outside demo
 * mode (libs/config/config.ts SHIPPED_SECRETS).
 */
export const DEMO_TWILIO = {
  accountSid: 'AC' + 'de30'.repeat(8),
  authToken: 'demo-auth-token-0123456789abcdef',
  from: '+15005550006',
};
export const DEMO_SIGNING_SECRET = 'demo-signing-secret-0123456789abcdef0123456789abcdef';

export async function ensureLocalKafka(env: NodeJS.ProcessEnv): Promise<void> {
  if (env.KAFKA_BROKERS) return;
  const port = Number(env.KAFKA_PORT ?? 9092);
  await assertLocalKafkaPortsUsable(port, Number(env.KAFKA_CONTROLLER_PORT ?? port + 1));
  new Logger('all-in-one').log('KAFKA_BROKERS is unset: starting the local Kafka broker (scripts/kafka.sh)');
  execFileSync('bash', [fromRoot('scripts', 'kafka.sh'), 'start'], { stdio: 'inherit' });
  env.KAFKA_BROKERS = `127.0.0.1:${env.KAFKA_PORT ?? 9092}`;
}

/**
 * In demo mode, fills in the simulator's account and URLs unless a Twilio account is configured, and
 * the demo signing secret unless one is set. Returns true when simulating. Outside demo mode it does
 * nothing: the app then needs a Twilio account and secrets like any deployed service.
 */
export function useSimulatorDefaults(env: NodeJS.ProcessEnv, simPort: number, httpPort: number): boolean {
  if (!demoModeOf(env)) return false;
  env.SIGNING_SECRET ??= DEMO_SIGNING_SECRET;
  if (env.TWILIO_ACCOUNT_SID && env.TWILIO_AUTH_TOKEN) return false;
  env.TWILIO_ACCOUNT_SID = DEMO_TWILIO.accountSid;
  env.TWILIO_AUTH_TOKEN = DEMO_TWILIO.authToken;
  env.TWILIO_API_BASE_URL = `http://127.0.0.1:${simPort}`;
  env.TWILIO_SMS_FROM ??= DEMO_TWILIO.from;
  env.TWILIO_VOICE_FROM ??= DEMO_TWILIO.from;
  env.PUBLIC_BASE_URL ??= `http://127.0.0.1:${httpPort}`;
  return true;
}

/**
 * With the embedded database, the topics belong to that database: a prefix made once and kept beside
 * it. Deleting the database folder then starts on fresh topics too, instead of replaying old
 * call-out requests into a notifier that no longer remembers having sent them.
 */
export function embeddedTopicPrefix(env: NodeJS.ProcessEnv): void {
  if (env.DATABASE_URL || env.KAFKA_TOPIC_PREFIX) return;
  const dir = resolve(env.PGLITE_DIR ?? '.data/pglite');
  const file = join(dirname(dir), `${dir.split('/').pop()}.topic-prefix`);
  if (!existsSync(dir) || !existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `local-${randomBytes(3).toString('hex')}.`);
  }
  env.KAFKA_TOPIC_PREFIX = readFileSync(file, 'utf8').trim();
}
