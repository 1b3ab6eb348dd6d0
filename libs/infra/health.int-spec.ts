import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { loadConfig } from '../config/config';
import { Db } from '../db/db';
import { createTestDatabase, kafkaBrokers, TestDatabase, uniqueId } from '../../test/support/infra';
import { InfraModule } from './infra.module';
import { Readiness } from './readiness';
import { DB, READINESS } from './tokens';

describe('health endpoints (real PostgreSQL and Kafka)', () => {
  let tdb: TestDatabase;
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    tdb = await createTestDatabase('health', { migrate: false });
    const config = loadConfig({
      KAFKA_BROKERS: kafkaBrokers().join(','),
      KAFKA_TOPIC_PREFIX: `${uniqueId('health')}.`,
      DATABASE_URL: tdb.url,
    });
    const moduleRef = await Test.createTestingModule({
      imports: [InfraModule.forRoot({ service: 'health-test', config })],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await tdb?.drop();
  });

  it('is ready when its database and Kafka answer and its start-up is done, and says what is missing', async () => {
    const ready = await fetch(`${url}/health/ready`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { status: string; info: Record<string, { status: string }> };
    expect(body.status).toBe('ok');
    expect(body.info.database.status).toBe('up');
    expect(body.info.kafka.status).toBe('up');

    // Something of the start-up still awaited: not ready, and the answer says what it waits for.
    const seeded = app.get<Readiness>(READINESS).expect('demo directory');
    const waiting = await fetch(`${url}/health/ready`);
    expect(waiting.status).toBe(503);
    const awaited = (await waiting.json()) as {
      error: Record<string, { status: string; awaiting?: string[] }>;
    };
    expect(awaited.error.startup).toEqual({ status: 'down', awaiting: ['demo directory'] });
    seeded();
    expect((await fetch(`${url}/health/ready`)).status).toBe(200);

    // The database goes away: readiness fails and names it; liveness still answers.
    await app.get<Db>(DB).close();
    const notReady = await fetch(`${url}/health/ready`);
    expect(notReady.status).toBe(503);
    const down = (await notReady.json()) as { error: Record<string, { status: string }> };
    expect(down.error.database.status).toBe('down');
    expect((await fetch(`${url}/health/live`)).status).toBe(200);
  }, 30_000);
});
