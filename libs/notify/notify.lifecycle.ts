import { policyFindings } from './providers/provider-plan';
import { Inject, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config/config';
import { CONFIG } from '../infra/tokens';
import { boundedStep } from '../infra/shutdown';
import { OutboxRelay } from '../kafka/outbox';
import { MessageTemplates } from '../templates/message-templates';
import {
  NOTIFY_GATE,
  NOTIFY_RECONCILER,
  NOTIFY_RELAY,
  NOTIFY_STATUS_CHECKER,
  NOTIFY_TEMPLATES,
  NOTIFY_WORKER,
} from './notify.tokens';
import { Reconciler } from './reconciler';
import { SendGate } from './send-gate';
import { SendWorker } from './send-worker';
import { StatusChecker } from './status-check';

/** The part of the send worker the lifecycle drives (tests may replace the worker). */
type Worker = Pick<SendWorker<unknown>, 'start' | 'stop'>;

/**
 * What runs around the notify context: the start-up template check, then the outbox relay, the send
 * worker, the reconciler and the status check; on shutdown they stop in the order that loses nothing.
 */
export class NotifyLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('NotifyModule');

  constructor(
    @Inject(CONFIG) private readonly cfg: AppConfig,
    @Inject(NOTIFY_RELAY) private readonly relay: OutboxRelay,
    @Inject(NOTIFY_TEMPLATES) private readonly templates: MessageTemplates,
    @Inject(NOTIFY_RECONCILER) private readonly reconciler: Reconciler,
    @Inject(NOTIFY_GATE) private readonly gate: SendGate,
    @Inject(NOTIFY_WORKER) private readonly worker: Worker,
    @Inject(NOTIFY_STATUS_CHECKER) private readonly statusChecker: StatusChecker,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const reports = this.templates.check(this.cfg.NOTIFY_SEGMENT_BUDGET);
    for (const r of reports) this.logger.warn(`template ${r.template}: ${r.problem}`);
    const broken = reports.filter((r) => r.problem.startsWith('does not render'));
    if (broken.length)
      throw new Error(`templates do not render: ${broken.map((r) => r.template).join(', ')}`);
    // What the providers' limits will do to the policy, said before a warning finds out. The demo
    // runs on the providers' simulators, which take replies and links from any number: there the
    // findings are what the real providers would do, said once as information.
    for (const f of policyFindings(this.cfg)) {
      if (this.cfg.DEMO) this.logger.log(`policy ${f.where}, with the real providers: ${f.message}`);
      else this.logger[f.severity === 'error' ? 'error' : 'warn'](`policy ${f.where}: ${f.message}`);
    }
    this.relay.start();
    this.worker.start();
    this.reconciler.start();
    this.statusChecker.start();
  }

  async onApplicationShutdown(): Promise<void> {
    // Sends in flight finish (and write their outcome to the outbox) before the relay stops; one
    // still at the API after 3 s stays 'sending' and is reconciled with the provider at the next start.
    await boundedStep('sends in flight', this.worker.stop(), 3_000);
    await boundedStep('reconciliation', this.reconciler.stop(), 1_000);
    await boundedStep('status check', this.statusChecker.stop(), 1_000);
    await this.relay.stop();
    await boundedStep('send gate', this.gate.stop(), 1_000);
  }
}
