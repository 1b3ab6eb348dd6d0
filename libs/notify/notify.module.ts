import { Inject, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config/config';
import { Db } from '../db/db';
import { CONFIG, DB, PUBLISHER } from '../infra/tokens';
import { boundedStep } from '../infra/shutdown';
import { consumerHostProvider } from '../kafka/consumer-host.provider';
import { EventPublisher } from '../kafka/kafka-client';
import { OutboxRelay } from '../kafka/outbox';
import { AckController } from './ack.controller';
import { AckPages } from './ack-pages.usecase';
import { CalloutRequestHandlers } from './callout-request.handler';
import { CalloutSending } from './callout-sending.usecase';
import { MessageTemplates } from './message-templates';
import {
  NOTIFY_GATE,
  NOTIFY_RELAY,
  NOTIFY_TEMPLATES,
  NOTIFY_USE_CASES,
  NOTIFY_WORKER,
} from './notify.tokens';
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
import { policyFindings } from './providers/provider-plan';
import { SendGate } from './send-gate';
import { SendWorker } from './send-worker';
import { TWILIO_ADAPTER } from './twilio/twilio.adapter';

/** The SMS and voice provider (docs/notify.md, "Provider adapters"). */
const PROVIDER: ProviderAdapter = TWILIO_ADAPTER;

/** Variables the notifier cannot run without (for InfraModule.forRoot's `required`). */
export const NOTIFY_REQUIRED = [
  ...new Set([...PROVIDER.required, 'PUBLIC_BASE_URL', 'SIGNING_SECRET'] as const),
];

/** The reconciler looks for stuck sends this often at most (more often when they count stuck sooner). */
const RECONCILE_EVERY_MS = 30_000;
/** The send worker looks for queued attempts this often when nothing nudges it. */
const SEND_POLL_MS = 200;

/** The part of the send worker the lifecycle drives (tests may replace the worker). */
type Worker = Pick<SendWorker<unknown>, 'start' | 'stop'>;

/** Outbox relay, send worker, start-up template check and crash reconciliation around the notify context. */
class NotifyLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('NotifyModule');
  private timer?: NodeJS.Timeout;
  private reconciling?: Promise<unknown>;

  constructor(
    @Inject(CONFIG) private readonly cfg: AppConfig,
    @Inject(NOTIFY_RELAY) private readonly relay: OutboxRelay,
    @Inject(NOTIFY_TEMPLATES) private readonly templates: MessageTemplates,
    @Inject(CalloutSending) private readonly sending: CalloutSending,
    @Inject(NOTIFY_GATE) private readonly gate: SendGate,
    @Inject(NOTIFY_WORKER) private readonly worker: Worker,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const reports = this.templates.check(this.cfg.NOTIFY_SEGMENT_BUDGET);
    for (const r of reports) this.logger.warn(`template ${r.template}: ${r.problem}`);
    const broken = reports.filter((r) => r.problem.startsWith('does not render'));
    if (broken.length)
      throw new Error(`templates do not render: ${broken.map((r) => r.template).join(', ')}`);
    // What the providers' limits will do to the policy, said before a warning finds out.
    for (const f of policyFindings(this.cfg))
      this.logger[f.severity === 'error' ? 'error' : 'warn'](`policy ${f.where}: ${f.message}`);
    this.relay.start();
    this.worker.start();
    // One reconciliation at a time: a slow one must not overlap the next tick.
    const reconcile = () =>
      (this.reconciling ??= this.sending
        .reconcile()
        .then(
          (r) =>
            r.adopted + r.resent && this.logger.log(`reconciled: ${r.adopted} adopted, ${r.resent} sent`),
        )
        .catch((e: Error) => this.logger.warn(`reconcile failed: ${e.message}`))
        .finally(() => (this.reconciling = undefined)));
    void reconcile();
    this.timer = setInterval(
      () => void reconcile(),
      Math.min(RECONCILE_EVERY_MS, this.cfg.NOTIFY_RECONCILE_AFTER_MS / 2),
    );
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    // Sends in flight finish (and write their outcome to the outbox) before the relay stops; one
    // still at the API after 3 s stays 'sending' and is reconciled with the provider at the next start.
    await boundedStep('sends in flight', this.worker.stop(), 3_000);
    await boundedStep('reconciliation', this.reconciling, 1_000);
    await this.relay.stop();
    await boundedStep('send gate', this.gate.stop(), 1_000);
  }
}

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
