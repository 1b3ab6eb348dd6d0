import { Module } from '@nestjs/common';
import { AuditModule } from '../../libs/audit/audit.module';
import { InfraModule } from '../../libs/infra/infra.module';
import { ReportsModule } from '../../libs/reports/reports.module';

/** The audit service: the ledger consumer, the auditor API and the upward reports computed from the ledger. */
@Module({
  imports: [
    InfraModule.forRoot({ service: 'audit', required: ['SIGNING_SECRET'] }),
    AuditModule,
    ReportsModule,
  ],
})
export class AuditAppModule {}
