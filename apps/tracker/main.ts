import '../../libs/observability/start';
import { Module } from '@nestjs/common';
import { TrackerModule } from '../../libs/callout/callout.module';
import { run, startService } from '../../libs/infra/bootstrap';
import { InfraModule } from '../../libs/infra/infra.module';
import { RosterModule } from '../../libs/roster/roster.module';

/**
 * The tracker service: statuses and answers in; redials, escalation, not-woken list, closing. It also
 * hosts the roster (number health from the same events, its own consumer group).
 */
@Module({
  imports: [
    InfraModule.forRoot({ service: 'tracker', required: ['SIGNING_SECRET'] }),
    TrackerModule,
    RosterModule,
  ],
})
class TrackerAppModule {}

run(() => startService(TrackerAppModule, { title: 'tracker' }));
