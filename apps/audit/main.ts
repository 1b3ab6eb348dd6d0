import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppConfig } from '../../libs/config/config';
import { HTTP_PORT_USE, run } from '../../libs/infra/bootstrap';
import { portError } from '../../libs/infra/ports';
import { CONFIG } from '../../libs/infra/tokens';
import { AuditAppModule } from './audit-app.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AuditAppModule);
  app.enableShutdownHooks();
  const cfg = app.get<AppConfig>(CONFIG);
  await app.listen(cfg.HTTP_PORT).catch((e: unknown) => {
    throw portError(e, HTTP_PORT_USE(cfg.HTTP_PORT));
  });
}

run(bootstrap);
