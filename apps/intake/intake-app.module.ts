import { Module } from '@nestjs/common';
import { InfraModule } from '../../libs/infra/infra.module';
import { IntakeModule } from '../../libs/intake/intake.module';
import { DrillsModule } from '../../libs/drills/drills.module';

@Module({
  imports: [
    InfraModule.forRoot({ service: 'intake', required: ['SIGNING_SECRET'] }),
    IntakeModule,
    DrillsModule,
  ],
})
export class AppModule {}
