import { Inject, Logger, Module, OnModuleInit } from '@nestjs/common';
import { Db } from '../db/db';
import { DB } from '../infra/tokens';
import { consumerHostProvider } from '../kafka/consumer-host.provider';
import { MessageTemplates } from '../notify/message-templates';
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
import { DirectoryAdminController } from './directory-admin.controller';
import { HeldMappingController } from './held-mapping.controller';
import { LiveHub } from './live-hub';
import { LoginController } from './login.controller';
import { WarningFormController } from './warning-form.controller';

/**
 * The web console: the duty-officer board at /, /login, everything else under /console/. Reads and
 * changes other contexts only through their HTTP APIs; listens to Kafka with its own group.
 */
@Module({
  controllers: [
    LoginController,
    BoardController,
    WarningFormController,
    HeldMappingController,
    AuditViewsController,
    DirectoryAdminController,
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
    { provide: MessageTemplates, useFactory: () => new MessageTemplates() },
    consumerHostProvider('console', [ConsoleEventsHandlers]),
  ],
})
export class ConsoleModule implements OnModuleInit {
  constructor(@Inject(DB) private readonly db: Db) {}

  async onModuleInit(): Promise<void> {
    const seeded = await new ConsoleRepository(this.db).seedDemoUsers();
    if (seeded)
      new Logger('console').warn(
        `seeded ${seeded} demo users (duty, auditor, admin): change their passwords`,
      );
  }
}
