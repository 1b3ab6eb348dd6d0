import { Module } from '@nestjs/common';
import { AuditModule } from '../../libs/audit/audit.module';
import { InfraModule } from '../../libs/infra/infra.module';

/** The audit service: the ledger consumer and the auditor API. */
@Module({
  imports: [InfraModule.forRoot({ service: 'audit', required: ['SIGNING_SECRET'] }), AuditModule],
})
export class AuditAppModule {}
