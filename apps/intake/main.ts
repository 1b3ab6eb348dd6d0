import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppConfig } from '../../libs/config/config';
import { HTTP_PORT_USE, run } from '../../libs/infra/bootstrap';
import { portError } from '../../libs/infra/ports';
import { CONFIG } from '../../libs/infra/tokens';
import { AppModule } from './intake-app.module';

/** Warning intake: the duty-officer API and CAP (HTTP and warnings.cap) → the hazard topics. */
async function main() {
  const app = await NestFactory.create(AppModule);
  app.enableShutdownHooks();
  const doc = new DocumentBuilder()
    .setTitle('Warning intake (预警接入)')
    .setDescription('Issue, update and cancel (解除) warnings; receive CAP 1.2 / 1.1. See docs/intake.md.')
    .setVersion('1')
    .build();
  SwaggerModule.setup('docs', app, SwaggerModule.createDocument(app, doc));
  const cfg = app.get<AppConfig>(CONFIG);
  await app.listen(cfg.HTTP_PORT).catch((e: unknown) => {
    throw portError(e, HTTP_PORT_USE(cfg.HTTP_PORT));
  });
}

run(main);
