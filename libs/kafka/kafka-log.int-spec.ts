import { connect, createServer, Server, Socket } from 'node:net';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { kafkaBrokers, waitFor } from '../../test/support/infra';
import { freePort } from '../../test/support/services';
import { brokerAnswers, KafkaConnectivity, kafkaLogCreator } from './kafka-log';

/** A TCP relay on `port` to the test broker: the broker "at" that address comes and goes with it. */
function relay(port: number): Promise<{ close(): Promise<void> }> {
  const [host, brokerPort] = kafkaBrokers()[0].split(':');
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(brokerPort), host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  return new Promise((resolve) =>
    server.listen(port, '127.0.0.1', () =>
      resolve({
        close: () =>
          new Promise((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      }),
    ),
  );
}

describe('kafkajs logging while the broker is away (real kafkajs, real broker)', () => {
  it('says once that it waits for Kafka instead of a stream of connection errors, and when it is back', async () => {
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    const said: { level: string; text: string }[] = [];
    const logger = {
      warn: (text: string) => said.push({ level: 'warn', text }),
      log: (text: string) => said.push({ level: 'log', text }),
      error: (text: string) => said.push({ level: 'error', text }),
      debug: (text: string) => said.push({ level: 'debug', text }),
    };
    const connectivity = new KafkaConnectivity([address], brokerAnswers, logger, 200);
    // Two clients of one process, as the all-in-one has many: they share the one line.
    const clients = [1, 2].map(
      (i) =>
        new Kafka({
          clientId: `log-test-${i}`,
          brokers: [address],
          retry: { initialRetryTime: 50, retries: 3 },
          logLevel: logLevel.INFO,
          logCreator: kafkaLogCreator(connectivity, logger as never),
        }),
    );
    const producers = clients.map((k) => k.producer({ createPartitioner: Partitioners.DefaultPartitioner }));
    try {
      const failures = await Promise.allSettled(producers.map((p) => p.connect()));
      expect(failures.map((f) => f.status)).toEqual(['rejected', 'rejected']);
      // kafkajs logged a connection error for every try of both clients; one line says it all.
      expect(said.filter((s) => s.level !== 'debug')).toEqual([
        {
          level: 'warn',
          text: expect.stringMatching(
            new RegExp(
              `^waiting for Kafka at ${address} \\(.*ECONNREFUSED.*\\); the services retry on their own`,
            ),
          ),
        },
      ]);
      // Each of those errors is still there at debug.
      expect(said.filter((s) => s.level === 'debug' && /ECONNREFUSED/.test(s.text)).length).toBeGreaterThan(
        2,
      );

      const back = await relay(port);
      try {
        await waitFor(() => said.some((s) => s.level === 'log'), 'the broker to be reported back', 20_000);
        expect(said.filter((s) => s.level === 'log')).toEqual([
          { level: 'log', text: `Kafka at ${address} answers again` },
        ]);
        expect(connectivity.isWaiting).toBe(false);
        await producers[0].connect();
      } finally {
        await producers[0].disconnect().catch(() => undefined);
        await back.close();
      }
    } finally {
      connectivity.stop();
      await Promise.all(producers.map((p) => p.disconnect().catch(() => undefined)));
    }
  }, 60_000);
});
