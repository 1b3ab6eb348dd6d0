import { AppConfig } from '../config/config';
import { Db } from '../db/db';
import { AckPages } from './ack-pages.usecase';
import { CalloutSending } from './callout-sending.usecase';
import { InboundSmsReplies } from './inbound-sms.usecase';
import { MessageTemplates } from '../templates/message-templates';
import { NotifyEvents } from './notify-events';
import { NotifyRepository } from './notify.repository';
import { ProviderWebhookSink } from './provider';
import { ProviderRouter } from './providers/provider-router';
import { RejectedWebhooks } from './rejected-webhooks.usecase';
import { RequestRenderer } from './request-renderer';
import { SendGate } from './send-gate';
import { StatusCallbacks } from './status-callbacks.usecase';
import { StatusCheck } from './status-check';
import { VoiceCalls } from './voice-calls.usecase';

export interface NotifyParts {
  cfg: AppConfig;
  db: Db;
  /** The providers, their routes and circuit breakers. */
  router: ProviderRouter;
  templates: MessageTemplates;
  gate: SendGate;
  /** Called after a transaction that wrote to the outbox commits (the relay's nudge). */
  announce: () => void;
}

export interface NotifyUseCases {
  sending: CalloutSending;
  ackPages: AckPages;
  /** What the provider's webhook controllers call. */
  webhooks: ProviderWebhookSink;
  /** Asks the providers about accepted sends whose last status webhook never came. */
  statusCheck: StatusCheck;
}

/** The notify use cases over one repository and one outbox, configured from the app's config. */
export function createNotifyUseCases(parts: NotifyParts): NotifyUseCases {
  const { cfg, db, templates } = parts;
  const repo = new NotifyRepository();
  const events = new NotifyEvents(repo, parts.announce);
  const renderer = new RequestRenderer(templates, {
    publicBaseUrl: cfg.PUBLIC_BASE_URL!,
    signingSecret: cfg.SIGNING_SECRET!,
  });
  const status = new StatusCallbacks(db, repo, events);
  const inbound = new InboundSmsReplies(db, repo, templates, events, {
    confirmKeywords: cfg.NOTIFY_CONFIRM_KEYWORDS,
  });
  const voiceCalls = new VoiceCalls(db, repo, templates, events);
  const rejected = new RejectedWebhooks(db, repo);
  return {
    sending: new CalloutSending(db, repo, parts.router, renderer, parts.gate, events, {
      reconcileAfterMs: cfg.NOTIFY_RECONCILE_AFTER_MS,
    }),
    ackPages: new AckPages(db, repo, templates, events, {
      signingSecret: cfg.SIGNING_SECRET!,
      previousSigningSecret: cfg.SIGNING_SECRET_PREVIOUS,
    }),
    webhooks: {
      statusReported: async (s) => void (await status.record(s)),
      smsReceived: (sms) => inbound.receive(sms),
      keyPressed: (press) => voiceCalls.keyPress(press),
      callContent: (requestId) => voiceCalls.callContent(requestId),
      webhookRefused: (refused) => rejected.record(refused),
    },
    statusCheck: new StatusCheck(db, repo, parts.router, status, {
      afterMs: cfg.NOTIFY_STATUS_CHECK_AFTER_MS,
      maxAgeMs: cfg.NOTIFY_STATUS_CHECK_MAX_AGE_MS,
    }),
  };
}
