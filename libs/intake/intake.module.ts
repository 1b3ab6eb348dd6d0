import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { AppConfig } from '../config/config';
import { Db } from '../db/db';
import { DirectoryRepository } from '../directory/directory.repository';
import { CONFIG, DB } from '../infra/tokens';
import { consumerHostProvider } from '../kafka/consumer-host.provider';
import { CapBodyMiddleware, CapController } from './cap.controller';
import { CapTopicHandlers } from './cap-topic.handlers';
import { HeldWarningsController } from './held-warnings.controller';
import { IntakeOutboxRelay } from './intake-outbox.relay';
import { IntakeRepository } from './intake.repository';
import { IntakeService } from './intake.service';
import { WarningsController } from './warnings.controller';

/**
 * Warning intake: the duty officer's API, CAP over HTTP and on warnings.cap. Needs InfraModule
 * (CONFIG, DB, PUBLISHER) in the importing application.
 */
@Module({
  controllers: [HeldWarningsController, WarningsController, CapController],
  providers: [
    IntakeOutboxRelay,
    { provide: IntakeRepository, useFactory: () => new IntakeRepository() },
    {
      provide: IntakeService,
      inject: [DB, CONFIG, IntakeOutboxRelay, IntakeRepository],
      useFactory: (db: Db, cfg: AppConfig, relay: IntakeOutboxRelay, repo: IntakeRepository) => {
        // Polygons and circles map to the directory's village points (same database, read only).
        const directory = new DirectoryRepository(db);
        return new IntakeService(
          db,
          {
            issuerCode: cfg.INTAKE_ISSUER_CODE,
            sender: cfg.INTAKE_SENDER,
            homeArea: cfg.INTAKE_HOME_AREA,
            villages: () => directory.villagePoints(),
            nudge: () => relay.nudge(),
          },
          repo,
        );
      },
    },
    CapTopicHandlers,
    consumerHostProvider('intake', [CapTopicHandlers]),
  ],
  exports: [IntakeService],
})
export class IntakeModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(CapBodyMiddleware).forRoutes({ path: 'api/cap', method: RequestMethod.POST });
  }
}
