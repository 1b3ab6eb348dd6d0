import {
  DynamicModule,
  Global,
  Inject,
  Logger,
  MiddlewareConsumer,
  Module,
  NestModule,
  OnApplicationShutdown,
  RequestMethod,
} from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { Admin, Kafka } from 'kafkajs';
import { AppConfig, ConfigKey, loadConfig } from '../config/config';
import { backOff } from 'exponential-backoff';
import { Db, isConnectionError, openDb } from '../db/db';
import { migrate } from '../db/migrate';
import { allTopicSpecs } from '../../contracts/topics';
import {
  createKafka,
  createMissingTopics,
  EventPublisher,
  TopicNamer,
  underReplicatedTopics,
  withAdmin,
} from '../kafka/kafka-client';
import { ObservabilityModule } from '../observability/observability.module';
import { BodyDepthMiddleware } from './body-depth.middleware';
import { HealthController } from './health.controller';
import { boundedStep } from './shutdown';
import { Readiness } from './readiness';
import { Clock, OffsetFileClock, systemClock } from '../common/clock';
import { DomainErrorFilter } from '../common/domain-error.filter';
import { CLOCK, CONFIG, DB, KAFKA, PUBLISHER, READINESS, TOPIC_NAMER } from './tokens';

export interface InfraOptions {
  /** Service name: Kafka client id and log prefix. */
  service: string;
  /** Variables this service cannot run without. */
  required?: ConfigKey[];
  /** A ready configuration (the all-in-one app and tests); otherwise read from the environment. */
  config?: AppConfig;
  /** An open database (the all-in-one app shares one); otherwise opened from DATABASE_URL / PGlite. */
  db?: Db;
  /** Start-up steps the app marks done itself (Readiness.done) before /health/ready answers 200. */
  awaiting?: string[];
}

/**
 * Runs the migrations as soon as the database answers: a server that refuses connections or times
 * out at start-up is waited for (backoff up to 2 s, `waitMs` in all), a failing statement is not.
 * The outage and the recovery are logged once by the database itself (PostgresDb).
 */
export async function migrateOnceReachable(db: Db, waitMs: number): Promise<string[]> {
  const giveUpAt = Date.now() + waitMs;
  return backOff(() => migrate(db), {
    startingDelay: 200,
    maxDelay: 2_000,
    numOfAttempts: Number.MAX_SAFE_INTEGER,
    retry: (e: unknown) => isConnectionError(e) && Date.now() < giveUpAt,
  });
}

/**
 * Says at start-up when a topic has fewer copies than the cluster has brokers (up to 3): one broker's
 * loss would lose its partitions. A check that fails (a broker busy, metadata not there yet) is only
 * logged: it must not keep the service from starting.
 */
async function warnUnderReplicated(admin: Admin, namer: TopicNamer, logger: Logger): Promise<void> {
  try {
    const short = await underReplicatedTopics(
      admin,
      allTopicSpecs().map((s) => namer.topic(s.name)),
    );
    if (short.length === 0) return;
    logger.warn(
      `topics with fewer copies than the cluster's ${short[0].brokers} brokers (losing a broker loses their ` +
        `partitions; raise it with kafka-reassign-partitions.sh, docs/scaling.md): ` +
        short.map((t) => `${t.topic} ${t.replicas}`).join(', '),
    );
  } catch (e) {
    logger.debug(`replication check skipped: ${(e as Error).message}`);
  }
}

/**
 * The shared infrastructure of a service: validated config, the database (migrated at start), the
 * Kafka client with every topic created, the idempotent producer, health endpoints and what readiness
 * still waits for.
 */
@Global()
@Module({})
export class InfraModule implements NestModule, OnApplicationShutdown {
  private static readonly logger = new Logger('Infra');

  constructor(
    @Inject(PUBLISHER) private readonly publisher: EventPublisher,
    @Inject(DB) private readonly db: Db,
    @Inject(CONFIG) private readonly cfg: AppConfig & { __ownsDb?: boolean },
  ) {}

