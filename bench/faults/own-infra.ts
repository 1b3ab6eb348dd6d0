/**
 * A PostgreSQL instance and a Kafka broker of the fault suite's own, on spare loopback ports under a
 * temporary folder: the suite stops, kills and restarts them, which must never touch the machine's
 * shared server or broker.
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../callout-pipeline';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..').replace(/[/\\]dist$/, '');
const PG_BIN = process.env.PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin';

/** initdb refuses to run as root: then the server runs as the `postgres` system user. */
const asPostgres = (cmd: string, args: string[]) =>
  process.getuid?.() === 0 ? run('runuser', ['-u', 'postgres', '--', cmd, ...args]) : run(cmd, args);

export class OwnPostgres {
  readonly dir = mkdtempSync(join(tmpdir(), 'faults-pg-'));
  port = 0;

  get adminUrl(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  async init(): Promise<void> {
    this.port = await freePort();
    if (process.getuid?.() === 0) {
      const { stdout } = await run('id', ['-u', 'postgres']);
      const { stdout: gid } = await run('id', ['-g', 'postgres']);
      chownSync(this.dir, Number(stdout.trim()), Number(gid.trim()));
    }
    await asPostgres(join(PG_BIN, 'initdb'), ['-D', join(this.dir, 'data'), '-A', 'trust', '-U', 'postgres']);
    await this.start();
  }

  /**
   * fsync off: the suite crashes the server process, not the machine, so what was committed is in
   * the page cache and survives; the shared disk is spared the flushes.
   */
  async start(): Promise<void> {
    const opts = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off`;
    await asPostgres(join(PG_BIN, 'pg_ctl'), [
      '-D',
      join(this.dir, 'data'),
      '-l',
      join(this.dir, 'server.log'),
      '-o',
      opts,
      '-w',
      'start',
    ]);
  }

  /** Stops at once (`-m immediate`: no checkpoint, clients cut off), as a crash would. */
  async stopImmediate(): Promise<void> {
    await asPostgres(join(PG_BIN, 'pg_ctl'), ['-D', join(this.dir, 'data'), '-m', 'immediate', '-w', 'stop']);
  }

  async destroy(): Promise<void> {
    await asPostgres(join(PG_BIN, 'pg_ctl'), [
      '-D',
      join(this.dir, 'data'),
      '-m',
      'fast',
      '-w',
      'stop',
    ]).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

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

  async start(): Promise<void> {
    await run('bash', [join(ROOT, 'scripts', 'kafka.sh'), 'start'], { env: this.env(), timeout: 120_000 });
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
    for (let i = 0; i < 100 && !(await isFree(this.port)); i++) await new Promise((r) => setTimeout(r, 100));
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

async function isFree(port: number): Promise<boolean> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}
