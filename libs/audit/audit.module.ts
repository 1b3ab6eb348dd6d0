import { Module } from '@nestjs/common';
import { consumerHostProvider } from '../kafka/consumer-host.provider';
import { AuditController } from './audit.controller';
import { AuditHandlers } from './audit.handlers';
import { AuditService } from './audit.service';
import { AuditorGuard } from './auditor.guard';
import { LedgerRepository } from './ledger.repository';

/**
 * The audit context: consumes every topic and dead-letter topic into the hash-chained ledger and
 * serves the auditor's read-only views. Needs InfraModule (CONFIG, DB, TOPIC_NAMER, PUBLISHER).
 */
@Module({
  controllers: [AuditController],
  providers: [
    LedgerRepository,
    AuditService,
    AuditorGuard,
    AuditHandlers,
    consumerHostProvider('audit', [AuditHandlers]),
  ],
  exports: [LedgerRepository, AuditService],
})
export class AuditModule {}
