import { Module } from '@nestjs/common';
import { AppConfig, ConfigError, ConfigKey } from '../config/config';
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
  NOTIFY_ROUTER,
  NOTIFY_STATUS_CHECKER,
  NOTIFY_TEMPLATES,
  NOTIFY_USE_CASES,
  NOTIFY_WORKER,
} from './notify.tokens';
import { NotifyLifecycle } from './notify.lifecycle';
import { createNotifyUseCases, NotifyUseCases } from './notify-use-cases';
import { observeCircuitState } from '../observability/metrics';
import { PROVIDER_WEBHOOK_SINK, ProviderAdapter } from './provider';
import { CapacityPlanController } from './providers/capacity-plan.controller';
import { ProviderChannels, ProviderRouter } from './providers/provider-router';
import { parseRoutes, routedProviders } from './providers/routes';
import { Reconciler } from './reconciler';
import { SendGate } from './send-gate';
import { SendWorker } from './send-worker';
import { StatusChecker } from './status-check';
import { TENCENT_ADAPTER } from './tencent/tencent.adapter';
import { TWILIO_ADAPTER } from './twilio/twilio.adapter';

/**
 * The SMS and voice providers (docs/notify.md, "Provider adapters"); NOTIFY_ROUTES says which
 * carry which numbers (unset: Twilio alone). Each adapter's channels are null when no route names it.
 */
const ADAPTERS: ProviderAdapter[] = [TWILIO_ADAPTER, TENCENT_ADAPTER];

/** Variables the notifier cannot run without, given its routes: those of every routed provider. */
export function notifyRequired(routes: string | undefined): ConfigKey[] {
  let routed: string[];
  try {
    routed = routedProviders(routes);
  } catch {
    // A malformed NOTIFY_ROUTES is reported by name when the router is built.
    routed = ['twilio'];
  }
  const adapters = ADAPTERS.filter((a) => routed.includes(a.name));
  return [...new Set([...adapters.flatMap((a) => a.required), 'PUBLIC_BASE_URL', 'SIGNING_SECRET'] as const)];
}

/** For InfraModule.forRoot's `required`: from the environment the process starts with. */
export const NOTIFY_REQUIRED = notifyRequired(process.env.NOTIFY_ROUTES || undefined);

/** The notifier's providers behind their routes and circuit breakers; a route naming a provider not set up stops the start. */
function createRouter(cfg: AppConfig, configured: (ProviderChannels | null)[]): ProviderRouter {
  try {
    return new ProviderRouter(
      configured.filter((c): c is ProviderChannels => c !== null),
      cfg.NOTIFY_ROUTES ? parseRoutes(cfg.NOTIFY_ROUTES) : undefined,
      {
        failures: cfg.NOTIFY_BREAKER_FAILURES,
        halfOpenAfterMs: cfg.NOTIFY_BREAKER_HALF_OPEN_MS,
        onState: observeCircuitState,
      },
    );
  } catch (e) {
    throw new ConfigError([`NOTIFY_ROUTES: ${(e as Error).message.replace(/^NOTIFY_ROUTES: /, '')}`]);
  }
}

/** The send worker looks for queued attempts this often when nothing nudges it. */
const SEND_POLL_MS = 200;

/**
 * The notify context: accepts callouts.requested into a send queue (notify.attempts 'queued'), sends
 * from it through the provider each number and channel is routed to (Twilio, Tencent Cloud, or their
 * simulators by TWILIO_API_BASE_URL / TENCENT_API_BASE_URL), failing over when one is out, receives the
 * providers' webhooks and the ack link, and publishes callouts.status and callouts.responses through
 * its outbox. Needs InfraModule (global) for CONFIG, DB, PUBLISHER; the config is checked there
 * (NOTIFY_REQUIRED).
 */
@Module({
  controllers: [...ADAPTERS.flatMap((a) => a.controllers), AckController, CapacityPlanController],
  providers: [
    ...ADAPTERS.flatMap((a) => a.providers),
    {
      provide: NOTIFY_ROUTER,
      inject: [CONFIG, ...ADAPTERS.map((a) => a.channels)],
      useFactory: (cfg: AppConfig, ...configured: (ProviderChannels | null)[]) =>
        createRouter(cfg, configured),
    },
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
          inFlightGraceMs: cfg.NOTIFY_IN_FLIGHT_GRACE_MS,
        }),
    },
    {
      provide: NOTIFY_RELAY,
      inject: [DB, PUBLISHER],
      useFactory: (db: Db, publisher: EventPublisher) => new OutboxRelay(db, publisher, 'notify'),
    },
    {
      provide: NOTIFY_USE_CASES,
      inject: [CONFIG, DB, NOTIFY_ROUTER, NOTIFY_TEMPLATES, NOTIFY_GATE, NOTIFY_RELAY],
      useFactory: (
        cfg: AppConfig,
        db: Db,
        router: ProviderRouter,
        templates: MessageTemplates,
        gate: SendGate,
        relay: OutboxRelay,
      ) => createNotifyUseCases({ cfg, db, router, templates, gate, announce: () => relay.nudge() }),
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
      provide: NOTIFY_STATUS_CHECKER,
      inject: [CONFIG, NOTIFY_USE_CASES],
      useFactory: (cfg: AppConfig, u: NotifyUseCases) =>
        new StatusChecker(u.statusCheck, cfg.NOTIFY_STATUS_CHECK_AFTER_MS),
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
