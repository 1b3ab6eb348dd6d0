import { Module } from '@nestjs/common';
import { ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { Db } from '../db/db';
import { DB } from '../infra/tokens';
import { IntakeModule } from '../intake/intake.module';
import { IntakeService } from '../intake/intake.service';
import { DrillsController } from './drills.controller';
import { DrillsRepository } from './drills.repository';
import { DrillsService } from './drills.service';

/** Scheduled drills, issued through intake: hosted by the intake service (and the all-in-one). */
@Module({
  imports: [IntakeModule, ScheduleModule.forRoot()],
  controllers: [DrillsController],
  providers: [
    { provide: DrillsRepository, inject: [DB], useFactory: (db: Db) => new DrillsRepository(db) },
    {
      provide: DrillsService,
      inject: [DrillsRepository, IntakeService, SchedulerRegistry],
      useFactory: (repo: DrillsRepository, intake: IntakeService, registry: SchedulerRegistry) =>
        new DrillsService(repo, intake, registry),
    },
  ],
})
export class DrillsModule {}
