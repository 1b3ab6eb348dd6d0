import { Module } from '@nestjs/common';
import { InfraModule } from '../../libs/infra/infra.module';
import { IntakeModule } from '../../libs/intake/intake.module';

@Module({ imports: [InfraModule.forRoot({ service: 'intake', required: ['SIGNING_SECRET'] }), IntakeModule] })
export class AppModule {}
