import { Module, OnModuleInit } from '@nestjs/common';
import { Db } from '../db/db';
import { DB } from '../infra/tokens';
import { DirectoryController } from './directory.controller';
import { DirectoryRepository } from './directory.repository';
import { DirectoryService } from './directory.service';

/** The directory context: DirectoryService for the call-out engine, and the admin HTTP API. */
@Module({
  controllers: [DirectoryController],
  providers: [
    { provide: DirectoryRepository, inject: [DB], useFactory: (db: Db) => new DirectoryRepository(db) },
    {
      provide: DirectoryService,
      inject: [DB, DirectoryRepository],
      useFactory: (db: Db, repo: DirectoryRepository) => new DirectoryService(db, repo),
    },
  ],
  exports: [DirectoryService],
})
export class DirectoryModule implements OnModuleInit {
  constructor(private readonly directory: DirectoryService) {}

  /** The real division codes must be there before any warning is resolved against them. */
  async onModuleInit(): Promise<void> {
    await this.directory.ensureSeeded();
  }
}
