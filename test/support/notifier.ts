import { INestApplication } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { loadConfig } from '../../libs/config/config';
import { InfraModule } from '../../libs/infra/infra.module';
import { NotifyModule } from '../../libs/notify/notify.module';
import { NOTIFY_WORKER } from '../../libs/notify/notify.tokens';
import { kafkaBrokers, TestDatabase } from './infra';

export interface TestNotifierOptions {
  service: string;
  db: TestDatabase;
  /** KAFKA_TOPIC_PREFIX of the test's topics. */
  prefix: string;
  port: number;
  twilio: { accountSid: string; authToken: string; apiBaseUrl: string; smsFrom: string; voiceFrom: string };
  signingSecret: string;
  /** Sends per second, per channel and for the account (NOTIFY_*_PER_SECOND). */
  perSecond: number;
  /** NOTIFY_CONCURRENCY: sends in flight at most (the notifier's default when not given). */
  concurrency?: number;
  /** More configuration. */
  env?: Record<string, string>;
  /** false: the send worker never runs, so accepted attempts stay queued. */
  worker?: boolean;
}

/** The notifier in this process on a test's database, topics and Twilio simulator, listening on `port`. */
export async function startTestNotifier(o: TestNotifierOptions): Promise<INestApplication> {
  const config = loadConfig({
    KAFKA_BROKERS: kafkaBrokers().join(','),
    KAFKA_TOPIC_PREFIX: o.prefix,
    DATABASE_URL: o.db.url,
    TWILIO_ACCOUNT_SID: o.twilio.accountSid,
    TWILIO_AUTH_TOKEN: o.twilio.authToken,
    TWILIO_API_BASE_URL: o.twilio.apiBaseUrl,
    TWILIO_SMS_FROM: o.twilio.smsFrom,
    TWILIO_VOICE_FROM: o.twilio.voiceFrom,
    PUBLIC_BASE_URL: `http://127.0.0.1:${o.port}`,
    SIGNING_SECRET: o.signingSecret,
    NOTIFY_SMS_PER_SECOND: String(o.perSecond),
    NOTIFY_CALLS_PER_SECOND: String(o.perSecond),
    NOTIFY_ACCOUNT_PER_SECOND: String(o.perSecond),
    ...(o.concurrency ? { NOTIFY_CONCURRENCY: String(o.concurrency) } : {}),
    LOG_LEVEL: 'warn',
    ...o.env,
  });
  let builder = Test.createTestingModule({
    imports: [InfraModule.forRoot({ service: o.service, config, db: o.db.db }), NotifyModule],
  });
  if (o.worker === false)
    builder = builder
      .overrideProvider(NOTIFY_WORKER)
      .useValue({ start: () => undefined, nudge: () => undefined, stop: async () => undefined });
  const nest = (await builder.compile()).createNestApplication<NestExpressApplication>({
    bodyParser: false,
    logger: ['error'],
  });
  nest.useBodyParser('urlencoded', { extended: false });
  nest.useBodyParser('json');
  await nest.listen(o.port, '127.0.0.1');
  return nest;
}
