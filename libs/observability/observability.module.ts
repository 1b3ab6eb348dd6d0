import {
  DynamicModule,
  Global,
  Inject,
  Logger,
  MiddlewareConsumer,
  Module,
  NestModule,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import { NextFunction, Request, Response } from 'express';
import { Kafka } from 'kafkajs';
import { Logger as PinoLogger, LoggerModule } from 'nestjs-pino';
import { AppConfig } from '../config/config';
import { Db } from '../db/db';
import { TopicNamer } from '../kafka/kafka-client';
import { CONFIG, DB, KAFKA, TOPIC_NAMER } from '../infra/tokens';
import { SCRAPED_BY_SERVICE, setScrapeSources } from './collectors';
import { loggerParams } from './logging';
import { initMetrics, webhooksReceived } from './metrics';
import { MetricsController } from './metrics.controller';

const SERVICE = Symbol('observability service name');

/** Webhook kinds by path: /twilio/sms/status → "sms/status", /ack/… → "ack". Bounded by the routes. */
function webhookKind(path: string): string | undefined {
  const twilio = /^\/twilio\/(sms|voice)\/(\w+)/.exec(path);
  if (twilio) return `${twilio[1]}/${twilio[2]}`;
  return path.startsWith('/ack/') ? 'ack' : undefined;
}

function countWebhooks(req: Request, res: Response, next: NextFunction): void {
  if (process.env.METRICS === '0') return next();
  const kind = webhookKind((req.originalUrl ?? req.url).split('?')[0]);
  if (kind)
    res.on('finish', () => webhooksReceived.inc({ kind, status: `${Math.floor(res.statusCode / 100)}xx` }));
  next();
}

/**
 * Metrics (/metrics), structured logs and the scrape-time readings of one service. Imported by
 * InfraModule, so every service has it; the trace SDK starts earlier (libs/observability/start.ts,
 * the first import of each main.ts).
 */
@Global()
@Module({})
export class ObservabilityModule implements OnModuleInit, OnApplicationShutdown, NestModule {
  constructor(
    @Inject(SERVICE) private readonly service: string,
    @Inject(DB) private readonly db: Db,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(TOPIC_NAMER) private readonly namer: TopicNamer,
    private readonly logger: PinoLogger,
  ) {}

  static forService(service: string): DynamicModule {
    return {
      module: ObservabilityModule,
      imports: [
        LoggerModule.forRootAsync({
          inject: [CONFIG],
          useFactory: (cfg: AppConfig) => loggerParams(service, cfg),
        }),
      ],
      controllers: [MetricsController],
      providers: [{ provide: SERVICE, useValue: service }],
    };
  }

  onModuleInit(): void {
    // What app.useLogger does: every Nest Logger of the process writes through pino from now on
    // (the lines of the start-up so far were buffered and follow).
    Logger.overrideLogger(this.logger);
    initMetrics(this.service);
    setScrapeSources({
      db: this.db,
      kafka: this.kafka,
      namer: this.namer,
      data: SCRAPED_BY_SERVICE[this.service] ?? [],
    });
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(countWebhooks).forRoutes('*path');
  }

  onApplicationShutdown(): void {
    setScrapeSources(undefined);
  }
}