  static forRoot(opts: InfraOptions): DynamicModule {
    // Read when the application is created, not when its module is imported, so a bad variable is
    // reported by startService's clean message rather than by an import-time stack trace.
    const config = () => opts.config ?? loadConfig(process.env, ['KAFKA_BROKERS', ...(opts.required ?? [])]);
    return {
      module: InfraModule,
      // Terminus would log every probe that finds the service not ready yet as an error; the probe's
      // 503 names what start-up still awaits, and readiness logs its own progress.
      imports: [TerminusModule.forRoot({ logger: false }), ObservabilityModule.forService(opts.service)],
      controllers: [HealthController],
      providers: [
        { provide: CONFIG, useFactory: () => ({ ...config(), __ownsDb: !opts.db }) },
        { provide: READINESS, useFactory: () => new Readiness(opts.awaiting) },
        {
          provide: CLOCK,
          inject: [CONFIG],
          useFactory: (cfg: AppConfig): Clock => {
            if (!cfg.CLOCK_OFFSET_FILE) return systemClock;
            const clock = new OffsetFileClock(cfg.CLOCK_OFFSET_FILE);
            // A bad file stops the start, not the first deadline.
            InfraModule.logger.warn(
              `demo clock: ${clock.now().toISOString()} (CLOCK_OFFSET_FILE=${cfg.CLOCK_OFFSET_FILE})`,
            );
            return clock;
          },
        },
        // Domain errors of every controller become their HTTP status (400, 404, 409).
        { provide: APP_FILTER, useClass: DomainErrorFilter },
        {
          provide: DB,
          inject: [CONFIG],
          useFactory: async (cfg: AppConfig) => {
            const db = opts.db ?? (await openDb(cfg.DATABASE_URL, cfg.PGLITE_DIR, cfg.DB_POOL_MAX));
            const applied = await migrateOnceReachable(db, cfg.DB_STARTUP_WAIT_S * 1_000);
            if (applied.length) InfraModule.logger.log(`migrations applied: ${applied.join(', ')}`);
            return db;
          },
        },
        {
          provide: TOPIC_NAMER,
          inject: [CONFIG],
          useFactory: (cfg: AppConfig) => new TopicNamer(cfg.KAFKA_TOPIC_PREFIX),
        },
        {
          provide: KAFKA,
          inject: [CONFIG, TOPIC_NAMER],
          useFactory: async (cfg: AppConfig, namer: TopicNamer) => {
            const kafka = createKafka(cfg.KAFKA_BROKERS!, opts.service);
            // One admin connection for both: the topics made, then their copies checked.
            await withAdmin(kafka, async (admin) => {
              const created = await createMissingTopics(admin, namer, undefined, {
                replicationFactor: cfg.KAFKA_REPLICATION_FACTOR,
              });
              if (created.length) InfraModule.logger.log(`topics created: ${created.join(', ')}`);
              await warnUnderReplicated(admin, namer, InfraModule.logger);
            });
            return kafka;
          },
        },
        {
          provide: PUBLISHER,
          inject: [KAFKA, TOPIC_NAMER],
          useFactory: async (kafka: Kafka, namer: TopicNamer) => {
            const p = new EventPublisher(kafka, namer);
            await p.connect();
            return p;
          },
        },
      ],
      exports: [CONFIG, DB, KAFKA, TOPIC_NAMER, PUBLISHER, READINESS, CLOCK],
    };
  }

  /** Every service refuses absurdly nested bodies at its edge, whichever parser read them. */
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(BodyDepthMiddleware).forRoutes({ path: '*path', method: RequestMethod.ALL });
  }

  async onApplicationShutdown(): Promise<void> {
    await boundedStep('Kafka producer disconnect', this.publisher.disconnect(), 1_500);
    if (this.cfg.__ownsDb) await boundedStep('database pool close', this.db.close(), 1_500);
  }
}
