import '../../libs/observability/start';
import { Module } from '@nestjs/common';
import { DispatcherModule } from '../../libs/callout/callout.module';
import { run, startService } from '../../libs/infra/bootstrap';
import { InfraModule } from '../../libs/infra/infra.module';

/** The dispatcher service: hazard topics in, call-out plans and sends out. */
@Module({
  imports: [InfraModule.forRoot({ service: 'dispatcher', required: ['SIGNING_SECRET'] }), DispatcherModule],
})
class DispatcherAppModule {}

run(() => startService(DispatcherAppModule, { title: 'dispatcher' }));
