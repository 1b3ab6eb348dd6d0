import { Module } from '@nestjs/common';
import { Db } from '../db/db';
import { DirectoryModule } from '../directory/directory.module';
import { DirectoryService } from '../directory/directory.service';
import { DB } from '../infra/tokens';
import { consumerHostProvider } from '../kafka/consumer-host.provider';
import { RosterController } from './roster.controller';
import { RosterHandlers } from './roster.handlers';
import { RosterRepository } from './roster.repository';
import { RosterService } from './roster.service';

/**
 * The roster context: number health from real outcomes (its own consumer group on callouts.events
 * and callouts.status, its own schema) and the directory admin's "numbers to check" list.
 */
@Module({
  imports: [DirectoryModule],
  controllers: [RosterController],
  providers: [
    { provide: RosterRepository, inject: [DB], useFactory: (db: Db) => new RosterRepository(db) },
    {
      provide: RosterService,
      inject: [RosterRepository, DirectoryService],
      useFactory: (repo: RosterRepository, directory: DirectoryService) => new RosterService(repo, directory),
    },
    RosterHandlers,
    consumerHostProvider('roster', [RosterHandlers]),
  ],
  exports: [RosterService],
})
export class RosterModule {}
