import { Module } from '@nestjs/common';
import { ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { Db } from '../db/db';
import { IntakeModule } from '../intake/intake.module';
import { IntakeService } from '../intake/intake.service';
import { DrillsController } from './drills.controller';
import { DrillsRepository } from './drills.repository';
import { DrillsService } from './drills.service';
import { VerificationController } from './verification.controller';
import { verificationService, VerificationService } from './verification.service';
import { AppConfig } from '../config/config';
import { CONFIG, DB } from '../infra/tokens';

/**
 * Scheduled drills and the roster verification campaign, issued through intake: hosted by the intake
 * service (and the all-in-one).
 */
@Module({
  imports: [IntakeModule, ScheduleModule.forRoot()],
  controllers: [DrillsController, VerificationController],
  providers: [
    { provide: DrillsRepository, inject: [DB], useFactory: (db: Db) => new DrillsRepository(db) },
    {
      provide: DrillsService,
      inject: [DrillsRepository, IntakeService, SchedulerRegistry],
      useFactory: (repo: DrillsRepository, intake: IntakeService, registry: SchedulerRegistry) =>
        new DrillsService(repo, intake, registry),
    },
    {
      provide: VerificationService,
      inject: [DB, IntakeService, CONFIG],
      useFactory: (db: Db, intake: IntakeService, cfg: AppConfig) => verificationService(db, intake, cfg),
    },
  ],
})
export class DrillsModule {}
