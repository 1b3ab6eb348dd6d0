import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/config';
import { CONFIG } from '../infra/tokens';
import { consumerHostProvider } from '../kafka/consumer-host.provider';
import { DirectoryModule } from '../directory/directory.module';
import { DirectoryService } from '../directory/directory.service';
import { CalloutOutboxRelay } from './callout-outbox.relay';
import { CalloutQueryController } from './callout-query.controller';
import { CalloutQueryRepository } from './callout-query.repository';
import { CalloutRepository } from './callout.repository';
import { DeadlineRepository } from './deadline.repository';
import { WarningMessageRepository } from './warning-message.repository';
import { CALLOUT_POLICY, TARGET_DIRECTORY } from './callout.types';
import { DispatcherHandlers, TrackerHandlers } from './callout.handlers';
import { DeadlineScanner } from './deadline-scanner';
import { DISPATCHER_OPTIONS, DispatcherOptions, DispatcherService } from './dispatcher.service';
import { FieldTaskController } from './field-task.controller';
import { FieldTaskRepository } from './field-task.repository';
import { FieldTaskService } from './field-task.service';
import { NotWokenRepository } from './not-woken.repository';
import { loadPolicy } from './policy';
import { planFromConfig } from '../notify/providers/provider-plan';
import { CAPACITY_PREDICTOR, CapacityPredictor } from './capacity-progress';
import { TrackerService } from './tracker.service';

/** What the dispatcher and the tracker share: the policy (validated at start), the directory, the outbox relay. */
@Global()
@Module({
  imports: [DirectoryModule],
  providers: [
    CalloutOutboxRelay,
    CalloutRepository,
    DeadlineRepository,
    WarningMessageRepository,
    {
      provide: CALLOUT_POLICY,
      inject: [CONFIG],
      useFactory: (cfg: AppConfig) => loadPolicy(cfg.POLICY_FILE),
    },
    { provide: TARGET_DIRECTORY, useExisting: DirectoryService },
  ],
  exports: [
    CalloutOutboxRelay,
    CalloutRepository,
    DeadlineRepository,
    WarningMessageRepository,
    CALLOUT_POLICY,
    TARGET_DIRECTORY,
  ],
})
export class CalloutCoreModule {}

/** The dispatcher: warnings in, call-out plans and sends out. */
@Module({
  imports: [CalloutCoreModule],
  providers: [
    DispatcherService,
    {
      provide: DISPATCHER_OPTIONS,
      inject: [CONFIG],
      useFactory: (cfg: AppConfig): DispatcherOptions => ({
        verification: { refilingDate: cfg.VERIFY_REFILING_DATE, leadDays: cfg.VERIFY_LEAD_DAYS },
      }),
    },
    {
      provide: CAPACITY_PREDICTOR,
      inject: [CONFIG],
      useFactory:
        (cfg: AppConfig): CapacityPredictor =>
        (sends) =>
          planFromConfig(cfg, sends),
    },
    DispatcherHandlers,
    consumerHostProvider('dispatcher', [DispatcherHandlers]),
  ],
  exports: [DispatcherService],
})
export class DispatcherModule {}

/** The tracker: statuses and answers in, redials, escalation, not-woken list and closing out. */
@Module({
  imports: [CalloutCoreModule],
  controllers: [CalloutQueryController, FieldTaskController],
  providers: [
    TrackerService,
    CalloutQueryRepository,
    FieldTaskService,
    FieldTaskRepository,
    NotWokenRepository,
    DeadlineScanner,
    TrackerHandlers,
    consumerHostProvider('tracker', [TrackerHandlers]),
  ],
  exports: [TrackerService, DeadlineScanner],
})
export class TrackerModule {}
