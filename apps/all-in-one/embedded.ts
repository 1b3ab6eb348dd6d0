import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Logger } from '@nestjs/common';
import { fromRoot } from '../../libs/common/project-root';
import { assertLocalKafkaPortsUsable } from '../../libs/infra/ports';

/**
 * The embedded default's outside parts: a local Kafka broker when KAFKA_BROKERS is unset, and
 * demo settings for the Twilio simulator when no Twilio account is configured.
 */
export const DEMO_TWILIO = {
  accountSid: 'AC' + 'de30'.repeat(8),
  authToken: 'demo-auth-token-0123456789abcdef',
  from: '+15005550006',
};

export async function ensureLocalKafka(env: NodeJS.ProcessEnv): Promise<void> {
  if (env.KAFKA_BROKERS) return;
  const port = Number(env.KAFKA_PORT ?? 9092);
  await assertLocalKafkaPortsUsable(port, Number(env.KAFKA_CONTROLLER_PORT ?? port + 1));
  new Logger('all-in-one').log('KAFKA_BROKERS is unset: starting the local Kafka broker (scripts/kafka.sh)');
  execFileSync('bash', [fromRoot('scripts', 'kafka.sh'), 'start'], { stdio: 'inherit' });
  env.KAFKA_BROKERS = `127.0.0.1:${env.KAFKA_PORT ?? 9092}`;
}

/** Fills in the simulator's account and URLs unless a Twilio account is configured. Returns true when simulating. */
export function useSimulatorDefaults(env: NodeJS.ProcessEnv, simPort: number, httpPort: number): boolean {
  if (env.TWILIO_ACCOUNT_SID && env.TWILIO_AUTH_TOKEN) return false;
  env.TWILIO_ACCOUNT_SID = DEMO_TWILIO.accountSid;
  env.TWILIO_AUTH_TOKEN = DEMO_TWILIO.authToken;
  env.TWILIO_API_BASE_URL = `http://127.0.0.1:${simPort}`;
  env.TWILIO_SMS_FROM ??= DEMO_TWILIO.from;
  env.TWILIO_VOICE_FROM ??= DEMO_TWILIO.from;
  env.PUBLIC_BASE_URL ??= `http://127.0.0.1:${httpPort}`;
  env.SIGNING_SECRET ??= 'demo-signing-secret-change-me';
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
