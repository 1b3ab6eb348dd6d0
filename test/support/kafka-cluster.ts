import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { waitFor } from './infra';

const ROOT = join(__dirname, '..', '..');
const run = promisify(execFile);

/**
 * A 3-broker KRaft cluster of a test's own, run by `scripts/kafka.sh cluster` on ports that do not
 * clash with the shared broker (KAFKA_TEST_CLUSTER_PORTS, default 19192,19194,19196; each
 * controller on the next port). Data lives in KAFKA_HOME_DIR like the single broker's.
 */
export class KafkaCluster {
  readonly ports: number[];

  constructor(ports = process.env.KAFKA_TEST_CLUSTER_PORTS ?? '19192,19194,19196') {
    this.ports = ports.split(',').map(Number);
  }

  get brokers(): string[] {
    return this.ports.map((p) => `127.0.0.1:${p}`);
  }

  private async script(...args: string[]): Promise<string> {
    const { stderr } = await run('bash', [join(ROOT, 'scripts', 'kafka.sh'), 'cluster', ...args], {
      env: { ...process.env, KAFKA_CLUSTER_PORTS: this.ports.join(',') },
      timeout: 300_000,
    });
    return stderr;
  }

  /**
   * Starts every node that does not answer (all of them the first time), then waits until the
   * cluster's metadata lists every broker: a node answers on its port before the others' metadata
   * knows it. (A topic created in that moment is still given the cluster's default replication
   * factor by the controller, see topicReplication; the wait keeps a test from starting on a
   * cluster whose brokers are not all serving yet.)
   */
  async start(): Promise<string> {
    const log = await this.script('start');
    const kafka = new Kafka({ clientId: 'cluster-start', brokers: this.brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await waitFor(
        async () => (await admin.describeCluster()).brokers.length === this.ports.length,
        `all ${this.ports.length} brokers in the cluster's metadata`,
        60_000,
        250,
      );
    } finally {
      await admin.disconnect();
    }
    return log;
  }

  /** kill -9 of node n (1-based). */
  kill(n: number): Promise<string> {
    return this.script('kill', String(n));
  }

  /** Stops every node and deletes the cluster's data. */
  reset(): Promise<string> {
    return this.script('reset');
  }
}
