import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { AuditorGuard } from '../audit/auditor.guard';
import { ReportsController } from './reports.controller';
import { ReportsService } from './reports.service';

/** The upward reports (monthly 叫应 report, drills' after-action reports), read from the audit ledger. */
@Module({
  imports: [AuditModule],
  controllers: [ReportsController],
  providers: [ReportsService, AuditorGuard],
})
export class ReportsModule {}
