import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { loadConfig } from '../../libs/config/config';
import { NotifierAppModule } from './notifier.module';

/** The notifier service: callouts.requested in; Twilio out; Twilio webhooks and ack links on HTTP_PORT. */
async function main() {
  const cfg = loadConfig();
  const app = await NestFactory.create<NestExpressApplication>(NotifierAppModule, { bodyParser: false });
  // Twilio posts application/x-www-form-urlencoded; flat keys, so the simple parser.
  app.useBodyParser('urlencoded', { extended: false, limit: '100kb' });
  app.useBodyParser('json', { limit: '100kb' });
  app.enableShutdownHooks();
  await app.listen(cfg.HTTP_PORT);
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
