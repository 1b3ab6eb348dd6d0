import { Controller, Get, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { Kafka } from 'kafkajs';
import { Db } from '../db/db';
import { Readiness } from './readiness';
import { DB, KAFKA, READINESS } from './tokens';

/**
 * Liveness (the process answers) and readiness (its Kafka broker and database answer, and nothing of
 * its start-up is still awaited: consumer groups joined, the all-in-one's demo directory seeded).
 */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    @Inject(DB) private readonly db: Db,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(READINESS) private readonly readiness: Readiness,
  ) {}

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([() => this.indicator.check('process').up({ pid: process.pid })]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([() => this.checkStartup(), () => this.checkDb(), () => this.checkKafka()]);
  }

  private checkStartup() {
    const i = this.indicator.check('startup');
    const awaited = this.readiness.awaited();
    return awaited.length ? i.down({ awaiting: awaited }) : i.up();
  }

  private async checkDb() {
    const i = this.indicator.check('database');
    try {
      await withTimeout(this.db.query('SELECT 1'), 2_000);
      return i.up({ kind: this.db.kind });
    } catch (e) {
      return i.down({ error: (e as Error).message });
    }
  }

  private async checkKafka() {
    const i = this.indicator.check('kafka');
    const admin = this.kafka.admin();
    try {
      await withTimeout(admin.connect(), 3_000);
      const cluster = await withTimeout(admin.describeCluster(), 3_000);
      return i.up({ brokers: cluster.brokers.length });
    } catch (e) {
      return i.down({ error: (e as Error).message });
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]);
}
