/**
 * A Kafka broker of the fault suite's own, on spare loopback ports under a temporary folder: the
 * suite kills and restarts it, which must never touch the machine's shared broker. (Its PostgreSQL
 * is test/support/own-postgres.ts.)
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import { freePort } from '../callout-pipeline';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..').replace(/[/\\]dist$/, '');
/**
 * A single KRaft broker through scripts/kafka.sh on ports of its own. The jars are linked from
 * KAFKA_JARS_DIR (or the project's .kafka/jars-<version>) when present, else fetched by the script.
 */
export class OwnKafka {
  readonly dir = mkdtempSync(join(tmpdir(), 'faults-kafka-'));
  port = 0;

  get brokers(): string {
    return `127.0.0.1:${this.port}`;
  }

  private env() {
    return {
      ...process.env,
      KAFKA_PORT: String(this.port),
      KAFKA_CONTROLLER_PORT: String(this.port + 1),
      KAFKA_HOME_DIR: this.dir,
      KAFKA_HEAP: process.env.FAULTS_KAFKA_HEAP ?? '-Xmx512m -Xms256m',
    };
  }

  async init(): Promise<void> {
    // Two consecutive free ports (broker, controller).
    for (;;) {
      const p = await freePort();
      if (p < 65000 && (await isFree(p + 1))) {
        this.port = p;
        break;
      }
    }
    linkJars(this.dir);
    await this.start();
  }

  /**
   * scripts/kafka.sh gives the broker 60 s to answer; on a loaded machine it may take longer, so a
   * broker still starting is waited for up to 3 minutes more.
   */
  async start(): Promise<void> {
    const started = await run('bash', [join(ROOT, 'scripts', 'kafka.sh'), 'start'], {
      env: this.env(),
      timeout: 300_000,
    }).then(
      () => true,
      (e: Error) => e,
    );
    if (started === true) return;
    for (let i = 0; i < 900; i++) {
      if (await answers(this.port)) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw started;
  }

  /** kill -9 of the broker's JVM (and the wrapper the script started it under). */
  async kill9(): Promise<void> {
    const pidFile = join(this.dir, `kafka-${this.port}.pid`);
    const wrapper = Number(readFileSync(pidFile, 'utf8').trim());
    for (const pid of [...childrenOf(wrapper), wrapper]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    // Wait until the port is closed: the JVM is really gone.
    for (let i = 0; i < 100 && (await answers(this.port)); i++) await new Promise((r) => setTimeout(r, 100));
  }

  async destroy(): Promise<void> {
    await run('bash', [join(ROOT, 'scripts', 'kafka.sh'), 'stop'], {
      env: this.env(),
      timeout: 60_000,
    }).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A 3-broker KRaft cluster of the suite's own (`scripts/kafka.sh cluster`, every topic with 3
 * replicas and min.insync.replicas 2) under a temporary folder, on FAULTS_CLUSTER_PORTS (default
 * 19092,19094,19096, each controller on the next port). One broker is killed in the broker trial
 * and only started again once the trial's work is done.
 */
export class OwnKafkaCluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'faults-kafka-cluster-'));
  readonly ports = (process.env.FAULTS_CLUSTER_PORTS ?? '19092,19094,19096').split(',').map(Number);

  get brokers(): string {
    return this.ports.map((p) => `127.0.0.1:${p}`).join(',');
  }

  private script(...args: string[]) {
    return run('bash', [join(ROOT, 'scripts', 'kafka.sh'), 'cluster', ...args], {
      env: {
        ...process.env,
        KAFKA_CLUSTER_PORTS: this.ports.join(','),
        KAFKA_HOME_DIR: this.dir,
        KAFKA_HEAP: process.env.FAULTS_KAFKA_HEAP ?? '-Xmx384m -Xms128m',
      },
      // Three JVMs formatting and starting side by side take minutes on a loaded machine.
      timeout: 900_000,
    });
  }

  async init(): Promise<void> {
    for (const p of this.ports)
      if (!(await isFree(p)) || !(await isFree(p + 1)))
        throw new Error(`port ${p} or ${p + 1} is taken: choose others with FAULTS_CLUSTER_PORTS`);
    linkJars(this.dir);
    await this.start();
  }

  /** Starts every broker that does not answer; waits (up to 3 minutes more on a loaded machine) for all. */
  async start(): Promise<void> {
    const started = await this.script('start').then(
      () => true,
      (e: Error) => e,
    );
    for (let i = 0; i < 900; i++) {
      if ((await Promise.all(this.ports.map((p) => answers(p)))).every(Boolean)) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw started === true ? new Error('the cluster did not come up') : started;
  }

  /** kill -9 of broker n (1-based): no controlled shutdown, no leadership hand-over. */
  async kill9(n: number): Promise<void> {
    await this.script('kill', String(n));
  }

  async destroy(): Promise<void> {
    await this.script('stop').catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Links the project's Kafka jars (KAFKA_JARS_DIR or .kafka/jars-<version>) into a suite's folder, when present. */
function linkJars(dir: string) {
  const version = process.env.KAFKA_VERSION ?? '3.9.1';
  const jars = process.env.KAFKA_JARS_DIR ?? join(ROOT, '.kafka', `jars-${version}`);
  if (existsSync(join(jars, '.complete'))) symlinkSync(jars, join(dir, `jars-${version}`));
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** Something accepts connections on the port (probed by connecting, never by binding it). */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(port, '127.0.0.1');
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

async function isFree(port: number): Promise<boolean> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}
