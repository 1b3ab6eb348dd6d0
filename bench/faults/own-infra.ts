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
    const version = process.env.KAFKA_VERSION ?? '3.9.1';
    const jars = process.env.KAFKA_JARS_DIR ?? join(ROOT, '.kafka', `jars-${version}`);
    if (existsSync(join(jars, '.complete'))) symlinkSync(jars, join(this.dir, `jars-${version}`));
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
