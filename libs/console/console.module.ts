import { Inject, Logger, Module, OnModuleInit } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { AppConfig } from '../config/config';
import { Db } from '../db/db';
import { CONFIG, DB } from '../infra/tokens';
import { consumerHostProvider } from '../kafka/consumer-host.provider';
import { MessageTemplates } from '../templates/message-templates';
import { AssetsController } from './assets.controller';
import { AuditViewsController } from './audit-views.controller';
import { BoardController } from './board.controller';
import { BoardService } from './board.service';
import { ConsoleBackends } from './console-backends';
import { ConsoleAuthGuard } from './console-auth.guard';
import { ConsoleEventsHandlers } from './console-events.handlers';
import { ConsoleExceptionFilter } from './console-exception.filter';
import { ConsoleRepository } from './console.repository';
import { ConsoleViews } from './console-views';
import { DrillSchedulesController } from './drill-schedules.controller';
import { DirectoryAdminController } from './directory-admin.controller';
import { HeldMappingController } from './held-mapping.controller';
import { LiveHub } from './live-hub';
import { LOGIN_THROTTLER, LoginController } from './login.controller';
import { NotWokenController } from './not-woken.controller';
import { WarningFormController } from './warning-form.controller';

/**
 * The web console: the duty-officer board at /, /login, everything else under /console/. Reads and
 * changes other contexts only through their HTTP APIs; listens to Kafka with its own group.
 */
@Module({
  imports: [
    // Sign-in attempts per client address, in memory (each console process counts its own).
    ThrottlerModule.forRootAsync({
      inject: [CONFIG],
      useFactory: (cfg: AppConfig) => [
        {
          name: LOGIN_THROTTLER,
          ttl: cfg.LOGIN_ADDRESS_WINDOW_SECONDS * 1000,
          limit: cfg.LOGIN_ATTEMPTS_PER_ADDRESS,
        },
      ],
    }),
  ],
  controllers: [
    LoginController,
    BoardController,
    WarningFormController,
    HeldMappingController,
    AuditViewsController,
    DirectoryAdminController,
    DrillSchedulesController,
    NotWokenController,
    AssetsController,
  ],
  providers: [
    ConsoleViews,
    ConsoleBackends,
    ConsoleAuthGuard,
    ConsoleExceptionFilter,
    LiveHub,
    BoardService,
    ConsoleEventsHandlers,
    { provide: ConsoleRepository, inject: [DB], useFactory: (db: Db) => new ConsoleRepository(db) },
    { provide: MessageTemplates, useFactory: () => new MessageTemplates() },
    consumerHostProvider('console', [ConsoleEventsHandlers]),
  ],
})
export class ConsoleModule implements OnModuleInit {
  constructor(
    private readonly repo: ConsoleRepository,
    @Inject(CONFIG) private readonly cfg: AppConfig,
  ) {}

  /** Demo users (public passwords) only in demo mode; otherwise users come from `npm run users`. */
  async onModuleInit(): Promise<void> {
    if (!this.cfg.DEMO) return;
    const seeded = await this.repo.seedDemoUsers();
    if (!seeded) return;
    const text = `seeded ${seeded} demo users (duty, auditor, admin): change their passwords`;
    // In demo mode (DEMO=1) demo users are the point, and the start-up banner names them.
    if (process.env.DEMO === '1') new Logger('console').log(text);
    else new Logger('console').warn(text);
  }
}
