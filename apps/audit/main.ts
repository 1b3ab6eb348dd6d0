import '../../libs/observability/start';
import { run, startService } from '../../libs/infra/bootstrap';
import { AuditAppModule } from './audit-app.module';

/** The audit service: the ledger consumer and the auditor API. */
run(() => startService(AuditAppModule, { title: 'audit' }));
