import '../../libs/observability/start';
import { Module } from '@nestjs/common';
import { ConsoleModule } from '../../libs/console/console.module';
import { run, startService } from '../../libs/infra/bootstrap';
import { InfraModule } from '../../libs/infra/infra.module';

/** The web console for duty officers, auditors and directory admins. */
@Module({
  imports: [InfraModule.forRoot({ service: 'console', required: ['SIGNING_SECRET'] }), ConsoleModule],
})
class ConsoleAppModule {}

run(() => startService(ConsoleAppModule, { title: 'console' }));
