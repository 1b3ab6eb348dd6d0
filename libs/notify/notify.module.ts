import { Module } from '@nestjs/common';
import { AppConfig } from '../config/config';
import { Db } from '../db/db';
import { CONFIG, DB, PUBLISHER } from '../infra/tokens';
import { consumerHostProvider } from '../kafka/consumer-host.provider';
import { EventPublisher } from '../kafka/kafka-client';
import { OutboxRelay } from '../kafka/outbox';
import { AckController } from './ack.controller';
import { AckPages } from './ack-pages.usecase';
import { CalloutRequestHandlers } from './callout-request.handler';
import { CalloutSending } from './callout-sending.usecase';
import { MessageTemplates } from '../templates/message-templates';
import {
  NOTIFY_GATE,
  NOTIFY_RECONCILER,
  NOTIFY_RELAY,
  NOTIFY_TEMPLATES,
  NOTIFY_USE_CASES,
  NOTIFY_WORKER,
} from './notify.tokens';
import { NotifyLifecycle } from './notify.lifecycle';
import { createNotifyUseCases, NotifyUseCases } from './notify-use-cases';
import {
  PROVIDER_WEBHOOK_SINK,
  ProviderAdapter,
  SMS_CHANNEL,
  SmsChannel,
  VOICE_CHANNEL,
  VoiceChannel,
} from './provider';
import { CapacityPlanController } from './providers/capacity-plan.controller';
import { Reconciler } from './reconciler';
import { SendGate } from './send-gate';
import { SendWorker } from './send-worker';
import { TWILIO_ADAPTER } from './twilio/twilio.adapter';

/** The SMS and voice provider (docs/notify.md, "Provider adapters"). */
const PROVIDER: ProviderAdapter = TWILIO_ADAPTER;

/** Variables the notifier cannot run without (for InfraModule.forRoot's `required`). */
export const NOTIFY_REQUIRED = [
  ...new Set([...PROVIDER.required, 'PUBLIC_BASE_URL', 'SIGNING_SECRET'] as const),
];

/** The send worker looks for queued attempts this often when nothing nudges it. */
const SEND_POLL_MS = 200;

/**
 * The notify context: accepts callouts.requested into a send queue (notify.attempts 'queued'), sends
 * from it through the provider (Twilio, or its simulator by TWILIO_API_BASE_URL), receives the
 * provider's webhooks and the ack link, and publishes callouts.status and callouts.responses through
 * its outbox. Needs InfraModule (global) for CONFIG, DB, PUBLISHER; the config is checked there
 * (NOTIFY_REQUIRED).
 */
@Module({
  controllers: [...PROVIDER.controllers, AckController, CapacityPlanController],
  providers: [
    ...PROVIDER.providers,
    { provide: NOTIFY_TEMPLATES, useFactory: () => new MessageTemplates() },
    {
      provide: NOTIFY_GATE,
      inject: [CONFIG],
      useFactory: (cfg: AppConfig) =>
        new SendGate({
          smsPerSecond: cfg.NOTIFY_SMS_PER_SECOND,
          callsPerSecond: cfg.NOTIFY_CALLS_PER_SECOND,
          accountPerSecond: cfg.NOTIFY_ACCOUNT_PER_SECOND,
          concurrency: cfg.NOTIFY_CONCURRENCY,
          tries: cfg.NOTIFY_SEND_TRIES,
        }),
    },
    {
      provide: NOTIFY_RELAY,
      inject: [DB, PUBLISHER],
      useFactory: (db: Db, publisher: EventPublisher) => new OutboxRelay(db, publisher, 'notify'),
    },
    {
      provide: NOTIFY_USE_CASES,
      inject: [CONFIG, DB, SMS_CHANNEL, VOICE_CHANNEL, NOTIFY_TEMPLATES, NOTIFY_GATE, NOTIFY_RELAY],
      useFactory: (
        cfg: AppConfig,
        db: Db,
        sms: SmsChannel,
        voice: VoiceChannel,
        templates: MessageTemplates,
        gate: SendGate,
        relay: OutboxRelay,
      ) => createNotifyUseCases({ cfg, db, sms, voice, templates, gate, announce: () => relay.nudge() }),
    },
    { provide: CalloutSending, inject: [NOTIFY_USE_CASES], useFactory: (u: NotifyUseCases) => u.sending },
    { provide: AckPages, inject: [NOTIFY_USE_CASES], useFactory: (u: NotifyUseCases) => u.ackPages },
    {
      provide: PROVIDER_WEBHOOK_SINK,
      inject: [NOTIFY_USE_CASES],
      useFactory: (u: NotifyUseCases) => u.webhooks,
    },
    {
      provide: NOTIFY_RECONCILER,
      inject: [CONFIG, CalloutSending],
      useFactory: (cfg: AppConfig, sending: CalloutSending) =>
        new Reconciler(sending, cfg.NOTIFY_RECONCILE_AFTER_MS),
    },
    {
      provide: NOTIFY_WORKER,
      inject: [CONFIG, CalloutSending],
      useFactory: (cfg: AppConfig, sending: CalloutSending) =>
        new SendWorker(sending, { capacity: cfg.NOTIFY_CONCURRENCY, pollMs: SEND_POLL_MS }),
    },
    CalloutRequestHandlers,
    consumerHostProvider('notifier', [CalloutRequestHandlers]),
    NotifyLifecycle,
  ],
})
export class NotifyModule {}
