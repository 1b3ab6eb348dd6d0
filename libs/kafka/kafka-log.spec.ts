import { logLevel } from 'kafkajs';
import { waitFor } from '../../test/support/infra';
import { KafkaConnectivity, kafkaLogCreator } from './kafka-log';

const CLUSTER = ['127.0.0.1:19092', '127.0.0.1:19094', '127.0.0.1:19096'];

function setup(brokers: string[]) {
  const said: { level: string; text: string }[] = [];
  const logger = {
    warn: (text: string) => said.push({ level: 'warn', text }),
    log: (text: string) => said.push({ level: 'log', text }),
    error: (text: string) => said.push({ level: 'error', text }),
    debug: (text: string) => said.push({ level: 'debug', text }),
  };
  /** The addresses that answer the probe. */
  const up = new Set(brokers);
  const probed: string[][] = [];
  const connectivity = new KafkaConnectivity(
    brokers,
    async (list) => {
      probed.push(list);
      return list.some((b) => up.has(b));
    },
    logger,
    10,
  );
  const log = kafkaLogCreator(connectivity, logger as never)(logLevel.INFO);
  /** What kafkajs' Connection logs when a broker refuses the connection. */
  const refused = (broker: string) =>
    log({
      namespace: 'Connection',
      level: logLevel.ERROR,
      label: 'ERROR',
      log: {
        timestamp: '',
        logger: 'kafkajs',
        message: `Connection error: connect ECONNREFUSED ${broker}`,
        broker,
      },
    });
  /** What its producer logs then: the broker only in the message. */
  const sendFailed = (broker: string) =>
    log({
      namespace: 'Producer',
      level: logLevel.ERROR,
      label: 'ERROR',
      log: {
        timestamp: '',
        logger: 'kafkajs',
        message: `Failed to send messages: Connection error: connect ECONNREFUSED ${broker}`,
      },
    });
  const lines = () => said.filter((s) => s.level !== 'debug');
  return { said, up, probed, connectivity, refused, sendFailed, lines };
}

describe('KafkaConnectivity on a cluster', () => {
  it('says once that one broker does not answer while the others go on, and when it is back', async () => {
    const t = setup(CLUSTER);
    try {
      t.up.delete(CLUSTER[2]);
      for (let i = 0; i < 5; i++) {
        t.refused(CLUSTER[2]);
        t.sendFailed(CLUSTER[2]);
      }
      await waitFor(() => t.probed.length >= 3, 'three probes of the broker', 5_000, 10);
      // Probed alone, it kept not answering: still one line, and nobody waits for the whole list.
      expect(t.lines()).toEqual([
        {
          level: 'warn',
          text: `Kafka broker ${CLUSTER[2]} does not answer (Connection error: connect ECONNREFUSED ${CLUSTER[2]}); the clients go on with the other brokers of ${CLUSTER.join(',')} and retry it`,
        },
      ]);
      expect(new Set(t.probed.map((l) => l.join(',')))).toEqual(new Set([CLUSTER[2]]));
      expect(t.connectivity.isWaiting).toBe(false);

      t.up.add(CLUSTER[2]);
      await waitFor(() => t.lines().length === 2, 'the broker reported back', 5_000, 10);
      expect(t.lines()[1]).toEqual({ level: 'log', text: `Kafka broker ${CLUSTER[2]} answers again` });
    } finally {
      t.connectivity.stop();
    }
  });

  it('waits for the whole list once every broker of it is away', async () => {
    const t = setup(CLUSTER);
    try {
      t.up.clear();
      for (const b of CLUSTER) t.refused(b);
      expect(t.connectivity.isWaiting).toBe(true);
      expect(t.lines().map((l) => l.text)).toEqual([
        expect.stringMatching(/^Kafka broker 127\.0\.0\.1:19092 does not answer/),
        expect.stringMatching(/^Kafka broker 127\.0\.0\.1:19094 does not answer/),
        expect.stringMatching(
          /^waiting for Kafka at 127\.0\.0\.1:19092,127\.0\.0\.1:19094,127\.0\.0\.1:19096 \(/,
        ),
      ]);
      t.up.add(CLUSTER[0]);
      await waitFor(() => !t.connectivity.isWaiting, 'a broker back', 5_000, 10);
      expect(t.lines().at(-1)).toEqual({ level: 'log', text: `Kafka at ${CLUSTER.join(',')} answers again` });
    } finally {
      t.connectivity.stop();
    }
  });

  it('keeps one broker of its own as the whole list', () => {
    const t = setup([CLUSTER[0]]);
    try {
      t.up.clear();
      t.refused(CLUSTER[0]);
      t.refused(CLUSTER[0]);
      expect(t.connectivity.isWaiting).toBe(true);
      expect(t.lines()).toEqual([
        { level: 'warn', text: expect.stringMatching(/^waiting for Kafka at 127\.0\.0\.1:19092 \(/) },
      ]);
    } finally {
      t.connectivity.stop();
    }
  });
});
