import { Inject, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config/config';
import { Db } from '../db/db';
import { CONFIG, DB, PUBLISHER } from '../infra/tokens';
import { consumerHostProvider } from '../kafka/consumer-host.provider';
import { EventPublisher } from '../kafka/kafka-client';
import { OutboxRelay } from '../kafka/outbox';
import { AckController } from './ack.controller';
import { CalloutRequestHandlers } from './callout-request.handler';
import { SMS_CHANNEL, SmsChannel, VOICE_CHANNEL, VoiceChannel } from './channel';
import { MessageTemplates } from './message-templates';
import { NotifyService } from './notify.service';
import { NOTIFY_GATE, NOTIFY_RELAY, NOTIFY_SERVICE, NOTIFY_TEMPLATES, NOTIFY_WORKER } from './notify.tokens';
import { SendGate } from './send-gate';
import { SendWorker } from './send-worker';
import { createTwilioClient, TwilioSmsChannel, TwilioVoiceChannel } from './twilio.channels';
import { TwilioSignatureGuard } from './twilio-signature.guard';
import { TwilioWebhooksController } from './twilio-webhooks.controller';
import { boundedStep } from '../infra/shutdown';

/** Variables the notifier cannot run without (for InfraModule.forRoot's `required`). */
export const NOTIFY_REQUIRED = [
  'TWILIO_ACCOUNT_SID',
  'TWILIO_AUTH_TOKEN',
  'TWILIO_SMS_FROM',
  'TWILIO_VOICE_FROM',
  'PUBLIC_BASE_URL',
  'SIGNING_SECRET',
] as const;

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
    @Inject(NOTIFY_SERVICE) private readonly notify: NotifyService,
    @Inject(NOTIFY_GATE) private readonly gate: SendGate,
    @Inject(NOTIFY_WORKER) private readonly worker: Worker,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const reports = this.templates.check(this.cfg.NOTIFY_SEGMENT_BUDGET);
    for (const r of reports) this.logger.warn(`template ${r.template}: ${r.problem}`);
    const broken = reports.filter((r) => r.problem.startsWith('does not render'));
    if (broken.length)
      throw new Error(`templates do not render: ${broken.map((r) => r.template).join(', ')}`);
    this.relay.start();
    this.worker.start();
    // One reconciliation at a time: a slow one must not overlap the next tick.
    const reconcile = () =>
      (this.reconciling ??= this.notify
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
 * from it through Twilio (or the simulator, by TWILIO_API_BASE_URL), receives Twilio's webhooks and
 * the ack link, and publishes callouts.status and callouts.responses through its outbox. Needs
 * InfraModule (global) for CONFIG, DB, PUBLISHER.
 */
@Module({
  controllers: [TwilioWebhooksController, AckController],
  providers: [
    { provide: NOTIFY_TEMPLATES, useFactory: () => new MessageTemplates() },
    {
      provide: SMS_CHANNEL,
      inject: [CONFIG],
      useFactory: (cfg: AppConfig): SmsChannel =>
        new TwilioSmsChannel(
          createTwilioClient({
            accountSid: cfg.TWILIO_ACCOUNT_SID!,
            authToken: cfg.TWILIO_AUTH_TOKEN!,
            apiBaseUrl: cfg.TWILIO_API_BASE_URL,
          }),
          cfg.TWILIO_SMS_FROM!,
        ),
    },
    {
      provide: VOICE_CHANNEL,
      inject: [CONFIG],
      useFactory: (cfg: AppConfig): VoiceChannel =>
        new TwilioVoiceChannel(
          createTwilioClient({
            accountSid: cfg.TWILIO_ACCOUNT_SID!,
            authToken: cfg.TWILIO_AUTH_TOKEN!,
            apiBaseUrl: cfg.TWILIO_API_BASE_URL,
          }),
          cfg.TWILIO_VOICE_FROM!,
          cfg.NOTIFY_HEARD_SECONDS,
        ),
    },
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
      provide: NOTIFY_SERVICE,
      inject: [CONFIG, DB, SMS_CHANNEL, VOICE_CHANNEL, NOTIFY_TEMPLATES, NOTIFY_GATE, NOTIFY_RELAY],
      useFactory: (
        cfg: AppConfig,
        db: Db,
        sms: SmsChannel,
        voice: VoiceChannel,
        templates: MessageTemplates,
        gate: SendGate,
        relay: OutboxRelay,
      ) => {
        for (const k of NOTIFY_REQUIRED)
          if (!cfg[k]) throw new Error(`${k}: required by the notifier but not set`);
        return new NotifyService(
          db,
          sms,
          voice,
          templates,
          gate,
          {
            publicBaseUrl: cfg.PUBLIC_BASE_URL!,
            signingSecret: cfg.SIGNING_SECRET!,
            previousSigningSecret: cfg.SIGNING_SECRET_PREVIOUS,
            confirmKeywords: cfg.NOTIFY_CONFIRM_KEYWORDS,
            voiceZh: cfg.NOTIFY_VOICE_ZH,
            reconcileAfterMs: cfg.NOTIFY_RECONCILE_AFTER_MS,
          },
          () => relay.nudge(),
        );
      },
    },
    {
      provide: NOTIFY_WORKER,
      inject: [CONFIG, NOTIFY_SERVICE],
      useFactory: (cfg: AppConfig, notify: NotifyService) =>
        new SendWorker(notify, { capacity: cfg.NOTIFY_CONCURRENCY, pollMs: SEND_POLL_MS }),
    },
    TwilioSignatureGuard,
    CalloutRequestHandlers,
    consumerHostProvider('notifier', [CalloutRequestHandlers]),
    NotifyLifecycle,
  ],
  exports: [NOTIFY_SERVICE],
})
export class NotifyModule {}
