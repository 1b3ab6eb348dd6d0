import { Module } from '@nestjs/common';
import { InfraModule } from '../../libs/infra/infra.module';
import { NOTIFY_REQUIRED, NotifyModule } from '../../libs/notify/notify.module';

@Module({
  imports: [InfraModule.forRoot({ service: 'notifier', required: [...NOTIFY_REQUIRED] }), NotifyModule],
})
export class NotifierAppModule {}
